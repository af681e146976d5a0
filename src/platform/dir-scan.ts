// A directory listing with each entry's lstat, read off the main thread in one native call
// (native/dir-scan.c): the backup walk then needs no system call per entry. Besides the stat
// fields, an entry may say what its inode flags are and that it has no xattrs at all (so neither
// xattrs nor ACLs need reading); where the scan could not tell, callers do their usual calls.
import { lstatSync, type BigIntStats } from 'node:fs';
import { scanDirRecords, type PathArg } from './native.js';

/** The stat fields the backup uses; node's BigIntStats and ScannedStat both fit. */
export type StatInfo = Pick<BigIntStats, 'dev' | 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'rdev' | 'size' | 'atimeNs' | 'mtimeNs' | 'ctimeNs'>;

const RECORD_SIZE = 96;
const BIT_FLAGS = 1;
const BIT_NO_XATTRS = 2;
const BIT_TIMES = 4;

/** lstat fields from the scan, plus what it learnt about flags and xattrs. */
export class ScannedStat implements StatInfo {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: bigint;
  readonly nlink: bigint;
  readonly uid: bigint;
  readonly gid: bigint;
  readonly rdev: bigint;
  readonly size: bigint;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  /** The FS_*_FL bits borg archives (as getArchivedFlags reads them), or null if not known. */
  readonly inodeFlags: number | null;
  /** The entry has no xattrs at all (hence no ACL), or its file system has none. */
  readonly noXattrs: boolean;

  constructor(buf: Buffer, off: number, bits: number) {
    this.mode = BigInt(buf.readUInt32LE(off + 12));
    this.uid = BigInt(buf.readUInt32LE(off + 16));
    this.gid = BigInt(buf.readUInt32LE(off + 20));
    this.nlink = BigInt(buf.readUInt32LE(off + 24));
    this.inodeFlags = bits & BIT_FLAGS ? buf.readUInt32LE(off + 32) : null;
    this.noXattrs = (bits & BIT_NO_XATTRS) !== 0;
    this.dev = buf.readBigUInt64LE(off + 40);
    this.ino = buf.readBigUInt64LE(off + 48);
    this.size = buf.readBigUInt64LE(off + 56);
    this.rdev = buf.readBigUInt64LE(off + 64);
    this.atimeNs = buf.readBigInt64LE(off + 72);
    this.mtimeNs = buf.readBigInt64LE(off + 80);
    this.ctimeNs = buf.readBigInt64LE(off + 88);
  }
}

export interface ScannedEntry {
  /** The name's exact bytes (a view into the scan's buffer). */
  name: Buffer;
  /** null when the entry could not be stat'ed (it vanished, or permissions). */
  st: StatInfo | null;
}

/**
 * The entries of directory `path` in the order the file system lists them, without "." and "..".
 * `wantFlags`/`wantXattrs` ask for the flag and xattr-presence data. Rejects like opendir/readdir.
 */
export async function scanDir(path: PathArg, wantFlags: boolean, wantXattrs: boolean): Promise<ScannedEntry[]> {
  const buf = await scanDirRecords(path, wantFlags, wantXattrs);
  const count = buf.readUInt32LE(0);
  const namesAt = 4 + count * RECORD_SIZE;
  const entries = new Array<ScannedEntry>(count);
  for (let i = 0; i < count; i++) {
    const off = 4 + i * RECORD_SIZE;
    const nameOff = namesAt + buf.readUInt32LE(off);
    const name = buf.subarray(nameOff, nameOff + buf.readUInt32LE(off + 4));
    let st: StatInfo | null = null;
    if (buf.readInt32LE(off + 8) === 0) {
      const bits = buf.readUInt32LE(off + 28);
      // Times beyond what 64-bit nanoseconds hold: node's own lstat computes them exactly.
      st = bits & BIT_TIMES ? new ScannedStat(buf, off, bits) : lstatOrNull(path, name);
    }
    entries[i] = { name, st };
  }
  return entries;
}

function lstatOrNull(dir: PathArg, name: Buffer): BigIntStats | null {
  const d = typeof dir === 'string' ? Buffer.from(dir, 'utf8') : dir;
  const sep = d.length > 0 && d[d.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  try {
    return lstatSync(Buffer.concat([d, ...sep, name]), { bigint: true });
  } catch {
    return null;
  }
}
