// Mounting and unmounting a FUSE file system without libfuse. As root: open /dev/fuse and call
// mount(2) with the descriptor in the options (what libfuse does). Otherwise: let the setuid helper
// fusermount3 mount, and receive the /dev/fuse descriptor it opened over a socket pair
// (_FUSE_COMMFD, SCM_RIGHTS). Unmounting is umount2(2) as root, `fusermount3 -u` otherwise.
import { spawnSync } from 'node:child_process';
import { closeSync, statSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';

import { mount, openFuseDevice, receiveFd, socketpair, umount2, type SystemError } from './native.js';

export interface FuseMountOptions {
  /** Shown as the source in /proc/mounts ("borgfs"). */
  fsName: string;
  /** Type "fuse.SUBTYPE" instead of "fuse". */
  subtype?: string;
  /** The kernel checks permissions against the modes and owners we report. */
  defaultPermissions: boolean;
  /** Other users may enter the mount (fusermount3 needs user_allow_other in /etc/fuse.conf). */
  allowOther: boolean;
}

export class FuseMountError extends Error {
  constructor(message: string, readonly errno?: string) {
    super(message);
  }
}

const FUSERMOUNT = 'fusermount3';
const S_IFMT = 0o170000;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function describe(e: unknown): string {
  const err = e as SystemError;
  if (typeof err?.errno === 'number') {
    const text = getSystemErrorMap().get(err.errno)?.[1] ?? err.message;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return e instanceof Error ? e.message : String(e);
}

/** Mounts an empty FUSE file system on `mountpoint` (read-only, nosuid, nodev); returns the /dev/fuse descriptor to serve it on. */
export function mountFuse(mountpoint: string, options: FuseMountOptions): number {
  let st;
  try {
    st = statSync(mountpoint);
  } catch (e) {
    throw new FuseMountError(`bad mount point ${mountpoint}: ${describe(e)}`, (e as SystemError).code);
  }
  if (!st.isDirectory()) throw new FuseMountError(`bad mount point ${mountpoint}: Not a directory`, 'ENOTDIR');
  return isRoot() ? mountAsRoot(mountpoint, options, st.mode & S_IFMT) : mountWithFusermount(mountpoint, options);
}

function mountAsRoot(mountpoint: string, options: FuseMountOptions, rootMode: number): number {
  const fd = openFuseDevice();
  const data = [`fd=${fd}`, `rootmode=${rootMode.toString(8)}`, `user_id=${process.getuid!()}`, `group_id=${process.getgid!()}`];
  if (options.defaultPermissions) data.push('default_permissions');
  if (options.allowOther) data.push('allow_other');
  const type = options.subtype !== undefined ? `fuse.${options.subtype}` : 'fuse';
  try {
    mount(options.fsName, mountpoint, type, { readOnly: true, noSuid: true, noDev: true }, data.join(','));
  } catch (e) {
    closeSync(fd);
    throw new FuseMountError(`mount of ${mountpoint} failed: ${describe(e)}`, (e as SystemError).code);
  }
  return fd;
}

function mountWithFusermount(mountpoint: string, options: FuseMountOptions): number {
  const opts = ['ro', 'nosuid', 'nodev', `fsname=${options.fsName}`];
  if (options.subtype !== undefined) opts.push(`subtype=${options.subtype}`);
  if (options.defaultPermissions) opts.push('default_permissions');
  if (options.allowOther) opts.push('allow_other');
  const [ours, theirs] = socketpair();
  try {
    const r = spawnSync(FUSERMOUNT, ['-o', opts.join(','), '--', mountpoint], {
      stdio: ['ignore', 'ignore', 'pipe', theirs], env: { ...process.env, _FUSE_COMMFD: '3' }, encoding: 'utf8',
    });
    closeSync(theirs);
    if (r.error !== undefined) throw new FuseMountError(`cannot run ${FUSERMOUNT}: ${describe(r.error)}`);
    if (r.status !== 0) throw new FuseMountError(r.stderr.trim() || `${FUSERMOUNT} failed with exit code ${r.status}`);
    const fd = receiveFd(ours);
    if (fd < 0) throw new FuseMountError(`${FUSERMOUNT} did not pass the /dev/fuse descriptor`);
    return fd;
  } finally {
    closeSync(ours);
  }
}

/**
 * Unmounts a FUSE file system. `lazy` detaches it even while it is busy (what a server does when it
 * stops); otherwise a busy mount is an error, as with `fusermount3 -u`.
 */
export function unmountFuse(mountpoint: string, options: { lazy?: boolean } = {}): void {
  if (isRoot()) {
    try {
      umount2(mountpoint, { detach: options.lazy ?? false });
    } catch (e) {
      throw new FuseMountError(`failed to unmount ${mountpoint}: ${describe(e)}`, (e as SystemError).code);
    }
    return;
  }
  const r = spawnSync(FUSERMOUNT, ['-u', ...(options.lazy ? ['-z'] : []), '--', mountpoint], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error !== undefined) throw new FuseMountError(`cannot run ${FUSERMOUNT}: ${describe(r.error)}`);
  if (r.status !== 0) throw new FuseMountError(r.stderr.trim() || `${FUSERMOUNT} -u failed with exit code ${r.status}`);
}
