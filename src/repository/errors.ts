// Errors of the repository layer. Each `code` is the class name borg 1.2 uses for the same condition,
// because these names cross the RPC boundary (spec §6.5) and clients map them back by name.
// `args` mirror the positional arguments of borg's exception, e.g. ObjectNotFound(hex id, repo path).
import { BorgError, IntegrityError } from '../errors.js';
import { toHex } from '../format/bytes.js';

export { IntegrityError };

export class DoesNotExist extends BorgError {
  constructor(path: string) {
    super(`Cannot open repository ${path}: it does not exist`, { args: [path], msgid: 'Repository.DoesNotExist' });
  }
}

export class AlreadyExists extends BorgError {
  constructor(path: string) {
    super(`Cannot create a repository: there is already one at ${path}`, { args: [path], msgid: 'Repository.AlreadyExists' });
  }
}

export class PathAlreadyExists extends BorgError {
  constructor(path: string) {
    super(`Cannot create a repository at ${path}: something else is already there`, { args: [path] });
  }
}

export class ParentPathDoesNotExist extends BorgError {
  constructor(path: string) {
    super(`Cannot create a repository at ${path}: its parent directory does not exist`, { args: [path] });
  }
}

export class InvalidRepository extends BorgError {
  constructor(path: string) {
    super(`Cannot use ${path} as a repository: it is not a valid borg repository`, { args: [path] });
  }
}

export class InvalidRepositoryConfig extends BorgError {
  constructor(path: string, reason: string) {
    super(`Cannot use the configuration of repository ${path}: ${reason}`, { args: [path, reason] });
  }
}

export class AtticRepository extends BorgError {
  constructor(path: string) {
    super(`Cannot open ${path}: it is an Attic repository, convert it with "borg upgrade" first`, { args: [path] });
  }
}

export class CheckNeeded extends BorgError {
  constructor(path: string, reason?: string) {
    super(`Repository ${path} is inconsistent${reason ? ` (${reason})` : ''}, run "borg check"`, { args: [path] });
  }
}

export class ObjectNotFound extends BorgError {
  constructor(id: Uint8Array | string, repoPath: string) {
    const hex = typeof id === 'string' ? id : toHex(id);
    super(`Object ${hex} not found in repository ${repoPath}`, { args: [hex, repoPath] });
  }
}

export class InsufficientFreeSpaceError extends BorgError {
  constructor(required: string, available: string) {
    super(`Cannot commit: not enough free space (required ${required}, available ${available})`, {
      args: [required, available],
    });
  }
}

export class StorageQuotaExceeded extends BorgError {
  constructor(quota: string, use: string) {
    super(`Storage quota of ${quota} exceeded (${use} used), delete some archives`, { args: [quota, use] });
  }
}

/**
 * Refusal of a destructive operation (destroy, check --repair) on an append-only repository.
 * Borg raises a plain ValueError here; we give the condition its own name.
 */
export class RepositoryAppendOnly extends BorgError {
  constructor(path: string, action: string) {
    super(`Cannot ${action}: repository ${path} is in append-only mode`, { args: [path, action] });
  }
}

/** `commit_nonce_reservation` found a different nonce than the caller started from (borg: a plain Exception). */
export class NonceReservationMismatch extends BorgError {
  constructor() {
    super('Cannot reserve nonces: the repository nonce changed since it was read');
  }
}

// ---- locking (borg's locking.py) ----

export class LockError extends BorgError {
  constructor(path: string, detail?: string, args?: unknown[]) {
    super(`Cannot acquire the lock ${path}${detail ? ` (${detail})` : ''}`, { args: args ?? (detail ? [path, detail] : [path]) });
  }
}

export class LockTimeout extends LockError {
  constructor(path: string) {
    super(path, 'timeout', [path]);
  }
}

export class LockFailed extends LockError {
  constructor(path: string, reason: string) {
    super(path, reason);
  }
}

export class NotLocked extends BorgError {
  constructor(path: string) {
    super(`Cannot release the lock ${path}: it is not locked`, { args: [path] });
  }
}

export class NotMyLock extends BorgError {
  constructor(path: string) {
    super(`Cannot release the lock ${path}: it is held by someone else`, { args: [path] });
  }
}
