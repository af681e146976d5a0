// What an item records about a file system object besides its content (spec §5.4), as borg's
// MetadataCollector gathers it: the stat fields (mode, owner, times) and the "extended" ones
// (BSD flags, xattrs, POSIX ACLs), each of which can be switched off.
import type { BigIntStats } from 'node:fs';
import { readAcl } from '../../platform/posix-acl.js';
import { readBsdFlags } from '../../platform/bsd-flags.js';
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

export class MetadataCollector {
  constructor(private readonly options: MetadataOptions) {}

  /** mode, uid, gid, user, group and the times (borg's stat_simple_attrs). */
  simpleAttrs(st: BigIntStats, item: Item): void {
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
   * stat_ext_attrs. `displayPath` names the object in warnings about single xattrs.
   */
  extAttrs(path: string | Buffer, mode: number, item: Item, warn: (message: string) => void, displayPath: string): void {
    // The bytes once for the three system calls below, not once per call (this runs for every file).
    const fsPath = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
    if (!this.options.noflags) {
      const flags = backupIo('extended stat (flags)', undefined, () => readBsdFlags(fsPath, mode));
      if (flags) item.bsdflags = flags;
    }
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
