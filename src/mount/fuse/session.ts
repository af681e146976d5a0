// A FUSE session on an open /dev/fuse descriptor: reads requests (each read(2) returns exactly one),
// answers INIT, dispatches the rest to a FuseOperations implementation and writes one reply per
// request. Reads go through libuv's thread pool; two are kept outstanding so that the kernel can
// hand over the next request while the previous one is being answered. Requests are answered
// concurrently (a read waiting for the repository does not hold up a lookup).
//
// The session ends when the kernel ends the connection (unmount: reads fail with ENODEV).
import { closeSync, read, writeSync, writevSync } from 'node:fs';

import { ERRNO, FuseError, type DirEntry, type FuseOperations } from './operations.js';
import {
  decodeAccessMask, decodeFh, decodeHeader, decodeInit, decodeLseek, decodeName, decodeOpenFlags, decodeReadIn, decodeXattrSize,
  direntSize, encodeAttrOut, encodeEntryOut, encodeInitOut, encodeLseekOut, encodeOpenOut, encodeOutHeader, encodeStatfsOut,
  encodeXattrSize, FOPEN_CACHE_DIR, FOPEN_KEEP_CACHE, FUSE_KERNEL_VERSION, FUSE_OUR_MINOR, INIT, MIN_READ_BUFFER, OP, WRITE_OPS,
  writeDirent, type FuseAttr, type FuseRequest,
} from './protocol.js';

export interface FuseSessionOptions {
  /** Seconds the kernel may cache names and attributes (archives never change while mounted). */
  cacheSeconds?: number;
  /** Only these users may use the file system (allow_root: root and the owner); undefined: all the kernel lets in. */
  allowedUids?: ReadonlySet<number>;
  /** Reports errors that are bugs rather than answers (they are answered EIO). */
  onError?: (error: unknown) => void;
  /** Requests kept outstanding on the device (default 2). */
  readers?: number;
}

/** The largest request we accept: names and xattr requests are small, we refuse writes. */
const MAX_WRITE = 128 * 1024;
const READ_BUFFER = Math.max(MAX_WRITE + 4096, MIN_READ_BUFFER);
/** 256 pages of 4 KiB: reads of up to 1 MiB per request. */
const MAX_PAGES = 256;
const WANTED_FLAGS = INIT.ASYNC_READ | INIT.BIG_WRITES | INIT.DO_READDIRPLUS | INIT.READDIRPLUS_AUTO | INIT.PARALLEL_DIROPS |
  INIT.MAX_PAGES | INIT.CACHE_SYMLINKS;
const W_OK = 2;

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class FuseSession {
  readonly #fd: number;
  readonly #ops: FuseOperations;
  readonly #cacheSeconds: number;
  readonly #allowed: ReadonlySet<number> | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #readers: number;
  #initialized = false;
  #ended = false;
  #closed = false;

  constructor(fd: number, ops: FuseOperations, options: FuseSessionOptions = {}) {
    this.#fd = fd;
    this.#ops = ops;
    this.#cacheSeconds = options.cacheSeconds ?? 3600;
    this.#allowed = options.allowedUids;
    this.#onError = options.onError ?? (() => {});
    this.#readers = options.readers ?? 2;
  }

  /** Serves requests until the file system is unmounted; then closes the descriptor. */
  async run(): Promise<void> {
    const loops: Promise<void>[] = [];
    for (let i = 0; i < this.#readers; i++) loops.push(this.#readLoop());
    try {
      await Promise.all(loops);
    } finally {
      this.close();
    }
  }

  /** Closes the device: the kernel then fails every request (the mount point shows ENOTCONN until unmounted). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ended = true;
    try {
      closeSync(this.#fd);
    } catch {
      // already gone
    }
  }

  async #readLoop(): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    while (!this.#ended) {
      let n: number;
      try {
        n = await new Promise<number>((resolve, reject) => read(this.#fd, buffer, 0, buffer.length, null, (err, bytes) => (err ? reject(err) : resolve(bytes))));
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'ENOENT' || code === 'EINTR' || code === 'EAGAIN') continue; // an interrupted request: read again
        this.#ended = true; // ENODEV: unmounted; EBADF: closed by us
        if (code !== 'ENODEV' && code !== 'EBADF') this.#onError(e);
        return;
      }
      if (n < 40) continue;
      this.#dispatch(decodeHeader(buffer.subarray(0, n)));
    }
  }

  #write(parts: Buffer[]): void {
    if (this.#closed) return;
    try {
      if (parts.length === 1) writeSync(this.#fd, parts[0]!);
      else writevSync(this.#fd, parts);
    } catch (e) {
      // ENOENT: the request was interrupted meanwhile; ENODEV/EBADF: the session is over.
      const code = errnoOf(e);
      if (code !== 'ENOENT' && code !== 'ENODEV' && code !== 'EBADF') this.#onError(e);
    }
  }

  #reply(req: FuseRequest, payload: Buffer | null): void {
    const length = 16 + (payload?.length ?? 0);
    const header = encodeOutHeader(length, 0, req.unique);
    this.#write(payload === null || payload.length === 0 ? [header] : [header, payload]);
  }

  #fail(req: FuseRequest, errno: number): void {
    this.#write([encodeOutHeader(16, -errno, req.unique)]);
  }

  /** Runs a handler and replies with its payload, or with the errno of its failure. */
  #answer(req: FuseRequest, handler: () => Buffer | null | Promise<Buffer | null>): void {
    const failed = (e: unknown) => {
      if (e instanceof FuseError) this.#fail(req, e.errno);
      else {
        this.#onError(e);
        this.#fail(req, ERRNO.EIO);
      }
    };
    let result: Buffer | null | Promise<Buffer | null>;
    try {
      result = handler();
    } catch (e) {
      failed(e);
      return;
    }
    if (result instanceof Promise) result.then((payload) => this.#reply(req, payload), failed);
    else this.#reply(req, result);
  }

  #dispatch(req: FuseRequest): void {
    const ops = this.#ops;
    const { opcode, nodeid, args } = req;
    if (opcode === OP.INIT) return this.#init(req);
    if (!this.#initialized) return this.#fail(req, ERRNO.EIO);
    switch (opcode) {
      case OP.FORGET: case OP.BATCH_FORGET: case OP.INTERRUPT:
        return; // no reply: our nodes live as long as the mount, and answers are quick
      case OP.DESTROY:
        this.#ended = true;
        ops.destroy();
        return this.#reply(req, null);
    }
    if (this.#allowed !== undefined && !this.#allowed.has(req.uid)) return this.#fail(req, ERRNO.EACCES);
    if (WRITE_OPS.has(opcode)) return this.#fail(req, ERRNO.EROFS);
    const ttl = this.#cacheSeconds;
    switch (opcode) {
      case OP.LOOKUP: {
        const name = decodeName(args);
        return this.#answer(req, () => then(ops.lookup(nodeid, name), (attr) => encodeEntryOut(attr, ttl)));
      }
      case OP.GETATTR:
        return this.#answer(req, () => then(ops.getattr(nodeid), (attr) => encodeAttrOut(attr, ttl)));
      case OP.READLINK:
        return this.#answer(req, () => ops.readlink(nodeid));
      case OP.OPEN: {
        const flags = decodeOpenFlags(args);
        return this.#answer(req, () => then(ops.open(nodeid, flags), (fh) => encodeOpenOut(fh, FOPEN_KEEP_CACHE)));
      }
      case OP.READ: {
        const { fh, offset, size } = decodeReadIn(args);
        return this.#answer(req, () => ops.read(fh, offset, size));
      }
      case OP.RELEASE: {
        const fh = decodeFh(args);
        return this.#answer(req, () => (ops.release(fh), null));
      }
      case OP.OPENDIR:
        return this.#answer(req, () => then(ops.opendir(nodeid), (fh) => encodeOpenOut(fh, FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE)));
      case OP.READDIR: case OP.READDIRPLUS: {
        const { offset, size } = decodeReadIn(args);
        const plus = opcode === OP.READDIRPLUS;
        return this.#answer(req, () => then(ops.readdir(nodeid, offset), (entries) => this.#encodeDir(entries, offset, size, plus)));
      }
      case OP.RELEASEDIR: {
        const fh = decodeFh(args);
        return this.#answer(req, () => (ops.releasedir(fh), null));
      }
      case OP.STATFS:
        return this.#answer(req, () => encodeStatfsOut(ops.statfs()));
      case OP.GETXATTR: {
        const size = decodeXattrSize(args);
        const name = decodeName(args, 8);
        return this.#answer(req, () => then(ops.getxattr(nodeid, name), (value) => sized(value, size)));
      }
      case OP.LISTXATTR: {
        const size = decodeXattrSize(args);
        return this.#answer(req, () => then(ops.listxattr(nodeid), (names) => sized(Buffer.concat(names.flatMap((n) => [n, Buffer.alloc(1)])), size)));
      }
      case OP.ACCESS: {
        const mask = decodeAccessMask(args);
        return this.#answer(req, () => {
          if (mask & W_OK) throw new FuseError(ERRNO.EROFS);
          return null;
        });
      }
      case OP.FLUSH:
        return this.#reply(req, null);
      case OP.LSEEK: {
        const { fh, offset, whence } = decodeLseek(args);
        return this.#answer(req, () => then(ops.lseek(fh, offset, whence), encodeLseekOut));
      }
      default:
        return this.#fail(req, ERRNO.ENOSYS);
    }
  }

  #init(req: FuseRequest): void {
    const init = decodeInit(req.args);
    if (init.major !== FUSE_KERNEL_VERSION) {
      // A newer major: tell the kernel ours, it then sends INIT again or gives up.
      if (init.major > FUSE_KERNEL_VERSION) return this.#reply(req, encodeInitOut({ minor: FUSE_OUR_MINOR, maxReadahead: 0, flags: 0, maxBackground: 0, congestionThreshold: 0, maxWrite: 0, maxPages: 0 }));
      return this.#fail(req, ERRNO.EPROTO);
    }
    const minor = Math.min(init.minor, FUSE_OUR_MINOR);
    const flags = init.flags & WANTED_FLAGS;
    this.#initialized = true;
    this.#reply(req, encodeInitOut({
      minor, maxReadahead: init.maxReadahead, flags, maxBackground: 16, congestionThreshold: 12, maxWrite: MAX_WRITE,
      maxPages: flags & INIT.MAX_PAGES ? MAX_PAGES : 0,
    }));
  }

  #encodeDir(entries: Iterable<DirEntry>, offset: number, size: number, plus: boolean): Buffer {
    const out = Buffer.allocUnsafe(size);
    let used = 0;
    let position = offset;
    for (const entry of entries) {
      const need = direntSize(entry.name.length, plus);
      if (used + need > size) break;
      position += 1;
      const attr: FuseAttr | null = plus && entry.attr !== undefined ? entry.attr() : null;
      used += writeDirent(out, used, entry.name, entry.ino, position, entry.mode, plus ? { attr, validSeconds: attr === null ? 0 : this.#cacheSeconds } : null);
    }
    return out.subarray(0, used);
  }
}

function then<T, R>(value: T | Promise<T>, f: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** An xattr value or name list for a caller buffer of `size` bytes (0: only the length). */
function sized(value: Buffer, size: number): Buffer {
  if (size === 0) return encodeXattrSize(value.length);
  if (value.length > size) throw new FuseError(ERRNO.ERANGE);
  return value;
}
