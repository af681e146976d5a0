// Restoring an item's metadata after its content, in borg's order (spec §5.4): owner, mode (after
// chown, which clears suid/sgid), ACLs, xattrs (after chown, which drops security.capability),
// times in ns (atime defaults to mtime), and BSD flags last (immutable/append-only would block
// the rest). Like borg, only xattr failures are reported (as warnings); a failed chown (not root),
// ACL (file system without ACLs), utime or flag change is silently left as it is.
//
// With an open fd (regular files, directories) every call goes through the fd. Otherwise the
// path is used without following a final symlink where Linux allows it; where it does not
// (chmod), the path is a fifo or device this extraction just created below checked parents.
import { chmodSync, fchmodSync, fchownSync, lchownSync } from 'node:fs';

import { writeBsdFlags } from '../../platform/bsd-flags.js';
import { futimesNs, lutimesNs, type PathArg } from '../../platform/native.js';
import { writeAcl } from '../../platform/posix-acl.js';
import { group2gid, user2uid } from '../../platform/users.js';
import { writeXattrs } from '../../platform/xattrs.js';
import { isSymlink, type Item } from '../item.js';
import { describeOsError, isSystemError } from './errors.js';

export interface RestoreOptions {
  /** Use the stored uid/gid, not the ids the local user database has for the stored names. */
  numericIds: boolean;
  noAcls: boolean;
  noXattrs: boolean;
  noFlags: boolean;
  /** Receives one message per xattr that could not be set. */
  warn: (message: string) => void;
}

export interface AttrTarget {
  path: PathArg;
  /** An open fd of the file itself, when there is one. */
  fd?: number;
}

/** One id as borg's get_item_uid_gid picks it: the local id of the stored name, else the stored id (negative: 0). */
function localId(name: string | null | undefined, stored: number | undefined, lookup: (name: string) => number | null, numericIds: boolean): number {
  const local = numericIds || name === undefined || name === null ? null : lookup(name);
  if (local !== null) return local;
  // No id stored at all (not written by borg): -1 leaves it unchanged.
  if (stored === undefined) return -1;
  return stored < 0 ? 0 : stored;
}

export function ownerIds(item: Item, numericIds: boolean): { uid: number; gid: number } {
  return { uid: localId(item.user, item.uid, user2uid, numericIds), gid: localId(item.group, item.gid, group2gid, numericIds) };
}

/** Runs a metadata call whose system errors borg ignores. */
function ignoringOsErrors(call: () => void): void {
  try {
    call();
  } catch (error) {
    if (!isSystemError(error)) throw error;
  }
}

export function restoreAttrs(target: AttrTarget, item: Item, options: RestoreOptions): void {
  const { fd, path } = target;
  const symlink = isSymlink(item);
  const { uid, gid } = ownerIds(item, options.numericIds);
  if (uid !== -1 || gid !== -1) ignoringOsErrors(() => (fd !== undefined ? fchownSync(fd, uid, gid) : lchownSync(path, uid, gid)));
  // Linux cannot change a symlink's mode (it is always 0777); borg skips it too.
  if (!symlink) {
    const mode = item.mode & 0o7777;
    if (fd !== undefined) fchmodSync(fd, mode);
    else chmodSync(path, mode);
  }
  if (!options.noAcls && (item.aclAccess !== undefined || item.aclDefault !== undefined)) {
    try {
      writeAcl(path, { access: item.aclAccess ?? null, default: item.aclDefault ?? null }, { numericIds: options.numericIds, mode: item.mode });
    } catch {
      // borg ignores what libacl or the kernel refuse (unknown text, ENOTSUP, EINVAL)
    }
  }
  if (!options.noXattrs && item.xattrs !== undefined && item.xattrs.size > 0) {
    const entries = [...item.xattrs].map(([name, value]) => [Buffer.from(name, 'latin1'), value] as const);
    writeXattrs(fd ?? path, entries, (name, error) => {
      const shown = Buffer.from(name).toString('utf8'); // undecodable bytes shown as U+FFFD, like borg's 'replace'
      options.warn(`when setting extended attribute ${shown}: ${isSystemError(error) ? describeOsError(error) : error.message}`);
    });
  }
  const atime = item.atime ?? item.mtime;
  ignoringOsErrors(() => (fd !== undefined ? futimesNs(fd, atime, item.mtime) : lutimesNs(path, atime, item.mtime)));
  if (!options.noFlags && item.bsdflags !== undefined) {
    ignoringOsErrors(() => writeBsdFlags(fd ?? path, item.bsdflags!, item.mode));
  }
}
