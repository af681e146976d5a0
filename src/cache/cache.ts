// Choosing the cache a command works with, as borg's Cache() does: the local (persistent,
// synchronised) cache, or — when --no-cache-sync permits it and the local cache is missing or out
// of date — the ad-hoc cache, so that an in-sync local cache is never needlessly invalidated.
import { AdHocCache } from './adhoc-cache.js';
import { CacheConfig } from './cache-config.js';
import type { CacheOpenOptions, CacheSession, ChunkCache } from './cache-types.js';
import { LocalCache } from './local-cache.js';
import { repositoryCacheDir } from './paths.js';

export { breakCacheLock, destroyCache } from './cache-dir.js';
export type { AddChunkOptions, CacheManifest, CacheOpenOptions, CacheSession, ChunkCache, ChunkListEntry } from './cache-types.js';

export interface OpenCacheOptions extends CacheOpenOptions {
  /** --no-cache-sync: an ad-hoc cache may be used instead of syncing the local one. */
  permitAdhocCache?: boolean;
}

export async function openCache(session: CacheSession, options: OpenCacheOptions = {}): Promise<ChunkCache> {
  if (!options.permitAdhocCache) return LocalCache.open(session, options);
  const path = options.path ?? repositoryCacheDir(session.repository.id.toString('hex'), options.env);
  if (CacheConfig.exists(path)) {
    const config = await CacheConfig.open(path, { lockWait: options.lockWait === undefined ? 1 : options.lockWait });
    let inSync: boolean;
    try {
      inSync = config.manifestId === (session.manifest.id?.toString('hex') ?? '');
    } finally {
      await config.close();
    }
    if (inSync) return LocalCache.open(session, options);
  }
  return AdHocCache.open(session, options);
}
