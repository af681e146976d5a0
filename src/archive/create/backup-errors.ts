// Problems with one file system object during a backup. They never stop `create`: the object is
// skipped (status 'E'), a warning is logged and the run ends with exit code 1, as in borg. The
// messages read like borg's (Python's OSError text behind the failed operation), e.g.
//   data/x: open: [Errno 13] Permission denied: 'x'
// so that scripts which grep borg's warnings keep working.
import { constants } from 'node:os';

/** A non-OS problem, e.g. a file that was replaced between the walk and opening it. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }

  /** borg's warning class name, for the modern exit codes. */
  get warningCode(): string {
    return 'BackupError';
  }
}

// glibc's strerror() texts, which Python puts in OSError messages (libuv's are lower case and
// sometimes worded differently).
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', EIO: 'Input/output error',
  ENXIO: 'No such device or address', EBADF: 'Bad file descriptor', EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory', EACCES: 'Permission denied', EBUSY: 'Device or resource busy',
  ENODEV: 'No such device', ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system', EMFILE: 'Too many open files', ETXTBSY: 'Text file busy',
  EFBIG: 'File too large', ENOSPC: 'No space left on device', ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links', ENODATA: 'No data available', EOVERFLOW: 'Value too large for defined data type',
  ENOTSUP: 'Operation not supported', ESTALE: 'Stale file handle', EINTR: 'Interrupted system call',
};

/** Python's repr() of a file name as OSError shows it. */
function pythonRepr(name: string): string {
  const quote = name.includes("'") && !name.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xdc80 && c <= 0xdcff) out += `\\udc${(c & 0xff).toString(16)}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python's str(OSError): "[Errno 2] No such file or directory: 'name'". */
export function osErrorText(code: string, fallback: string, filename?: string): string {
  const errno = (constants.errno as Record<string, number>)[code];
  if (errno === undefined) return fallback;
  const text = `[Errno ${errno}] ${STRERROR[code] ?? fallback}`;
  return filename === undefined ? text : `${text}: ${pythonRepr(filename)}`;
}

/** An OS error while accessing a backup source (borg's BackupOSError): "op: [Errno N] text: 'name'". */
export class BackupOSError extends Error {
  constructor(readonly op: string, readonly code: string, osText: string) {
    super(op ? `${op}: ${osText}` : osText);
    this.name = 'BackupOSError';
  }

  /** borg 1.4's more specific warning classes (modern exit codes). */
  get warningCode(): string {
    if (this.code === 'EACCES' || this.code === 'EPERM') return 'BackupPermissionError';
    if (this.code === 'ENOENT') return 'BackupFileNotFoundError';
    if (this.code === 'EIO') return 'BackupIOError';
    return 'BackupOSError';
  }
}

/** Wraps a node:fs (or native addon) error of operation `op` on `filename`. */
export function backupOSError(op: string, error: unknown, filename?: string): Error {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return error as Error;
  return new BackupOSError(op, e.code, osErrorText(e.code, e.message, filename));
}

/** Runs `fn`, turning its system errors into BackupOSError for `op` (borg's `with backup_io(op)`). */
export function backupIo<T>(op: string, filename: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw backupOSError(op, e, filename);
  }
}

export function isBackupProblem(e: unknown): e is BackupError | BackupOSError {
  return e instanceof BackupError || e instanceof BackupOSError;
}
