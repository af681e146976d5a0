// Why one item was not (fully) extracted. Like borg's BackupError and BackupOSError these never
// stop an extraction: the item is reported as a warning (exit code 1) and the next one follows.
// Errors of the repository (a missing or corrupted chunk) are not item problems and stop it.
import { getSystemErrorMap } from 'node:util';

import type { SystemError } from '../../platform/native.js';

/** A problem with one item; `code` is borg's warning class name (for BORG_EXIT_CODES=modern). */
export class ItemWarning extends Error {
  constructor(message: string, readonly code: string = 'BackupError') {
    super(message);
  }
}

/** An error of a system call (node:fs or the native addon), as opposed to a bug. */
export function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as Partial<SystemError>).syscall === 'string'
    && typeof (error as Partial<SystemError>).code === 'string';
}

/** borg 1.4's warning class for an OS error (its BackupOSError subclasses). */
export function osWarningCode(error: SystemError): string {
  switch (error.code) {
    case 'EPERM': case 'EACCES': return 'BackupPermissionError';
    case 'ENOENT': return 'BackupFileNotFoundError';
    case 'EIO': return 'BackupIOError';
    default: return 'BackupOSError';
  }
}

let descriptions: Map<number, [string, string]> | undefined;

// glibc's strerror texts (what Python and so borg print) where libuv words them differently.
const GLIBC_TEXTS: Readonly<Record<string, string>> = {
  ENAMETOOLONG: 'File name too long', EEXIST: 'File exists', ELOOP: 'Too many levels of symbolic links',
  EISDIR: 'Is a directory', EXDEV: 'Invalid cross-device link', ENOTSUP: 'Operation not supported',
  EIO: 'Input/output error', EBUSY: 'Device or resource busy', ETXTBSY: 'Text file busy', EBADF: 'Bad file descriptor',
};

/** Python's str(OSError): "[Errno 2] No such file or directory: '/x'", as borg prints it. */
export function describeOsError(error: SystemError): string {
  descriptions ??= getSystemErrorMap();
  // node:fs gives errno negative (libuv), the addon's errors follow that convention too.
  const errno = Math.abs(error.errno);
  const text = GLIBC_TEXTS[error.code] ?? descriptions.get(-errno)?.[1] ?? error.code;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return `[Errno ${errno}] ${sentence}${error.path !== undefined ? `: '${error.path}'` : ''}`;
}
