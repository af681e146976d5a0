// `compact` (spec §1.12): gives back the space of deleted and superseded objects by rewriting
// sparse segments. The repository only compacts inside a commit, so the unchanged manifest is
// stored again to open a transaction (as borg does; it also takes the exclusive lock right away,
// which old servers only grant on the first write). No key is needed: the manifest is copied as
// it is, so compact can run where only the encrypted data lives.
//
// An append-only repository commits but never compacts: its old segments must stay, so that an
// earlier state can be restored.

import { MANIFEST_ID } from '../crypto/index.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { openStore } from './repository-session.js';
import type { Env } from '../cache/paths.js';
import type { ProgressSink } from '../progress.js';

export interface CompactOptions {
  env?: Env;
  /** Seconds to wait for the repository lock (default 1; null: forever). */
  lockWait?: number | null;
  umask?: number;
  /** Compact a segment only if more than this share (0..1) of it can be freed. Default 0.1. */
  threshold?: number;
  /** Also remove the commit-only segments that borg 1.1 left behind. */
  cleanupCommits?: boolean;
  /** Take the lock and change nothing (borg >= 1.2.5's --dry-run). */
  dryRun?: boolean;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
  /** "Compacting segments N%" of a local repository (a server sends its own progress lines). */
  progress?: ProgressSink;
}

export async function compactRepository(location: Location, options: CompactOptions = {}): Promise<void> {
  const repository = await openStore(location, {
    env: options.env ?? process.env, exclusive: true, confirm: () => false,
    lockWait: options.lockWait === undefined ? 1 : options.lockWait,
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  });
  try {
    if (options.dryRun) return;
    await repository.put(MANIFEST_ID, await repository.get(MANIFEST_ID));
    await repository.commit({
      compact: true, threshold: options.threshold ?? 0.1, cleanupCommits: options.cleanupCommits ?? false,
      ...(options.progress ? { progress: options.progress } : {}),
    });
  } finally {
    await repository.close();
  }
}
