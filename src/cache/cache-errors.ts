// Errors of the cache layer proper (chunk index, files cache, cache sync). The security-check errors
// (RepositoryReplay, EncryptionMethodMismatch, ...) live in errors.ts beside security-dir.ts.
import { BorgError, IntegrityError } from '../errors.js';

/** A cache directory that cannot be used as it is (not a directory, another repository's cache). */
export class CacheUnusable extends BorgError {
  constructor(path: string, reason: string) {
    super(`Cannot use the cache ${path}: ${reason}`, { code: 'Error', args: [path, reason] });
  }
}

/** A cache config that exists but cannot be read as one (truncated, bit rot): the cache is rebuilt. */
export class CacheConfigDamaged extends CacheUnusable {}

/** An archive's item stream does not have the shape cache sync requires (borg's "cache_sync_feed failed"). */
export class CacheSyncError extends IntegrityError {
  constructor(archiveName: string, reason: string) {
    super(`Cannot synchronize the chunks cache with archive '${archiveName}': ${reason}`, { args: [archiveName, reason] });
  }
}

/** A chunk id already in the index with another plaintext size: a hash collision, corruption or a bug. */
export class ChunkSizeMismatch extends IntegrityError {
  constructor(idHex: string, stored: number, size: number) {
    super(`Cannot add chunk ${idHex}: the index knows it with size ${stored}, not ${size}`, { args: [idHex, stored, size] });
  }
}

/** A chunk operation that needs the index entry of an id the index does not have. */
export class ChunkNotInCache extends BorgError {
  constructor(idHex: string) {
    super(`Cannot change the reference count of chunk ${idHex}: it is not in the chunks cache`, { code: 'Error', args: [idHex] });
  }
}
