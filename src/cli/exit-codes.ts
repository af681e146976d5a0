// Exit codes. borg 1.2 ("legacy", the default): 0 success, 1 warning, 2 error, 128+N signal N.
// With BORG_EXIT_CODES=modern, borg 1.4 gives each error class its own code (3..99) and each
// warning class its own (100..127); the table below is borg 1.4's list (docs/internals/frontends).

import { BorgError, EXIT_ERROR, EXIT_SUCCESS, EXIT_WARNING, IntegrityError } from '../errors.js';
import type { WarningRecord } from '../progress.js';

export const EXIT_SIGNAL_BASE = 128;

export type ExitCodeMode = 'legacy' | 'modern';

export function exitCodeMode(env: Readonly<Record<string, string | undefined>>): ExitCodeMode {
  return env['BORG_EXIT_CODES'] === 'modern' ? 'modern' : 'legacy';
}

// borg names errors by their qualified class name (msgid in --log-json, key of the table below).
// Our error codes are the bare class names that cross the RPC boundary; these are the unambiguous
// ones nested in a borg class. Repository vs Archive AlreadyExists/DoesNotExist cannot be told
// apart by code: such errors say which one they are with a `msgid` property.
const QUALIFIED: Record<string, string> = {
  AtticRepository: 'Repository.AtticRepository', CheckNeeded: 'Repository.CheckNeeded',
  InsufficientFreeSpaceError: 'Repository.InsufficientFreeSpaceError', InvalidRepository: 'Repository.InvalidRepository',
  InvalidRepositoryConfig: 'Repository.InvalidRepositoryConfig', ObjectNotFound: 'Repository.ObjectNotFound',
  ParentPathDoesNotExist: 'Repository.ParentPathDoesNotExist', PathAlreadyExists: 'Repository.PathAlreadyExists',
  StorageQuotaExceeded: 'Repository.StorageQuotaExceeded', PathPermissionDenied: 'Repository.PathPermissionDenied',
  IncompatibleFilesystemEncodingError: 'Archive.IncompatibleFilesystemEncodingError',
  CacheInitAbortedError: 'Cache.CacheInitAbortedError', EncryptionMethodMismatch: 'Cache.EncryptionMethodMismatch',
  RepositoryAccessAborted: 'Cache.RepositoryAccessAborted', RepositoryIDNotUnique: 'Cache.RepositoryIDNotUnique',
  RepositoryReplay: 'Cache.RepositoryReplay', RPCServerOutdated: 'RemoteRepository.RPCServerOutdated',
  MemoryLimitExceeded: 'Buffer.MemoryLimitExceeded',
};

const MODERN_CODES: Record<string, number> = {
  CancelledByUser: 3, CommandError: 4, PlaceholderError: 5, InvalidPlaceholder: 6,
  'Repository.AlreadyExists': 10, 'Repository.AtticRepository': 11, 'Repository.CheckNeeded': 12,
  'Repository.DoesNotExist': 13, 'Repository.InsufficientFreeSpaceError': 14, 'Repository.InvalidRepository': 15,
  'Repository.InvalidRepositoryConfig': 16, 'Repository.ObjectNotFound': 17, 'Repository.ParentPathDoesNotExist': 18,
  'Repository.PathAlreadyExists': 19, 'Repository.StorageQuotaExceeded': 20, 'Repository.PathPermissionDenied': 21,
  MandatoryFeatureUnsupported: 25, NoManifestError: 26, UnsupportedManifestError: 27,
  'Archive.AlreadyExists': 30, 'Archive.DoesNotExist': 31, 'Archive.IncompatibleFilesystemEncodingError': 32,
  KeyfileInvalidError: 40, KeyfileMismatchError: 41, KeyfileNotFoundError: 42, NotABorgKeyFile: 43,
  RepoKeyNotFoundError: 44, RepoIdMismatch: 45, UnencryptedRepo: 46, UnknownKeyType: 47,
  UnsupportedPayloadError: 48, UnsupportedKeyFormatError: 49,
  NoPassphraseFailure: 50, PasscommandFailure: 51, PassphraseWrong: 52, PasswordRetriesExceeded: 53,
  'Cache.CacheInitAbortedError': 60, 'Cache.EncryptionMethodMismatch': 61, 'Cache.RepositoryAccessAborted': 62,
  'Cache.RepositoryIDNotUnique': 63, 'Cache.RepositoryReplay': 64,
  LockError: 70, LockErrorT: 71, LockFailed: 72, LockTimeout: 73, NotLocked: 74, NotMyLock: 75,
  ConnectionClosed: 80, ConnectionClosedWithHint: 81, InvalidRPCMethod: 82, PathNotAllowed: 83,
  'RemoteRepository.RPCServerOutdated': 84, UnexpectedRPCDataFormatFromClient: 85,
  UnexpectedRPCDataFormatFromServer: 86, ConnectionBrokenWithHint: 87,
  IntegrityError: 90, FileIntegrityError: 91, DecompressionError: 92,
  ArchiveTAMInvalid: 95, ArchiveTAMRequiredError: 96, TAMInvalid: 97, TAMRequiredError: 98, TAMUnsupportedSuiteError: 99,
};

const MODERN_WARNING_CODES: Record<string, number> = {
  FileChangedWarning: 100, IncludePatternNeverMatchedWarning: 101, BackupError: 102,
  BackupRaceConditionError: 103, BackupOSError: 104, BackupPermissionError: 105, BackupIOError: 106,
  BackupFileNotFoundError: 107,
};

/** borg's msgid of an error: its qualified class name. */
export function errorMsgid(error: BorgError): string {
  const own = (error as { msgid?: unknown }).msgid;
  return typeof own === 'string' ? own : QUALIFIED[error.code] ?? error.code;
}

export function errorExitCode(error: BorgError, mode: ExitCodeMode): number {
  if (mode === 'legacy') return error.exitCode;
  // Subclasses of borg's IntegrityError inherit its code.
  return MODERN_CODES[errorMsgid(error)] ?? (error instanceof IntegrityError ? MODERN_CODES['IntegrityError']! : error.exitCode);
}

export function warningExitCode(warning: WarningRecord, mode: ExitCodeMode): number {
  if (mode === 'legacy') return EXIT_WARNING;
  return warning.modernExitCode ?? MODERN_WARNING_CODES[warning.code] ?? EXIT_WARNING;
}

export type ExitClass = 'success' | 'warning' | 'error' | 'signal';

export function classifyExitCode(code: number): ExitClass | undefined {
  if (code === EXIT_SUCCESS) return 'success';
  if (code === EXIT_WARNING || (code >= 100 && code < EXIT_SIGNAL_BASE)) return 'warning';
  if (code === EXIT_ERROR || (code >= 3 && code < 100)) return 'error';
  if (code >= EXIT_SIGNAL_BASE && code <= 255) return 'signal';
  return undefined;
}

/**
 * The process's exit code from the handler's result and the collected warnings: an error or signal
 * code stands; otherwise warnings turn success into a warning, which under modern codes is their
 * specific code when all warnings agree on one (borg 1.4's get_ec).
 */
export function finalExitCode(handlerCode: number, warnings: readonly WarningRecord[], mode: ExitCodeMode): number {
  if (handlerCode !== EXIT_SUCCESS || warnings.length === 0) return handlerCode;
  const codes = new Set(warnings.map((warning) => warningExitCode(warning, mode)));
  return codes.size === 1 ? [...codes][0]! : EXIT_WARNING;
}

/** The --show-rc line and the level borg logs it at. */
export function showRcMessage(code: number): { level: 'info' | 'warning' | 'error'; message: string } {
  const kind = classifyExitCode(code);
  const level = kind === 'success' ? 'info' : kind === 'warning' ? 'warning' : 'error';
  return { level, message: `terminating with ${kind ?? 'abnormal'} status, rc ${code}` };
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
const SIGNAL_TEXT = { SIGHUP: 'Received SIGHUP', SIGINT: 'Keyboard interrupt', SIGTERM: 'Received SIGTERM' } as const;

export type TerminatingSignal = keyof typeof SIGNAL_NUMBERS;

/** The abort reason when the process receives SIGINT, SIGTERM or SIGHUP. */
export class TerminationSignal extends Error {
  /**
   * Set by a command that handled the signal itself and chose its exit code (create writes a
   * checkpoint on SIGINT and then ends with borg's "Got Ctrl-C / SIGINT." error, exit 2).
   */
  handled = false;

  constructor(readonly signal: TerminatingSignal) {
    super(SIGNAL_TEXT[signal]);
    this.name = 'TerminationSignal';
  }

  /** 128 + the signal number: 130, 143, 129. */
  get exitCode(): number {
    return EXIT_SIGNAL_BASE + SIGNAL_NUMBERS[this.signal];
  }

  /** borg's msgid for the message (none for a keyboard interrupt). */
  get msgid(): string | undefined {
    return this.signal === 'SIGINT' ? undefined : `Signal.${this.signal}`;
  }
}
