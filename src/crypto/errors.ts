// Errors of the crypto layer. Class names are borg's (they are the `code`, which crosses the RPC
// boundary and worker threads); messages are our own, action first, no final period.
import { BorgError, IntegrityError } from '../errors.js';

/** A payload or manifest whose TYPE byte names no key type we know. */
export class UnsupportedPayloadError extends BorgError {
  constructor(typeByte: number) {
    super(`Cannot read payload type ${typeByte}: a newer version is required to access this repository`, {
      args: [typeByte],
    });
  }
}

/** A manifest written by a future borg (it starts with four 0xc1 bytes). */
export class UnsupportedManifestError extends BorgError {
  constructor() {
    super('Cannot read the manifest envelope: a newer version is required to access this repository');
  }
}

/** The manifest carries no TAM but this repository requires one. */
export class TAMRequiredError extends IntegrityError {
  constructor(location = '', options: { message?: string; args?: unknown[] } = {}) {
    super(
      options.message ??
        `Cannot trust the manifest of ${location || 'this repository'}: it is unauthenticated but authentication is required`,
      { args: options.args ?? [location] },
    );
  }
}

/** An archive's metadata carries no TAM but one is required (borg >= 1.2.5). */
export class ArchiveTAMRequiredError extends TAMRequiredError {
  constructor(archiveName: string) {
    super('', {
      message: `Cannot trust archive '${archiveName}': it is unauthenticated but authentication is required`,
      args: [archiveName],
    });
  }
}

/** The manifest TAM is malformed or its HMAC does not verify. */
export class TAMInvalid extends IntegrityError {
  constructor() {
    super('Manifest authentication did not verify');
  }
}

/** An archive TAM is malformed or its HMAC does not verify (borg >= 1.2.5). */
export class ArchiveTAMInvalid extends IntegrityError {
  constructor() {
    super('Archive authentication did not verify');
  }
}

/** The TAM names a suite other than HKDF_HMAC_SHA512 while authentication is required. */
export class TAMUnsupportedSuiteError extends IntegrityError {
  constructor(suite: string) {
    super(`Cannot verify metadata made with the unsupported suite '${suite}': a newer version is needed`, {
      args: [suite],
    });
  }
}

/** A passphrase from BORG_PASSPHRASE, BORG_PASSCOMMAND or BORG_PASSPHRASE_FD does not open the key. */
export class PassphraseWrong extends BorgError {
  constructor() {
    super('Cannot open the key: the passphrase from BORG_PASSPHRASE, BORG_PASSCOMMAND or BORG_PASSPHRASE_FD is incorrect');
  }
}

/** BORG_PASSCOMMAND could not be run or exited with an error. */
export class PasscommandFailure extends BorgError {
  constructor(detail: string) {
    super(`Cannot get the passphrase from BORG_PASSCOMMAND: ${detail}`, { args: [detail] });
  }
}

/** No passphrase source is available (no environment variable, no terminal). */
export class NoPassphraseFailure extends BorgError {
  constructor(detail: string) {
    super(`Cannot acquire a passphrase: ${detail}`, { args: [detail] });
  }
}

/** Every interactive try gave a wrong (or, for new passphrases, an unusable) passphrase. */
export class PasswordRetriesExceeded extends BorgError {
  constructor() {
    super('Cannot open the key: too many wrong passphrases');
  }
}

/** The encrypted key blob or the key inside it is malformed or of an unsupported version. */
export class InvalidKeyBlob extends BorgError {}

/** No key file in the keys directory belongs to the repository. */
export class KeyfileNotFoundError extends BorgError {
  constructor(location: string, keysDir: string) {
    super(`Cannot find a key file for repository ${location} in ${keysDir}`, { args: [location, keysDir] });
  }
}

/** A key file is not a borg key file (wrong header or content). */
export class KeyfileInvalidError extends BorgError {
  constructor(location: string, file: string) {
    super(`Cannot use key file ${file} for repository ${location}: it is not a valid key file`, { args: [location, file] });
  }
}

/** A key file belongs to another repository. */
export class KeyfileMismatchError extends BorgError {
  constructor(location: string, file: string) {
    super(`Cannot use key file ${file} for repository ${location}: it belongs to another repository`, {
      args: [location, file],
    });
  }
}

/** The repository config has no `key` entry. */
export class RepoKeyNotFoundError extends BorgError {
  constructor(location: string) {
    super(`Cannot find a key entry in the config of repository ${location}`, { args: [location] });
  }
}

/** A key backup (file or paper) is for a different repository. */
export class RepoIdMismatch extends BorgError {
  constructor() {
    super('Cannot import the key: it belongs to a different repository');
  }
}

/** A paper key read from a file has a malformed or mistyped line. */
export class InvalidPaperKey extends BorgError {}

/** The file offered as a key backup is not one. */
export class NotABorgKeyFile extends BorgError {
  constructor() {
    super('Cannot import the key: the file is not a borg key backup');
  }
}

/** Key management (export, import, change-passphrase) asked of a repository that has no key. */
export class UnencryptedRepo extends BorgError {
  constructor() {
    super('Cannot manage keys of an unencrypted repository');
  }
}
