// `upgrade --archives-tam / --check-archives-tam` (borg >= 1.2.5, CVE-2023-36811): borg >= 1.2.5
// refuses archive metadata whose TAM is invalid and `check --repair` deletes archives without
// one. Archives from borg < 1.0.9 have none, and borg 1.2.4 left invalid ones behind when it
// rewrote metadata (rename, recreate, check --repair). This gives every such archive a fresh,
// valid TAM: the metadata is stored again unchanged apart from its `tam`, under its new id, and
// the old object is released. Doing so declares the archives trustworthy, so users of a
// high-risk repository should look at them first (--check-archives-tam lists them).

import type { CacheOpenOptions, ChunkCache } from '../cache/cache-types.js';
import { Statistics } from '../cache/cache-stats.js';
import { LocalCache } from '../cache/local-cache.js';
import { unpackAndVerify } from '../crypto/index.js';
import type { Location } from '../remote/location.js';
import { packArchiveMeta } from './archive-meta.js';
import { selectArchives } from './archive-selection.js';
import type { ArchiveEntry } from './manifest.js';
import { TamSession, type TamUpgradeOptions } from './upgrade-tam.js';

/** What an archive's TAM was: valid, or absent/invalid (then `newId` is its id after the fix). */
export type ArchiveTamStatus = { status: 'present' } | { status: 'missing' } | { status: 'added'; newId: Buffer };

export interface ArchiveTamOptions extends TamUpgradeOptions {
  /** Only report (--check-archives-tam); the repository stays as it is. */
  checkOnly?: boolean;
  /** How to open the client cache, whose chunk counts must follow the replaced objects. */
  cache?: Omit<CacheOpenOptions, 'env' | 'lockWait'>;
  /** Called for each archive, oldest first (the entry as it was before any fix). */
  onArchive?: (entry: ArchiveEntry, result: ArchiveTamStatus) => void;
}

/** Checks (and unless `checkOnly` fixes) the TAM of every archive; returns how many lacked a valid one. */
export async function upgradeArchiveTams(location: Location, options: ArchiveTamOptions = {}): Promise<{ issues: number }> {
  const session = await TamSession.open(location, ['check'], options);
  try {
    if (options.checkOnly) return { issues: await walkArchives(session, null, options) };
    const cache = await LocalCache.open(session, {
      ...options.cache, env: session.env, lockWait: options.lockWait === undefined ? 1 : options.lockWait,
      logicallyEncrypted: session.key.encrypted && session.passphrase !== '',
    });
    try {
      const issues = await walkArchives(session, cache, options);
      await session.commit();
      await cache.commit();
      return { issues };
    } finally {
      await cache.close();
    }
  } finally {
    await session.close();
  }
}

async function walkArchives(session: TamSession, cache: ChunkCache | null, options: ArchiveTamOptions): Promise<number> {
  const { key, manifest, repository, codec } = session;
  // Metadata changes do not count as archive statistics.
  const stats = new Statistics();
  let issues = 0;
  for (const entry of selectArchives(manifest.archives.values(), { considerCheckpoints: true })) {
    const data = codec.unpack(entry.id, await repository.get(entry.id));
    // An invalid TAM is treated like a missing one: both get replaced.
    const { value, verified } = unpackAndVerify(key, data, 'archive', { required: false, ignoreInvalidArchiveTam: true });
    if (verified) {
      options.onArchive?.(entry, { status: 'present' });
      continue;
    }
    issues += 1;
    if (cache === null) {
      options.onArchive?.(entry, { status: 'missing' });
      continue;
    }
    await session.prepareWrite();
    const packed = session.writer().pack(packArchiveMeta(key, value));
    await cache.addChunk(packed.id, packed.envelope, packed.size, stats);
    await cache.chunkDecref(entry.id, stats);
    manifest.archives.set(entry.name, { ...entry, id: packed.id });
    options.onArchive?.(entry, { status: 'added', newId: packed.id });
  }
  return issues;
}
