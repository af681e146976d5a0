// Typed access to the project's own native addon (native/*.c, built by node-gyp when `npm install`
// or `npm ci` runs on the package root): the system calls node:fs lacks and borg needs.
//
// Every function is synchronous. Paths and xattr names may be strings (encoded as UTF-8, like
// node:fs does) or Buffers, so file names that are not valid UTF-8 work. Failures throw errors shaped
// like node:fs errors: `code` ('ENOENT', ...), negative `errno`, `syscall` and `path`.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { getSystemErrorMap, getSystemErrorName } from 'node:util';

/** Like node:fs paths (without URL): a Buffer carries names that are not valid UTF-8. */
export type PathArg = string | Buffer;
export type NameArg = string | Uint8Array;

/** What node:fs throws too; `errno` is negative (libuv convention), `code` e.g. 'ENOTSUP'. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

interface Addon {
  lutimesNs(path: Uint8Array, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  futimesNs(fd: number, atimeNs: bigint | null, mtimeNs: bigint | null): void;
  scanDir(path: Uint8Array, wantFlags: boolean, wantXattrs: boolean): Promise<Buffer>;
  writeNewFile(path: Uint8Array, buffers: Uint8Array[], mode: number, uid: number, gid: number, atimeNs: bigint, mtimeNs: bigint): Promise<void>;
  writeNewFileSync(path: Uint8Array, buffers: Uint8Array[], mode: number, uid: number, gid: number, atimeNs: bigint, mtimeNs: bigint): void;
  mknod(path: Uint8Array, mode: number, rdev: number | bigint): void;
  mkfifo(path: Uint8Array, mode: number): void;
  listxattr(target: Uint8Array | number): Buffer[];
  getxattr(target: Uint8Array | number, name: Uint8Array, absentOk: boolean): Buffer | null;
  setxattr(target: Uint8Array | number, name: Uint8Array, value: Uint8Array): void;
  removexattr(target: Uint8Array | number, name: Uint8Array): void;
  getFlags(target: Uint8Array | number): number;
  getArchivedFlags(target: Uint8Array | number): number;
  setFlags(target: Uint8Array | number, flags: number): void;
  getpwuid(uid: number): string | null;
  getgrgid(gid: number): string | null;
  getpwnam(name: Uint8Array): number | null;
  getgrnam(name: Uint8Array): number | null;
  seekData(fd: number, offset: number): number;
  seekHole(fd: number, offset: number): number;
  posixFadvise(fd: number, offset: number, len: number, advice: number): void;
  buzhashScan(buf: Uint8Array, p: number, stop: number, hash: number, tables: Uint8Array, mask: number, windowSize: number, out: Uint8Array): number;
  openFuseDevice(): number;
  mount(source: Uint8Array, target: Uint8Array, fstype: Uint8Array, flags: number, data: Uint8Array): void;
  umount2(target: Uint8Array, flags: number): void;
  socketpair(): [number, number];
  receiveFd(socket: number): number;
  redirectStdioToDevNull(): void;
  MS_RDONLY: number;
  MS_NOSUID: number;
  MS_NODEV: number;
  MNT_DETACH: number;
  FS_NODUMP_FL: number;
  FS_IMMUTABLE_FL: number;
  FS_APPEND_FL: number;
  FS_COMPR_FL: number;
  POSIX_FADV_NORMAL: number;
  POSIX_FADV_SEQUENTIAL: number;
  POSIX_FADV_RANDOM: number;
  POSIX_FADV_NOREUSE: number;
  POSIX_FADV_WILLNEED: number;
  POSIX_FADV_DONTNEED: number;
}

// src/platform/native.ts and dist/platform/native.js are both two levels below the package root.
const ADDON_PATH = fileURLToPath(new URL('../../build/Release/borgts_platform.node', import.meta.url));

let addon: Addon | undefined;

// Loaded on first use, so that modules importing this one (and their tests) work even where only
// pure-TypeScript parts are needed.
function native(): Addon {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (e) {
      throw new Error(`borg-ts native addon not loadable from ${ADDON_PATH}; run "npm install" to build it`, {
        cause: e,
      });
    }
  }
  return addon;
}

let errorMap: Map<number, [string, string]> | undefined;

function pathText(path: PathArg | number | undefined): string | undefined {
  if (path === undefined || typeof path === 'number') return undefined;
  return path.toString(); // lossy for non-UTF-8 names, as in node:fs messages
}

/** The error a system call failing with `errno` (node:fs's sign: negative) would raise for `path`. */
export function systemErrorOf(errno: number, syscall: string, path?: PathArg): SystemError {
  return systemError(Object.assign(new Error(syscall), { errno: -errno, syscall }), path) as SystemError;
}

// The addon throws plain Errors with a positive `errno` and `syscall`; give them node:fs's shape
// (libuv's code names and messages) so callers can treat both alike.
function systemError(e: unknown, target: PathArg | number | undefined): unknown {
  if (!(e instanceof Error)) return e;
  const raw = e as Error & { errno?: unknown; syscall?: unknown };
  if (typeof raw.errno !== 'number' || typeof raw.syscall !== 'string') return e;
  errorMap ??= getSystemErrorMap();
  const errno = -raw.errno;
  const code = errorMap.get(errno)?.[0] ?? getSystemErrorName(errno);
  const description = errorMap.get(errno)?.[1] ?? raw.message;
  const path = pathText(target);
  const err = new Error(`${code}: ${description}, ${raw.syscall}${path !== undefined ? ` '${path}'` : ''}`) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = raw.syscall;
  if (path !== undefined) err.path = path;
  return err;
}

function call<T>(target: PathArg | number | undefined, fn: (a: Addon) => T): T {
  const a = native();
  try {
    return fn(a);
  } catch (e) {
    throw systemError(e, target);
  }
}

function bytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function targetArg(target: PathArg | number): Uint8Array | number {
  return typeof target === 'number' ? target : bytes(target);
}

/** Sets atime and mtime in nanoseconds without following a final symlink; null leaves one as is. */
export function lutimesNs(path: PathArg, atimeNs: bigint | null, mtimeNs: bigint | null): void {
  call(path, (a) => a.lutimesNs(bytes(path), atimeNs, mtimeNs));
}

/** Sets atime and mtime of an open file in nanoseconds; null leaves one as is. */
export function futimesNs(fd: number, atimeNs: bigint | null, mtimeNs: bigint | null): void {
  call(undefined, (a) => a.futimesNs(fd, atimeNs, mtimeNs));
}

/**
 * Creates a new file (O_EXCL, no final symlink followed; if something is in the way, it is removed
 * first: unlinked, or rmdir'ed when an empty directory) on libuv's thread pool: writes `buffers`,
 * then owner (uid/gid -1: unchanged; failures ignored), mode (failure rejects), ns times (failures
 * ignored), closes. One job per file; `buffers` must not change until the promise settles.
 */
export function writeNewFile(path: PathArg, buffers: Uint8Array[], mode: number, uid: number, gid: number, atimeNs: bigint, mtimeNs: bigint): Promise<void> {
  const pending = call(path, (a) => a.writeNewFile(bytes(path), buffers, mode, uid, gid, atimeNs, mtimeNs));
  return pending.catch((e: unknown) => {
    throw systemError(e, path);
  });
}

/** writeNewFile on the calling thread (a worker thread that may block). */
export function writeNewFileSync(path: PathArg, buffers: Uint8Array[], mode: number, uid: number, gid: number, atimeNs: bigint, mtimeNs: bigint): void {
  call(path, (a) => a.writeNewFileSync(bytes(path), buffers, mode, uid, gid, atimeNs, mtimeNs));
}

/**
 * One directory's names and per-entry statx / flags / xattr-presence records, read on libuv's thread
 * pool (layout in native/dir-scan.c; parsed by dir-scan.ts). Fails like opendir/readdir.
 */
export function scanDirRecords(path: PathArg, wantFlags: boolean, wantXattrs: boolean): Promise<Buffer> {
  const pending = call(path, (a) => a.scanDir(bytes(path), wantFlags, wantXattrs));
  return pending.catch((e: unknown) => {
    throw systemError(e, path);
  });
}

/** Creates a device node (or other special file); `mode` includes the S_IF* type bits. */
export function mknod(path: PathArg, mode: number, rdev: number | bigint): void {
  call(path, (a) => a.mknod(bytes(path), mode, rdev));
}

/** Creates a named pipe; the umask applies to `mode`. */
export function mkfifo(path: PathArg, mode: number): void {
  call(path, (a) => a.mkfifo(bytes(path), mode));
}

/** Names of the extended attributes of `path` itself (a symlink is not followed). */
export function llistxattr(path: PathArg): Buffer[] {
  return call(path, (a) => a.listxattr(bytes(path)));
}

export function flistxattr(fd: number): Buffer[] {
  return call(undefined, (a) => a.listxattr(fd));
}

/** Throws ENODATA when the attribute does not exist, ENOTSUP when the file system has none. */
export function lgetxattr(path: PathArg, name: NameArg): Buffer {
  return call(path, (a) => a.getxattr(bytes(path), bytes(name), false)!);
}

export function fgetxattr(fd: number, name: NameArg): Buffer {
  return call(undefined, (a) => a.getxattr(fd, bytes(name), false)!);
}

/**
 * Like lgetxattr, but null when the attribute does not exist (ENODATA) or the file system has no
 * xattrs (ENOTSUP), without the cost of an exception: for probes run on every file.
 */
export function lgetxattrOrNull(path: PathArg, name: NameArg): Buffer | null {
  return call(path, (a) => a.getxattr(bytes(path), bytes(name), true));
}

/** Creates or replaces an attribute of `path` itself (user.* xattrs are refused on symlinks). */
export function lsetxattr(path: PathArg, name: NameArg, value: Uint8Array): void {
  call(path, (a) => a.setxattr(bytes(path), bytes(name), value));
}

export function fsetxattr(fd: number, name: NameArg, value: Uint8Array): void {
  call(undefined, (a) => a.setxattr(fd, bytes(name), value));
}

export function lremovexattr(path: PathArg, name: NameArg): void {
  call(path, (a) => a.removexattr(bytes(path), bytes(name)));
}

export function fremovexattr(fd: number, name: NameArg): void {
  call(undefined, (a) => a.removexattr(fd, bytes(name)));
}

/**
 * Linux inode flags (FS_IOC_GETFLAGS, the bits of `lsattr`). A path is opened with O_NOFOLLOW |
 * O_NONBLOCK, so symlinks fail with ELOOP; file systems without flags fail with ENOTTY or ENOTSUP.
 */
export function getFlags(target: PathArg | number): number {
  return call(target, (a) => a.getFlags(targetArg(target)));
}

/**
 * The inode flags borg archives (NODUMP, IMMUTABLE, APPEND, COMPR; FS_*_FL values), read with one
 * statx where the file system reports them there (regular files, directories), else like getFlags.
 */
export function getArchivedFlags(target: PathArg | number): number {
  return call(target, (a) => a.getArchivedFlags(targetArg(target)));
}

/** Sets all inode flags to exactly `flags` (read, modify and write to change single bits). */
export function setFlags(target: PathArg | number, flags: number): void {
  call(target, (a) => a.setFlags(targetArg(target), flags >>> 0));
}

/** The FS_*_FL bits borg maps to BSD flags, as the kernel headers define them. */
export function inodeFlagBits(): { nodump: number; immutable: number; append: number; compressed: number } {
  const a = native();
  return { nodump: a.FS_NODUMP_FL, immutable: a.FS_IMMUTABLE_FL, append: a.FS_APPEND_FL, compressed: a.FS_COMPR_FL };
}

/** User name of `uid`, or null if the user database has none. Uncached: see users.ts. */
export function getpwuid(uid: number): string | null {
  return call(undefined, (a) => a.getpwuid(uid));
}

export function getgrgid(gid: number): string | null {
  return call(undefined, (a) => a.getgrgid(gid));
}

export function getpwnam(name: NameArg): number | null {
  return call(undefined, (a) => a.getpwnam(bytes(name)));
}

export function getgrnam(name: NameArg): number | null {
  return call(undefined, (a) => a.getgrnam(bytes(name)));
}

/** Start of the next data region at or after `offset`, or -1 when only a hole remains (ENXIO). */
export function seekData(fd: number, offset: number): number {
  return call(undefined, (a) => a.seekData(fd, offset));
}

/** Start of the next hole at or after `offset` (the file end counts as one), or -1 past the end. */
export function seekHole(fd: number, offset: number): number {
  return call(undefined, (a) => a.seekHole(fd, offset));
}

export type FadviseAdvice = 'normal' | 'sequential' | 'random' | 'noreuse' | 'willneed' | 'dontneed';

/** Page cache advice; borg drops the cache of big files it has read with 'dontneed'. len 0 = to the end. */
export function posixFadvise(fd: number, offset: number, len: number, advice: FadviseAdvice): void {
  call(undefined, (a) => {
    const values: Record<FadviseAdvice, number> = {
      normal: a.POSIX_FADV_NORMAL,
      sequential: a.POSIX_FADV_SEQUENTIAL,
      random: a.POSIX_FADV_RANDOM,
      noreuse: a.POSIX_FADV_NOREUSE,
      willneed: a.POSIX_FADV_WILLNEED,
      dontneed: a.POSIX_FADV_DONTNEED,
    };
    a.posixFadvise(fd, offset, len, values[advice]);
  });
}

/** Whether the addon is built and loadable (pure-TypeScript fallbacks exist for hot loops). */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

/**
 * The buzhash cut-point scan (see src/chunker/native-buzhash.ts): `tables` holds the 256 add then
 * the 256 drop values as int32; `out` receives the hash at the returned position.
 */
export function buzhashScan(buf: Uint8Array, p: number, stop: number, hash: number, tables: Uint8Array, mask: number, windowSize: number, out: Uint8Array): number {
  return native().buzhashScan(buf, p, stop, hash, tables, mask, windowSize, out);
}

/** Opens /dev/fuse for reading and writing (close-on-exec); needs root or a permissive device node. */
export function openFuseDevice(): number {
  return call('/dev/fuse', (a) => a.openFuseDevice());
}

export interface MountFlags {
  readOnly?: boolean;
  noSuid?: boolean;
  noDev?: boolean;
}

/** mount(2): `data` is the file system's option string (for FUSE: "fd=N,rootmode=...,user_id=..."). */
export function mount(source: string, target: PathArg, fstype: string, flags: MountFlags, data: string): void {
  call(target, (a) => {
    const bits = (flags.readOnly ? a.MS_RDONLY : 0) | (flags.noSuid ? a.MS_NOSUID : 0) | (flags.noDev ? a.MS_NODEV : 0);
    a.mount(bytes(source), bytes(target), bytes(fstype), bits >>> 0, bytes(data));
  });
}

/** umount2(2); `detach` is MNT_DETACH (lazy: the mount goes now, busy users keep it until they leave). */
export function umount2(target: PathArg, options: { detach?: boolean } = {}): void {
  call(target, (a) => a.umount2(bytes(target), options.detach ? a.MNT_DETACH : 0));
}

/** A connected pair of Unix stream sockets (close-on-exec). */
export function socketpair(): [number, number] {
  return call(undefined, (a) => a.socketpair());
}

/** Receives one descriptor sent with SCM_RIGHTS (blocking); -1 when the peer closed without sending one. */
export function receiveFd(socket: number): number {
  return call(undefined, (a) => a.receiveFd(socket));
}

/** Points fds 0, 1 and 2 at /dev/null, as a daemon does once it no longer talks to its starter. */
export function redirectStdioToDevNull(): void {
  call('/dev/null', (a) => a.redirectStdioToDevNull());
}

/** borg's AES-256-CTR + HMAC-SHA256 envelope and HMAC-SHA256 ids on Node's own OpenSSL (native/crypto.c). */
export interface EnvelopeCrypto {
  hmacSha256(key: Uint8Array, data: Uint8Array): Buffer;
  /** type || HMAC(macKey, iv || ciphertext) || iv (u64 BE) || AES-256-CTR(encKey, iv, payload). */
  sealAesHmac(encKey: Uint8Array, macKey: Uint8Array, typeByte: number, payload: Uint8Array, iv: bigint): Buffer;
  /** The payload, or null when the MAC does not match. */
  openAesHmac(encKey: Uint8Array, macKey: Uint8Array, envelope: Uint8Array): Buffer | null;
}

/**
 * The native envelope functions, or null when the addon is missing or was built without OpenSSL's
 * headers (node:crypto then does the same work, a little slower per call).
 */
export function envelopeCrypto(): EnvelopeCrypto | null {
  if (!nativeAvailable()) return null;
  const a = native() as unknown as Partial<EnvelopeCrypto>;
  return typeof a.hmacSha256 === 'function' && typeof a.sealAesHmac === 'function' && typeof a.openAesHmac === 'function' ? (a as EnvelopeCrypto) : null;
}
