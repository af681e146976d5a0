// Server exceptions → the errors a local repository raises for the same condition (spec §6.5), so
// that messages and exit codes do not depend on where the repository is. The server names the class
// and sends its constructor arguments; the classes borg's client rebuilds take the location as the
// user wrote it, the others keep the server's arguments. Unknown classes become a RemoteError
// carrying the server's own message.
import { BorgError, IntegrityError } from '../errors.js';
import type { MsgValue } from '../format/msgpack.js';
import {
  AlreadyExists, AtticRepository, CheckNeeded, DoesNotExist, InsufficientFreeSpaceError, InvalidRepository,
  InvalidRepositoryConfig, LockError, LockFailed, LockTimeout, NonceReservationMismatch, NotLocked, NotMyLock,
  ObjectNotFound, ParentPathDoesNotExist, PathAlreadyExists, RepositoryAppendOnly, StorageQuotaExceeded,
} from '../repository/errors.js';
import { PathNotAllowed, RemoteError } from './errors.js';
import { InvalidRPCMethod, type RemoteErrorInfo } from './rpc/rpc-codec.js';

/** Where the error happened, for the classes that name the repository. */
export interface ErrorContext {
  /** The location as the user wrote it (placeholders replaced), like borg's `location.processed`. */
  location: string;
  /** The request's msgid. */
  msgid: number;
}

function text(value: MsgValue | undefined): string | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Builders by class name; `arg(i)` is the i-th exception argument as text ('(not available)' if missing). */
const KNOWN: Record<string, (arg: (i: number) => string, ctx: ErrorContext) => BorgError> = {
  DoesNotExist: (_a, ctx) => new DoesNotExist(ctx.location),
  AlreadyExists: (_a, ctx) => new AlreadyExists(ctx.location),
  CheckNeeded: (_a, ctx) => new CheckNeeded(ctx.location),
  ObjectNotFound: (a, ctx) => new ObjectNotFound(a(0), ctx.location),
  IntegrityError: (a) => new IntegrityError(a(0)),
  AtticRepository: (a) => new AtticRepository(a(0)),
  PathNotAllowed: (a) => new PathNotAllowed(a(0)),
  ParentPathDoesNotExist: (a) => new ParentPathDoesNotExist(a(0)),
  PathAlreadyExists: (a) => new PathAlreadyExists(a(0)),
  InvalidRepository: (a) => new InvalidRepository(a(0)),
  InvalidRepositoryConfig: (a) => new InvalidRepositoryConfig(a(0), a(1)),
  InsufficientFreeSpaceError: (a) => new InsufficientFreeSpaceError(a(0), a(1)),
  StorageQuotaExceeded: (a) => new StorageQuotaExceeded(a(0), a(1)),
  LockTimeout: (a) => new LockTimeout(a(0)),
  LockFailed: (a) => new LockFailed(a(0), a(1)),
  NotLocked: (a) => new NotLocked(a(0)),
  NotMyLock: (a) => new NotMyLock(a(0)),
  // borg-ts names conditions borg raises as plain exceptions; a borg-ts server sends these names.
  RepositoryAppendOnly: (a) => new RepositoryAppendOnly(a(0), a(1)),
  NonceReservationMismatch: () => new NonceReservationMismatch(),
  InvalidRPCMethod: (a, ctx) => new InvalidRPCMethod(ctx.msgid, a(0)),
};

/** The local error for a server's error response. A legacy (1.0.x) server sends no arguments. */
export function errorFromRemote(info: RemoteErrorInfo, ctx: ErrorContext): BorgError {
  const arg = (i: number): string => text(info.args[i]) ?? '(not available)';
  // LockError takes a path and an optional detail.
  if (info.className === 'LockError') return new LockError(arg(0), text(info.args[1]));
  const build = KNOWN[info.className];
  return build !== undefined ? build(arg, ctx) : genericRemoteError(info);
}

/**
 * borg's client shows the short message of a server error, or its whole traceback when the server
 * marks it as interesting (not for lock timeouts, which are routine).
 */
function genericRemoteError(info: RemoteErrorInfo): RemoteError {
  const short = info.short.join('\n').trim();
  const full = info.full.join('\n').trim();
  const important = info.trace && info.className !== 'LockTimeout' && full !== '';
  const message = important ? full : short || `${info.className} on the repository server (see the server log)`;
  return new RemoteError(info.className, message, info.args.map((a) => text(a) ?? null), full, info.sysinfo);
}
