// Errors of the client-side cache and security directory (borg's Cache.* exception names).
import { BorgError } from '../errors.js';

export class RepositoryReplay extends BorgError {
  constructor() {
    super('Cache or security information is newer than the repository: a replayed repository or several repositories with the same id');
  }
}

export class RepositoryIDNotUnique extends BorgError {
  constructor() {
    super('Cache is newer than the repository: several independently updated repositories share one id');
  }
}

export class EncryptionMethodMismatch extends BorgError {
  constructor() {
    super('Repository encryption method changed since last access, refusing to continue');
  }
}

export class RepositoryAccessAborted extends BorgError {
  constructor() {
    super('Repository access aborted');
  }
}

export class CacheInitAbortedError extends BorgError {
  constructor() {
    super('Cache initialization aborted');
  }
}
