// What a read-only file system offers the FUSE session: the requests of a browsing client, keyed
// by node id (inode) and open handle. Each may answer synchronously or with a promise; a FuseError
// becomes the errno of the reply, any other error EIO.

import type { FuseAttr, StatfsOut } from './protocol.js';

export class FuseError extends Error {
  constructor(readonly errno: number, message?: string) {
    super(message ?? `FUSE error ${errno}`);
  }
}

/** Linux errno values the file system answers with. */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EACCES: 13, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ERANGE: 34,
  ENOSYS: 38, ENODATA: 61, EROFS: 30, ENXIO: 6, EPROTO: 71, EOPNOTSUPP: 95,
} as const;

type MaybePromise<T> = T | Promise<T>;

/** One directory entry for READDIR/READDIRPLUS, `.` and `..` included. */
export interface DirEntry {
  name: Buffer;
  ino: number;
  mode: number;
  /** Attributes for READDIRPLUS, computed only for entries that fit; absent for `.` and `..`. */
  attr?: () => FuseAttr;
}

export interface FuseOperations {
  /** The attributes of `name` in directory `parent`, or null when there is no such entry. */
  lookup(parent: number, name: Buffer): MaybePromise<FuseAttr | null>;
  getattr(ino: number): MaybePromise<FuseAttr>;
  readlink(ino: number): MaybePromise<Buffer>;
  /** Opens a file for reading; returns the handle passed to read/release. */
  open(ino: number, flags: number): MaybePromise<number>;
  read(fh: number, offset: number, size: number): MaybePromise<Buffer>;
  release(fh: number): void;
  /** Prepares listing a directory (loads what it needs); returns the handle for readdir. */
  opendir(ino: number): MaybePromise<number>;
  /** The entries from position `offset` on; the session takes as many as fit in the reply. */
  readdir(ino: number, offset: number): MaybePromise<Iterable<DirEntry>>;
  releasedir(fh: number): void;
  statfs(): StatfsOut;
  getxattr(ino: number, name: Buffer): MaybePromise<Buffer>;
  listxattr(ino: number): MaybePromise<Buffer[]>;
  /** SEEK_DATA (3) / SEEK_HOLE (4) within an open file. */
  lseek(fh: number, offset: number, whence: number): MaybePromise<number>;
  /** Called once when the kernel ends the session (unmount). */
  destroy(): void;
}
