// The total a backup is heading for, so that progress can show a percentage and an ETA (borg shows
// neither). The cheap source is the previous archive of the same series (same name up to a
// trailing date or number); without one, a background thread walks the tree once, stat()ing only,
// while the backup runs.
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../platform/worker.js';
import { loadArchiveMeta } from '../archive-meta.js';
import type { RepositorySession } from '../repository-session.js';
import type { FilterOptions } from './create-options.js';
import type { PrescanRequest } from './prescan-worker.js';
import { fsPathIn } from './walker.js';

/** "host-2026-11-22T10:00:00" and "host-2026-11-23T10:00:00" belong to the series "host-". */
function seriesPrefix(name: string): string {
  return name.replace(/[0-9:._T+-]+$/, '');
}

/** Original size of the newest archive of `name`'s series, or null if there is none. */
export async function previousArchiveSize(session: RepositorySession, name: string): Promise<number | null> {
  const prefix = seriesPrefix(name);
  if (prefix === '' || prefix === name) return null;
  let newest: { id: Buffer; time: string } | null = null;
  for (const archive of session.manifest.archives.values()) {
    if (archive.name.includes('.checkpoint') || !archive.name.startsWith(prefix)) continue;
    if (seriesPrefix(archive.name) !== prefix) continue;
    if (newest === null || archive.time > newest.time) newest = archive;
  }
  if (newest === null) return null;
  const loaded = await loadArchiveMeta(session.repository, session.codec, session.key, newest.id);
  return loaded.meta.size ?? null;
}

export interface Prescan {
  /** Size and count of the regular files the backup will store (null if the scan failed). */
  readonly result: Promise<{ size: number; files: number } | null>;
  stop(): Promise<void>;
}

/** Starts the pre-scan of `roots` in a worker thread. */
export function startPrescan(roots: readonly string[], filter: FilterOptions, skipPaths: readonly string[], cwd: string): Prescan {
  const skip: string[] = [];
  for (const path of skipPaths) {
    try {
      const st = statSync(fsPathIn(cwd, path));
      skip.push(`${st.dev}:${st.ino}`);
    } catch {
      // nothing to skip
    }
  }
  const request: PrescanRequest = {
    roots: [...roots], cwd, excludeCaches: filter.excludeCaches, excludeIfPresent: [...filter.excludeIfPresent], oneFileSystem: filter.oneFileSystem, skip,
    patterns: filter.patterns.map(({ pattern, cmd }) => ({ style: pattern.style, text: pattern.original, recurseDir: pattern.recurseDir, cmd })),
  };
  const worker: Worker = startWorker(new URL('./prescan-worker.js', import.meta.url), { workerData: request });
  worker.unref();
  const result = new Promise<{ size: number; files: number } | null>((resolve) => {
    worker.once('message', (m: { size: number; files: number }) => resolve(m));
    worker.once('error', () => resolve(null));
    worker.once('exit', () => resolve(null));
  });
  return { result, stop: async () => void (await worker.terminate()) };
}
