// What an item records about a file system object besides its content (spec §5.4), as borg's
// MetadataCollector gathers it: the stat fields (mode, owner, times) and the "extended" ones
// (BSD flags, xattrs, POSIX ACLs), each of which can be switched off.
import { readAcl } from '../../platform/posix-acl.js';
import { linuxToBsdFlags, readBsdFlags } from '../../platform/bsd-flags.js';
import { ScannedStat, type StatInfo } from '../../platform/dir-scan.js';
import { gid2group, uid2user } from '../../platform/users.js';
import { readXattrs } from '../../platform/xattrs.js';
import type { Item } from '../item.js';
import { backupIo } from './backup-errors.js';

export interface MetadataOptions {
  /** --atime: store atime (not stored by default since borg 1.2). */
  atime: boolean;
  noctime: boolean;
  /** Linux has no birth time in stat(); the option exists for the command line's sake. */
  nobirthtime: boolean;
  numericIds: boolean;
  noflags: boolean;
  noacls: boolean;
  noxattrs: boolean;
}

/** borg stores times clamped to [0, (2**31 - 1 - 48 h) s] so that 32-bit readers cope (safe_ns). */
const MAX_NS = BigInt(2 ** 31 - 1 - 48 * 3600) * 1_000_000_000n;

export function safeNs(ns: bigint): bigint {
  return ns < 0n ? 0n : ns > MAX_NS ? MAX_NS : ns;
}

/** borg's get_flags for `fsPath` with lstat `st`: from the directory scan when it read them. */
export function bsdFlagsOf(fsPath: string | Buffer, st: StatInfo): number {
  if (st instanceof ScannedStat && st.inodeFlags !== null) return st.inodeFlags === 0 ? 0 : linuxToBsdFlags(st.inodeFlags);
  return readBsdFlags(fsPath, Number(st.mode));
}

export class MetadataCollector {
  constructor(private readonly options: MetadataOptions) {}

  /** mode, uid, gid, user, group and the times (borg's stat_simple_attrs). */
  simpleAttrs(st: StatInfo, item: Item): void {
    item.mode = Number(st.mode);
    item.uid = Number(st.uid);
    item.gid = Number(st.gid);
    item.mtime = safeNs(st.mtimeNs);
    if (this.options.atime) item.atime = safeNs(st.atimeNs);
    if (!this.options.noctime) item.ctime = safeNs(st.ctimeNs);
    if (this.options.numericIds) {
      item.user = null;
      item.group = null;
    } else {
      item.user = uid2user(item.uid);
      item.group = gid2group(item.gid);
    }
  }

  /**
   * BSD flags, xattrs and ACLs of `fsPath` itself (never following a symlink), borg's
   * stat_ext_attrs. `displayPath` names the object in warnings about single xattrs. What the
   * directory scan already found out (`st` a ScannedStat) needs no system call.
   */
  extAttrs(path: string | Buffer, st: StatInfo, item: Item, warn: (message: string) => void, displayPath: string): void {
    const mode = Number(st.mode);
    const scanned = st instanceof ScannedStat ? st : null;
    if (!this.options.noflags) {
      const flags = backupIo('extended stat (flags)', undefined, () => bsdFlagsOf(path, st));
      if (flags) item.bsdflags = flags;
    }
    // No xattrs at all: no ACL either (the kernel lists system.posix_acl_* when present).
    if (scanned !== null && scanned.noXattrs) return;
    // The bytes once for the system calls below, not once per call.
    const fsPath = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
    if (!this.options.noxattrs) {
      const xattrs = backupIo('extended stat (xattrs)', undefined, () => readXattrs(fsPath, (name, error) => {
        warn(`${displayPath}: xattr ${name.toString('latin1')}: ${error.message}`);
      }));
      if (xattrs.length > 0) item.xattrs = new Map(xattrs.map(([name, value]) => [name.toString('latin1'), value]));
    }
    if (!this.options.noacls) {
      const acls = backupIo('extended stat (ACLs)', undefined, () => readAcl(fsPath, { numericIds: this.options.numericIds, mode }));
      if (acls.access !== undefined) item.aclAccess = acls.access;
      if (acls.default !== undefined) item.aclDefault = acls.default;
    }
  }
}
