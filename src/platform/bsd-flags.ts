// borg's item.bsdflags on Linux: the inode flags (chattr) mapped to BSD flag values (spec §5.4).
import { constants } from 'node:fs';
import { getArchivedFlags, getFlags, inodeFlagBits, setFlags, type PathArg, type SystemError } from './native.js';

/** BSD flag values as stored in items (macOS/FreeBSD stat.h). */
export const UF_NODUMP = 0x1;
export const UF_IMMUTABLE = 0x2;
export const UF_APPEND = 0x4;
export const UF_COMPRESSED = 0x20;

function mapping(): [bsd: number, linux: number][] {
  const fl = inodeFlagBits();
  return [
    [UF_NODUMP, fl.nodump],
    [UF_IMMUTABLE, fl.immutable],
    [UF_APPEND, fl.append],
    [UF_COMPRESSED, fl.compressed],
  ];
}

/** Linux inode flags -> BSD flags; borg 1.2.4 maps COMPRESSED too, so archives may carry 0x20. */
export function linuxToBsdFlags(linuxFlags: number): number {
  let bsd = 0;
  for (const [b, l] of mapping()) if (linuxFlags & l) bsd |= b;
  return bsd;
}

/** BSD flags -> Linux inode flags (all four mapped bits). */
export function bsdToLinuxFlags(bsdFlags: number): number {
  let linux = 0;
  for (const [b, l] of mapping()) if (bsdFlags & b) linux |= l;
  return linux >>> 0;
}

// Opening devices can be slow (absent hardware) and symlinks cannot be opened without following
// them, so borg never asks for their flags.
function skipped(mode: number): boolean {
  const type = mode & constants.S_IFMT;
  return type === constants.S_IFBLK || type === constants.S_IFCHR || type === constants.S_IFLNK;
}

/** borg's get_flags: the item's bsdflags, 0 when the file system has none or the file cannot be opened. */
export function readBsdFlags(target: PathArg | number, mode: number): number {
  if (typeof target !== 'number' && skipped(mode)) return 0;
  try {
    return linuxToBsdFlags(getArchivedFlags(target));
  } catch (e) {
    if (typeof (e as Partial<SystemError>).syscall === 'string') return 0;
    throw e;
  }
}

/**
 * borg's set_flags (as fixed after 1.2.4, borg #9039): changes only NODUMP, IMMUTABLE and APPEND
 * and keeps all other inode flags, since some are not settable from user space and writing them
 * back would fail or corrupt them. Gives up silently when the current flags cannot be read, and
 * ignores file systems that refuse (EOPNOTSUPP, or ENOTTY from some kernels); other errors, e.g.
 * EPERM without CAP_LINUX_IMMUTABLE, are thrown.
 */
export function writeBsdFlags(target: PathArg | number, bsdFlags: number, mode?: number): void {
  if (typeof target !== 'number' && mode !== undefined && skipped(mode)) return;
  const fl = inodeFlagBits();
  const mask = fl.nodump | fl.immutable | fl.append;
  let current: number;
  try {
    current = getFlags(target);
  } catch (e) {
    if (typeof (e as Partial<SystemError>).syscall === 'string') return;
    throw e;
  }
  const wanted = ((current & ~mask) | (bsdToLinuxFlags(bsdFlags) & mask)) >>> 0;
  if (wanted === current) return;
  try {
    setFlags(target, wanted);
  } catch (e) {
    const code = (e as Partial<SystemError>).code;
    if (code === 'ENOTSUP' || code === 'ENOTTY') return;
    throw e;
  }
}
