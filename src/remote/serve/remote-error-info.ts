// How an exception raised while serving a request crosses the wire (spec §6.5): the class name the
// client maps back to its own errors, the constructor arguments, the message, a traceback and a
// description of the server. BorgErrors are expected conditions (no traceback of interest); anything
// else is a fault whose traceback the client shows.
import { arch, hostname, release, type as osType } from 'node:os';
import { BorgError } from '../../errors.js';
import { BORG_VERSION } from '../../version.js';
import { exceptionArgs, type RemoteErrorInfo } from '../rpc/rpc-codec.js';

/** Python's names for the OS errors Node reports by errno code. */
const OS_ERROR_CLASSES: Readonly<Record<string, string>> = {
  ENOENT: 'FileNotFoundError', EEXIST: 'FileExistsError', EACCES: 'PermissionError', EPERM: 'PermissionError',
  ENOTDIR: 'NotADirectoryError', EISDIR: 'IsADirectoryError', EPIPE: 'BrokenPipeError', EINTR: 'InterruptedError',
};

/** The class name borg's client sees for an error. */
export function remoteClassName(error: unknown): string {
  if (error instanceof BorgError) return error.code;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return OS_ERROR_CLASSES[code] ?? 'OSError';
  return error instanceof Error ? error.name : 'Exception';
}

/** Error classes the client rebuilds itself: borg's server does not log their traceback. */
export const CLIENT_REBUILT: ReadonlySet<string> = new Set(['DoesNotExist', 'AlreadyExists', 'PathNotAllowed']);

/** borg's sysinfo(): what a bug report about the server needs; empty with BORG_SHOW_SYSINFO=no. */
export function serverSysinfo(env: Readonly<Record<string, string | undefined>>, argv: readonly string[], cwd: string): string {
  if (env['BORG_SHOW_SYSINFO'] === 'no') return '';
  return [
    `Platform: ${osType()} ${hostname()} ${release()} ${arch()}`,
    `borg-ts: ${BORG_VERSION}  Node.js: ${process.version}`,
    `PID: ${process.pid}  CWD: ${cwd}`,
    `argv: ${JSON.stringify(argv)}`,
    `SSH_ORIGINAL_COMMAND: ${JSON.stringify(env['SSH_ORIGINAL_COMMAND'] ?? null)}`,
    '',
  ].join('\n');
}

export function remoteErrorInfo(error: unknown, sysinfo: string): RemoteErrorInfo {
  const className = remoteClassName(error);
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && error.stack !== undefined ? error.stack : `${className}: ${message}`;
  if (error instanceof BorgError) {
    // The client reads argument 0 of some classes (IntegrityError, ...): never leave it empty.
    const args = error.args.length > 0 ? error.args : [message];
    return { className, args: exceptionArgs(args), short: [message], full: stack.split('\n'), trace: false, sysinfo };
  }
  return { className, args: exceptionArgs([message]), short: [`${className}: ${message}`], full: stack.split('\n'), trace: true, sysinfo };
}
