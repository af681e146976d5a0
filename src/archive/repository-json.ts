// The keys every --json output of borg starts from (spec §8.4, borg's basic_json_data): which
// repository (id, canonical location, when its manifest was last written) and how it is
// encrypted (the `--encryption` mode name, and the key file for keyfile modes).

import type { CacheSummary } from '../cache/cache-stats.js';
import { OutputTimestamp } from './output-timestamp.js';
import type { RepositorySession } from './repository-session.js';

export interface RepositoryJson {
  repository: { id: string; location: string; last_modified: OutputTimestamp };
  encryption: { mode: string; keyfile?: string };
  cache?: { path: string; stats: CacheSummary };
}

/** The common keys of `session`'s repository; with `cache`, also the cache's path and statistics. */
export function repositoryJson(session: RepositorySession, cache?: { path: string; stats: CacheSummary }): RepositoryJson {
  const { key, manifest } = session;
  const encryption: RepositoryJson['encryption'] = { mode: key.mode };
  if (key.storage === 'keyfile' && session.keyFile !== undefined) encryption.keyfile = session.keyFile;
  return {
    repository: {
      id: session.repository.id.toString('hex'),
      location: session.location.canonicalPath(),
      last_modified: OutputTimestamp.fromUtcIso(manifest.timestamp ?? ''),
    },
    encryption,
    ...(cache !== undefined ? { cache } : {}),
  };
}
