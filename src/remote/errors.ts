// Errors of the remote layer. Codes are borg's class names (remote.py): they cross the RPC boundary
// and choose borg 1.4's specific exit codes (BORG_EXIT_CODES=modern).
import { BorgError } from '../errors.js';

/** The server refused the repository path (`serve --restrict-to-path/--restrict-to-repository`). */
export class PathNotAllowed extends BorgError {
  constructor(path: string) {
    super(`Repository path not allowed: ${path}`, { args: [path] });
  }
}

/** The connection to the server ended (ssh died, the server exited, the network broke). */
export class ConnectionClosed extends BorgError {
  constructor(detail?: string) {
    super(`Cannot reach the repository server: the connection was closed by the remote host${detail ? ` (${detail})` : ''}`, {
      args: detail ? [detail] : [],
    });
  }
}

/** The connection ended before the protocol was negotiated: usually no borg on the server. */
export class ConnectionClosedWithHint extends BorgError {
  constructor(hint: string) {
    super(`Cannot reach the repository server: the connection was closed by the remote host. ${hint}`, { args: [hint] });
  }
}

/** The server is older than a method or argument the client needs. */
export class RPCServerOutdated extends BorgError {
  constructor(method: string, requiredVersion: string) {
    super(`Cannot call ${method}: the borg server is too old, version ${requiredVersion} or newer is required`, {
      args: [method, requiredVersion], msgid: 'RemoteRepository.RPCServerOutdated',
    });
  }
}

/** The server answered the negotiation with something this client does not speak. */
export class UnsupportedRPCProtocol extends BorgError {
  constructor(description: string) {
    super(`Cannot use the repository server: it insisted on an unsupported protocol version ${description}`, { code: 'Error', args: [description] });
  }
}

/**
 * A server-side exception without a local counterpart (borg's RemoteRepository.RPCError): `code` is
 * the server's class name, the message its short text, or its traceback when that is of interest.
 */
export class RemoteError extends BorgError {
  constructor(
    className: string,
    message: string,
    args: unknown[],
    /** The server's traceback lines (exception_full). */
    readonly remoteTraceback: string,
    /** The server's system description (sysinfo). */
    readonly remoteSysinfo: string,
  ) {
    super(message, { code: className, args });
  }
}
