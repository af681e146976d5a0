// Extended attributes the way borg archives and restores them (xattr.py get_all / set_all):
// never following symlinks, without the POSIX ACL xattrs (archived separately, see posix-acl.ts),
// and an empty value stored as null.
import {
  fgetxattr,
  flistxattr,
  fsetxattr,
  lgetxattr,
  llistxattr,
  lsetxattr,
  type PathArg,
  type SystemError,
} from './native.js';

export type XattrList = [name: Buffer, value: Buffer | null][];

const ACL_PREFIX = Buffer.from('system.posix_acl_');

function codeOf(e: unknown): string | undefined {
  return typeof (e as Partial<SystemError>).syscall === 'string' ? (e as SystemError).code : undefined;
}

/**
 * All xattrs of a path (not following a final symlink) or an open fd. An attribute removed since
 * the listing is skipped silently; other per-attribute errors (EPERM, EINVAL) go to `warn` and the
 * attribute is skipped. ENOTSUP / EPERM on listing mean "no xattrs"; other listing errors throw.
 */
export function readXattrs(target: PathArg | number, warn: (name: Buffer, error: Error) => void = () => {}): XattrList {
  let names: Buffer[];
  try {
    names = typeof target === 'number' ? flistxattr(target) : llistxattr(target);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOTSUP' || code === 'EPERM') return [];
    throw e;
  }
  const result: XattrList = [];
  for (const name of names) {
    if (name.subarray(0, ACL_PREFIX.length).equals(ACL_PREFIX)) continue;
    try {
      const value = typeof target === 'number' ? fgetxattr(target, name) : lgetxattr(target, name);
      result.push([name, value.length > 0 ? value : null]);
    } catch (e) {
      if (codeOf(e) === 'ENODATA') continue;
      if (codeOf(e) === undefined) throw e;
      warn(name, e as Error);
    }
  }
  return result;
}

/**
 * Sets the given xattrs (null = empty value). Failures of single attributes (E2BIG, ENOSPC from
 * ext4's 4 KiB limit, EACCES/EPERM for security.* or trusted.*) go to `warn`; returns whether any did.
 */
export function writeXattrs(
  target: PathArg | number,
  xattrs: Iterable<readonly [name: Uint8Array | string, value: Uint8Array | null]>,
  warn: (name: Uint8Array | string, error: Error) => void = () => {},
): boolean {
  let warned = false;
  const empty = Buffer.alloc(0);
  for (const [name, value] of xattrs) {
    try {
      if (typeof target === 'number') fsetxattr(target, name, value ?? empty);
      else lsetxattr(target, name, value ?? empty);
    } catch (e) {
      if (codeOf(e) === undefined) throw e;
      warned = true;
      warn(name, e as Error);
    }
  }
  return warned;
}
