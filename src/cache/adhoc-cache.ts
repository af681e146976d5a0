// borg's AdHocCache (`--no-cache-sync`, spec §7.4): no persistent state at all. The ids of all
// objects are listed from the repository and taken as referenced "forever" (refcount MAX_VALUE,
// size and csize 0), so nothing that existed is ever deleted; chunks added in this run are counted
// properly. There is no files cache. Unlike borg, the id list is fetched when the cache is opened
// (and again after a rollback), not on the first chunk operation, which keeps those synchronous.
import { MANIFEST_ID } from '../crypto/index.js';
import { ChunkIndex, MAX_VALUE } from '../format/hashindex.js';
import { PercentProgress, SILENT_LOG, SILENT_PROGRESS, type ProgressSink } from '../progress.js';
import { cacheSummary, type CacheSummary, type Statistics } from './cache-stats.js';
import { assertSecureWithCacheDir, securityCheckOf } from './cache-security.js';
import type { AddChunkOptions, CacheOpenOptions, CacheSession, ChunkCache, ChunkListEntry } from './cache-types.js';
import { ChunkRefcounts } from './chunk-refcounts.js';
import type { FileLookup, FileStatLike } from './files-cache.js';
import { repositoryCacheDir } from './paths.js';

/** Ids per `list` call, as borg asks (LIST_SCAN_LIMIT). */
const LIST_LIMIT = 100000;

export class AdHocCache implements ChunkCache {
  #refs!: ChunkRefcounts;
  #changed = false;

  private constructor(readonly session: CacheSession, private readonly progress: ProgressSink) {}

  static async open(session: CacheSession, options: CacheOpenOptions = {}): Promise<AdHocCache> {
    const env = options.env ?? process.env;
    const idHex = session.repository.id.toString('hex');
    const cacheDir = options.path ?? repositoryCacheDir(idHex, env);
    await assertSecureWithCacheDir(session.security, securityCheckOf(session, options), cacheDir, options.lockWait === undefined ? 1 : options.lockWait);
    (options.log ?? SILENT_LOG).log('warning', 'Note: --no-cache-sync is an experimental feature.');
    const cache = new AdHocCache(session, options.progress ?? SILENT_PROGRESS);
    await cache.#download();
    return cache;
  }

  get chunks(): ChunkIndex {
    return this.#refs.chunks;
  }

  seenChunk(id: Uint8Array, size?: number): number {
    return this.#refs.seen(id, size);
  }

  async addChunk(id: Buffer, envelope: Uint8Array, size: number, stats: Statistics, options: AddChunkOptions = {}): Promise<ChunkListEntry> {
    if (options.overwrite) throw new Error('The ad-hoc cache cannot overwrite chunks (recreate needs a synchronised cache)');
    this.#changed = true;
    return this.#refs.add(id, envelope, size, stats, false);
  }

  chunkIncref(id: Buffer, stats: Statistics, size?: number, part = false): ChunkListEntry {
    this.#changed = true;
    return this.#refs.incref(id, stats, part, size);
  }

  async chunkDecref(id: Buffer, stats: Statistics, part = false): Promise<boolean> {
    this.#changed = true;
    return this.#refs.decref(id, stats, part);
  }

  fileKnownAndUnchanged(_pathHash: Uint8Array, _st: FileStatLike): FileLookup {
    return { known: false, chunkIds: null };
  }

  memorizeFile(_pathHash: Uint8Array, _st: FileStatLike, _chunkIds: readonly Uint8Array[]): void {
    // no files cache without persistence
  }

  summary(): CacheSummary {
    return cacheSummary(this.chunks);
  }

  /** Only the security dir learns the new manifest timestamp; the index stays valid for this run. */
  async commit(): Promise<void> {
    if (!this.#changed) return;
    const { security, location, key, manifest } = this.session;
    if (manifest.timestamp === null) throw new Error('Cannot commit the cache: the manifest was never written');
    security.save(location.canonicalPath(), key.typeByte, manifest.timestamp);
    this.#changed = false;
  }

  async rollback(): Promise<void> {
    this.#changed = false;
    await this.#download();
  }

  async close(): Promise<void> {
    // nothing is kept
  }

  /** Lists every object id; all but the manifest enter as permanently referenced. */
  async #download(): Promise<void> {
    const repository = this.session.repository;
    const total = await repository.len();
    // Room for 10 % new chunks from the start, sized like borg's (usable / max load).
    const chunks = new ChunkIndex({ capacity: Math.trunc((total * 1.1) / 0.75) });
    const progress = new PercentProgress(this.progress, {
      total, msgid: 'cache.download_chunks',
      format: (percent) => `Downloading chunk list... ${String(Math.round(percent)).padStart(3)}%`,
    });
    let marker: Buffer | null = null;
    for (;;) {
      const ids = await repository.list(LIST_LIMIT, marker);
      if (ids.length === 0) break;
      progress.show(chunks.count + ids.length - 1);
      for (const id of ids) chunks.set(id, MAX_VALUE, 0, 0);
      marker = ids[ids.length - 1]!;
    }
    progress.finish();
    if (chunks.count !== total) throw new Error(`Cannot list the repository: ${chunks.count} ids listed, ${total} objects present`);
    chunks.delete(MANIFEST_ID);
    this.#refs = new ChunkRefcounts(chunks, repository, true);
  }
}
