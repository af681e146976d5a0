// The FUSE kernel protocol (linux/fuse.h, version 7.31 as we speak it): opcodes, flags and the
// little-endian wire structs a read-only file system receives and sends. Pure byte codecs; the
// session loop (session.ts) reads requests from /dev/fuse and writes the replies built here.

export const FUSE_KERNEL_VERSION = 7;
/** The minor version we implement: READDIRPLUS (21), LSEEK (24), MAX_PAGES and CACHE_SYMLINKS (28). */
export const FUSE_OUR_MINOR = 31;
export const FUSE_ROOT_ID = 1;

export const OP = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, SYMLINK: 6, MKNOD: 8, MKDIR: 9, UNLINK: 10,
  RMDIR: 11, RENAME: 12, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17, RELEASE: 18, FSYNC: 20,
  SETXATTR: 21, GETXATTR: 22, LISTXATTR: 23, REMOVEXATTR: 24, FLUSH: 25, INIT: 26, OPENDIR: 27, READDIR: 28,
  RELEASEDIR: 29, FSYNCDIR: 30, GETLK: 31, SETLK: 32, SETLKW: 33, ACCESS: 34, CREATE: 35, INTERRUPT: 36,
  BMAP: 37, DESTROY: 38, IOCTL: 39, POLL: 40, NOTIFY_REPLY: 41, BATCH_FORGET: 42, FALLOCATE: 43,
  READDIRPLUS: 44, RENAME2: 45, LSEEK: 46, COPY_FILE_RANGE: 47, SYNCFS: 50, TMPFILE: 51,
} as const;

/** Requests that would change the file system: answered EROFS. */
export const WRITE_OPS: ReadonlySet<number> = new Set([
  OP.SETATTR, OP.SYMLINK, OP.MKNOD, OP.MKDIR, OP.UNLINK, OP.RMDIR, OP.RENAME, OP.LINK, OP.WRITE, OP.SETXATTR,
  OP.REMOVEXATTR, OP.CREATE, OP.FALLOCATE, OP.RENAME2, OP.COPY_FILE_RANGE, OP.TMPFILE,
]);

/** INIT flags we may ask for. */
export const INIT = {
  ASYNC_READ: 1 << 0,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
} as const;

export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_CACHE_DIR = 1 << 3;

export const HEADER_SIZE = 40;
const OUT_HEADER_SIZE = 16;
const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
const DIRENT_BASE = 24;
/** The smallest read buffer the kernel accepts (FUSE_MIN_READ_BUFFER). */
export const MIN_READ_BUFFER = 8192;

/** The attributes of one node as the kernel wants them (times in nanoseconds since the epoch). */
export interface FuseAttr {
  ino: number;
  size: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
}

/** A decoded request: the header fields and a view of the arguments (valid until the next read). */
export interface FuseRequest {
  opcode: number;
  unique: bigint;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
  args: Buffer;
}

export function decodeHeader(buf: Buffer): FuseRequest {
  const len = buf.readUInt32LE(0);
  return {
    opcode: buf.readUInt32LE(4),
    unique: buf.readBigUInt64LE(8),
    nodeid: Number(buf.readBigUInt64LE(16)),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    args: buf.subarray(HEADER_SIZE, len),
  };
}

/** A NUL-terminated name at `offset` of the arguments, copied out of the read buffer. */
export function decodeName(args: Buffer, offset = 0): Buffer {
  const end = args.indexOf(0, offset);
  return Buffer.from(args.subarray(offset, end < 0 ? args.length : end));
}

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  flags: number;
}

export function decodeInit(args: Buffer): InitIn {
  return { major: args.readUInt32LE(0), minor: args.readUInt32LE(4), maxReadahead: args.readUInt32LE(8), flags: args.readUInt32LE(12) };
}

export interface InitOut {
  minor: number;
  maxReadahead: number;
  flags: number;
  maxBackground: number;
  congestionThreshold: number;
  maxWrite: number;
  maxPages: number;
}

export function encodeInitOut(out: InitOut): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(FUSE_KERNEL_VERSION, 0);
  b.writeUInt32LE(out.minor, 4);
  b.writeUInt32LE(out.maxReadahead, 8);
  b.writeUInt32LE(out.flags >>> 0, 12);
  b.writeUInt16LE(out.maxBackground, 16);
  b.writeUInt16LE(out.congestionThreshold, 18);
  b.writeUInt32LE(out.maxWrite, 20);
  b.writeUInt32LE(1, 24); // time_gran: nanoseconds
  b.writeUInt16LE(out.maxPages, 28);
  return b;
}

/** fuse_read_in (READ, READDIR, READDIRPLUS): handle, offset and size. */
export function decodeReadIn(args: Buffer): { fh: number; offset: number; size: number } {
  return { fh: Number(args.readBigUInt64LE(0)), offset: Number(args.readBigUInt64LE(8)), size: args.readUInt32LE(16) };
}

/** fuse_open_in: the open(2) flags. */
export function decodeOpenFlags(args: Buffer): number {
  return args.readUInt32LE(0);
}

/** fuse_release_in / fuse_flush_in: the handle. */
export function decodeFh(args: Buffer): number {
  return Number(args.readBigUInt64LE(0));
}

/** fuse_getxattr_in (GETXATTR, LISTXATTR): the caller's buffer size (0 asks for the size). */
export function decodeXattrSize(args: Buffer): number {
  return args.readUInt32LE(0);
}

export function decodeAccessMask(args: Buffer): number {
  return args.readUInt32LE(0);
}

export function decodeLseek(args: Buffer): { fh: number; offset: number; whence: number } {
  return { fh: Number(args.readBigUInt64LE(0)), offset: Number(args.readBigUInt64LE(8)), whence: args.readUInt32LE(16) };
}

export function encodeOutHeader(len: number, error: number, unique: bigint): Buffer {
  const b = Buffer.allocUnsafe(OUT_HEADER_SIZE);
  b.writeUInt32LE(len, 0);
  b.writeInt32LE(error, 4);
  b.writeBigUInt64LE(unique, 8);
  return b;
}

const NS_PER_S = 1_000_000_000n;

function writeTime(b: Buffer, secOffset: number, nsecOffset: number, ns: bigint): void {
  // Floor division, so that times before 1970 get a non-negative nanosecond part.
  let sec = ns / NS_PER_S;
  let nsec = ns - sec * NS_PER_S;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_S;
  }
  b.writeBigInt64LE(sec, secOffset);
  b.writeUInt32LE(Number(nsec), nsecOffset);
}

export function writeAttr(b: Buffer, o: number, a: FuseAttr): void {
  b.writeBigUInt64LE(BigInt(a.ino), o);
  b.writeBigUInt64LE(BigInt(a.size), o + 8);
  b.writeBigUInt64LE(BigInt(a.blocks), o + 16);
  writeTime(b, o + 24, o + 48, a.atimeNs);
  writeTime(b, o + 32, o + 52, a.mtimeNs);
  writeTime(b, o + 40, o + 56, a.ctimeNs);
  b.writeUInt32LE(a.mode >>> 0, o + 60);
  b.writeUInt32LE(a.nlink >>> 0, o + 64);
  b.writeUInt32LE(a.uid >>> 0, o + 68);
  b.writeUInt32LE(a.gid >>> 0, o + 72);
  b.writeUInt32LE(a.rdev >>> 0, o + 76);
  b.writeUInt32LE(a.blksize >>> 0, o + 80);
  b.writeUInt32LE(0, o + 84);
}

/** fuse_entry_out at `o`: `attr` null gives a negative entry (nodeid 0) cached for `validSeconds`. */
export function writeEntryOut(b: Buffer, o: number, attr: FuseAttr | null, validSeconds: number): void {
  b.fill(0, o, o + ENTRY_OUT_SIZE);
  b.writeBigUInt64LE(BigInt(attr?.ino ?? 0), o);
  b.writeBigUInt64LE(BigInt(validSeconds), o + 16);
  b.writeBigUInt64LE(BigInt(validSeconds), o + 24);
  if (attr !== null) writeAttr(b, o + 40, attr);
}

export function encodeEntryOut(attr: FuseAttr | null, validSeconds: number): Buffer {
  const b = Buffer.allocUnsafe(ENTRY_OUT_SIZE);
  writeEntryOut(b, 0, attr, validSeconds);
  return b;
}

export function encodeAttrOut(attr: FuseAttr, validSeconds: number): Buffer {
  const b = Buffer.alloc(16 + ATTR_SIZE);
  b.writeBigUInt64LE(BigInt(validSeconds), 0);
  writeAttr(b, 16, attr);
  return b;
}

export function encodeOpenOut(fh: number, openFlags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(fh), 0);
  b.writeUInt32LE(openFlags, 8);
  return b;
}

/** fuse_getxattr_out: the size a GETXATTR/LISTXATTR with size 0 asked for. */
export function encodeXattrSize(size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(size, 0);
  return b;
}

export function encodeLseekOut(offset: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(offset), 0);
  return b;
}

export interface StatfsOut {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

export function encodeStatfsOut(s: StatfsOut): Buffer {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(BigInt(s.blocks), 0);
  b.writeBigUInt64LE(BigInt(s.bfree), 8);
  b.writeBigUInt64LE(BigInt(s.bavail), 16);
  b.writeBigUInt64LE(BigInt(s.files), 24);
  b.writeBigUInt64LE(BigInt(s.ffree), 32);
  b.writeUInt32LE(s.bsize, 40);
  b.writeUInt32LE(s.namelen, 44);
  b.writeUInt32LE(s.frsize, 48);
  return b;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Bytes one directory entry takes in a READDIR (plus = false) or READDIRPLUS reply. */
export function direntSize(nameLength: number, plus: boolean): number {
  return align8((plus ? ENTRY_OUT_SIZE : 0) + DIRENT_BASE + nameLength);
}

/**
 * Writes one fuse_dirent (or fuse_direntplus) at `o`: `next` is the offset cookie the kernel passes
 * back to continue after this entry; `type` is the S_IFMT part of the mode.
 */
export function writeDirent(b: Buffer, o: number, name: Buffer, ino: number, next: number, mode: number, plus: { attr: FuseAttr | null; validSeconds: number } | null): number {
  const size = direntSize(name.length, plus !== null);
  let p = o;
  if (plus !== null) {
    writeEntryOut(b, p, plus.attr, plus.validSeconds);
    p += ENTRY_OUT_SIZE;
  }
  b.writeBigUInt64LE(BigInt(ino), p);
  b.writeBigUInt64LE(BigInt(next), p + 8);
  b.writeUInt32LE(name.length, p + 16);
  b.writeUInt32LE((mode >>> 12) & 0o17, p + 20);
  name.copy(b, p + DIRENT_BASE);
  b.fill(0, p + DIRENT_BASE + name.length, o + size);
  return size;
}
