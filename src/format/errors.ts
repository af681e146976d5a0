// Errors of the format layer: damaged or hostile bytes in files borg-ts reads.
import { IntegrityError } from '../errors.js';

/** A hash index file (repository `index.N`, cache `chunks`) is malformed; callers rebuild it. */
export class IndexCorrupted extends IntegrityError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, args: [message] });
  }
}

/** A file's bytes do not match its recorded XXH64 integrity digests (borg's FileIntegrityError). */
export class FileIntegrityError extends IntegrityError {
  constructor(name: string, detail: string) {
    super(`Integrity check failed for '${name}': ${detail}`, { args: [name] });
  }
}
