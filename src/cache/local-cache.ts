// borg's LocalCache (spec §7): the persistent client cache of one repository, in borg's format and
// place, so that borg and borg-ts can take turns on a repository and a user who switches keeps the
// files cache. It holds the chunk index (refcount, size, csize per object referenced by archives),
// the files cache, and the cache config, under the cache lock, with borg's transaction scheme.
// When the manifest differs from the one the cache last saw, the chunk index is rebuilt from the
// archives (chunks-cache-sync.ts). A damaged `chunks` file is rebuilt the same way; a damaged files
// cache is dropped (files are read again). Either way with a warning, never with wrong data.
import { SUPPORTED_REPOSITORY_FEATURES } from '../version.js';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FileIntegrityError, IndexCorrupted } from '../format/errors.js';
import { ChunkIndex, HashIndex, parseHashIndexHeader } from '../format/hashindex.js';
import { parseIntegrityJson, integrityToJson, type IntegrityData } from '../format/integrity-file.js';
import { saveFile } from '../platform/save-file.js';
import { MessageProgress, SILENT_LOG, SILENT_PROGRESS, type LogSink, type ProgressSink, type WarningSink } from '../progress.js';
import { CacheConfig } from './cache-config.js';
import { createCacheDir, readPre12Meta, writePre12Meta, type Pre12Meta } from './cache-dir.js';
import { CacheConfigDamaged, CacheUnusable } from './cache-errors.js';
import { assertSecureWithConfig, securityCheckOf } from './cache-security.js';
import { cacheSummary, type CacheSummary, type Statistics } from './cache-stats.js';
import { CacheTransaction } from './cache-transaction.js';
import type { AddChunkOptions, CacheOpenOptions, CacheSession, ChunkCache, ChunkListEntry } from './cache-types.js';
import { syncChunkIndex } from './chunks-cache-sync.js';
import { ChunkRefcounts } from './chunk-refcounts.js';
import { FILES_CACHE_MODE_DISABLED, FilesCache, filesCacheName, filesCacheTtl, type FileLookup, type FilesCacheMode, type FileStatLike } from './files-cache.js';
import { readChunkIndexFile, writeHashIndexFile } from './integrity-checked-file.js';
import { repositoryCacheDir, type Env } from './paths.js';

/** Repository features this version understands (borg 1.2 defines none). */
const SUPPORTED_FEATURES = SUPPORTED_REPOSITORY_FEATURES;
const NO_WARNINGS: WarningSink = { warn() {} };

export class LocalCache implements ChunkCache {
  readonly path: string;
  readonly filesCacheMode: FilesCacheMode;
  /** borg's statistics of archives made before 1.2, shared with borg through `pre12-meta`. */
  pre12Meta: Pre12Meta = {};
  #chunks = new ChunkIndex();
  #files: FilesCache | null = null;
  #refs!: ChunkRefcounts;
  #integrity: Record<string, string> = {};
  /** `previous_location` as the config had it (the config itself already holds the current one). */
  #previousLocation: string | undefined;
  readonly #ignoredFeatures = new Set<string>();
  readonly #mandatoryFeatures = new Set<string>();
  readonly #txn: CacheTransaction;
  readonly #env: Env;
  readonly #log: LogSink;
  readonly #warnings: WarningSink;
  readonly #progress: ProgressSink;
  /** Keep the chunk index in a SharedArrayBuffer (create's worker threads read it). */
  readonly #sharedChunks: boolean;
  #closed = false;

  private constructor(readonly session: CacheSession, private readonly config: CacheConfig, options: CacheOpenOptions, path: string) {
    this.path = path;
    this.#env = options.env ?? process.env;
    this.filesCacheMode = options.filesCacheMode ?? FILES_CACHE_MODE_DISABLED;
    this.#log = options.log ?? SILENT_LOG;
    this.#warnings = options.warnings ?? NO_WARNINGS;
    this.#progress = options.progress ?? SILENT_PROGRESS;
    this.#sharedChunks = options.sharedChunkIndex ?? false;
    this.#txn = new CacheTransaction(path, filesCacheName(this.#env), this.#progress);
  }

  /** Opens (creating if needed) and locks the cache, checks it, and syncs it unless `sync: false`. */
  static async open(session: CacheSession, options: CacheOpenOptions = {}): Promise<LocalCache> {
    const env = options.env ?? process.env;
    const idHex = session.repository.id.toString('hex');
    const path = options.path ?? repositoryCacheDir(idHex, env);
    const check = securityCheckOf(session, options);
    if (!existsSync(path)) {
      await session.security.assertSecure(check);
      createCacheDir(path, idHex, filesCacheName(env));
    }
    if (!statSync(path).isDirectory()) throw new CacheUnusable(path, 'it is not a directory');
    const lockWait = options.lockWait === undefined ? 1 : options.lockWait;
    // A config that is there but unreadable (truncated, bit rot) is damage, not a foreign cache:
    // the cache is only a copy of what the repository holds, so rebuild it rather than stop every
    // backup until someone deletes it by hand (the security dir still guards against replays).
    const rebuild = async (damage: CacheConfigDamaged) => {
      (options.warnings ?? NO_WARNINGS).warn({ code: 'BorgWarning', message: `${damage.message}; the cache is rebuilt` });
      rmSync(path, { recursive: true, force: true });
      await session.security.assertSecure(check);
      createCacheDir(path, idHex, filesCacheName(env));
    };
    let cache: LocalCache | undefined;
    for (let attempt = 0; cache === undefined; attempt++) {
      let config: CacheConfig;
      try {
        config = await CacheConfig.open(path, { lockWait });
      } catch (e) {
        if (attempt > 0 || !(e instanceof CacheConfigDamaged)) throw e;
        await rebuild(e);
        continue;
      }
      const opened = new LocalCache(session, config, options, path);
      try {
        opened.#rollbackFiles();
        cache = opened;
      } catch (e) {
        await opened.close();
        if (attempt > 0 || !(e instanceof CacheConfigDamaged)) throw e;
        await rebuild(e);
      }
    }
    const config = cache.config;
    try {
      await assertSecureWithConfig(session.security, check, config, cache.#previousLocation);
      if (!cache.#compatible()) cache.#wipe();
      cache.#updateCompatibility();
      const manifestId = session.manifest.id?.toString('hex') ?? '';
      if ((options.sync ?? true) && manifestId !== config.manifestId) {
        await cache.#sync();
        await cache.commit();
      }
      return cache;
    } catch (e) {
      await cache.close();
      throw e;
    }
  }

  get chunks(): ChunkIndex {
    return this.#chunks;
  }

  get files(): FilesCache | null {
    return this.#files;
  }

  // --- chunks (refcount rules in chunk-refcounts.ts)

  seenChunk(id: Uint8Array, size?: number): number {
    return this.#refs.seen(id, size);
  }

  async addChunk(id: Buffer, envelope: Uint8Array, size: number, stats: Statistics, options: AddChunkOptions = {}): Promise<ChunkListEntry> {
    this.#beginIfIdle();
    return this.#refs.add(id, envelope, size, stats, options.overwrite ?? false);
  }

  chunkIncref(id: Buffer, stats: Statistics, _size?: number, part = false): ChunkListEntry {
    this.#beginIfIdle();
    return this.#refs.incref(id, stats, part);
  }

  async chunkDecref(id: Buffer, stats: Statistics, part = false): Promise<boolean> {
    this.#beginIfIdle();
    return this.#refs.decref(id, stats, part);
  }

  // --- files

  fileKnownAndUnchanged(pathHash: Uint8Array, st: FileStatLike): FileLookup {
    if (this.#files === null) return { known: false, chunkIds: null };
    return this.#files.knownAndUnchanged(pathHash, st, (id) => this.#chunks.has(id));
  }

  memorizeFile(pathHash: Uint8Array, st: FileStatLike, chunkIds: readonly Uint8Array[]): void {
    this.#files?.memorize(pathHash, st, chunkIds);
  }

  summary(): CacheSummary {
    return cacheSummary(this.#chunks);
  }

  // --- transaction

  /** Saves chunks, files cache, config and security info for the current manifest. */
  async commit(): Promise<void> {
    if (!this.#txn.active) return;
    const { manifest, key, security, location } = this.session;
    if (manifest.id === null || manifest.timestamp === null) throw new Error('Cannot commit the cache: the manifest was never written');
    security.save(location.canonicalPath(), key.typeByte, manifest.timestamp);
    const pi = new MessageProgress(this.#progress, 'cache.commit');
    if (this.#files !== null) {
      pi.show('Saving files cache');
      const name = filesCacheName(this.#env);
      this.#integrity[name] = integrityToJson(this.#files.save(join(this.path, name), name, filesCacheTtl(this.#env)));
    }
    pi.show('Saving chunks cache');
    this.#integrity['chunks'] = integrityToJson(writeHashIndexFile(join(this.path, 'chunks'), 'chunks', this.#chunks.table.toParts()));
    pi.show('Saving cache config');
    const c = this.config;
    const manifestId = manifest.id.toString('hex');
    c.set('cache', 'manifest', manifestId);
    c.set('cache', 'timestamp', manifest.timestamp);
    c.set('cache', 'ignored_features', [...this.#ignoredFeatures].sort().join(','));
    c.set('cache', 'mandatory_features', [...this.#mandatoryFeatures].sort().join(','));
    for (const [name, data] of Object.entries(this.#integrity)) c.set('integrity', name, data);
    c.set('integrity', 'manifest', manifestId);
    c.set('cache', 'key_type', String(key.typeByte));
    c.save();
    this.#txn.finish();
    pi.finish();
  }

  /** Forgets uncommitted changes: the files of the last commit are restored and read again. */
  async rollback(): Promise<void> {
    this.#rollbackFiles();
  }

  /** Saves pre12-meta and releases the lock; an uncommitted transaction is rolled back at the next open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      writePre12Meta(this.path, this.pre12Meta);
    } finally {
      await this.config.close();
    }
  }

  #beginIfIdle(): void {
    if (!this.#txn.active) this.#txn.begin();
  }

  #rollbackFiles(): void {
    this.#txn.rollback();
    this.#load();
  }

  /** borg's _do_open: config, chunks and files cache as the last commit left them. */
  #load(): void {
    const c = this.config;
    c.reload();
    const idHex = this.session.repository.id.toString('hex');
    if (!/^[0-9a-f]{64}$/.test(c.repositoryId)) throw new CacheConfigDamaged(this.path, `its repository id '${c.repositoryId}' is not valid`);
    if (c.repositoryId !== idHex) throw new CacheUnusable(this.path, `it belongs to repository ${c.repositoryId}; delete the cache to rebuild it`);
    this.#previousLocation = c.previousLocation;
    c.previousLocation = this.session.location.canonicalPath();
    this.#integrity = c.integrity();
    const recorded = c.get('integrity', 'manifest');
    if (recorded !== undefined && recorded !== c.manifestId) this.#log.log('warning', 'Cache integrity data not available: old Borg version modified the cache.');
    this.#ignoredFeatures.clear();
    this.#mandatoryFeatures.clear();
    for (const f of c.ignoredFeatures) this.#ignoredFeatures.add(f);
    for (const f of c.mandatoryFeatures) this.#mandatoryFeatures.add(f);
    this.#setChunks(this.#readChunks());
    this.#files = this.#loadFiles();
    this.pre12Meta = readPre12Meta(this.path);
  }

  /** The files cache unless disabled; unusable integrity data makes it start empty, like a damaged file. */
  #loadFiles(): FilesCache | null {
    if (this.filesCacheMode.includes('d')) return null;
    const name = filesCacheName(this.#env);
    let integrity: IntegrityData | undefined;
    try {
      integrity = this.#integrityOf(name);
    } catch (e) {
      this.#log.log('warning', `The files cache is corrupted. [${(e as Error).message}]`);
      this.#log.log('warning', 'Continuing without files cache - expect lower performance.');
      return new FilesCache(this.filesCacheMode);
    }
    return FilesCache.load(join(this.path, name), name, integrity, this.filesCacheMode, this.#log);
  }

  /**
   * The chunk index. A damaged or missing one is replaced on disk at once by an empty index with a
   * config that says "never synced", so no later rollback (ours or borg's) can pair the old
   * manifest id with wrong refcounts; the sync then rebuilds it.
   */
  #readChunks(): ChunkIndex {
    const path = join(this.path, 'chunks');
    try {
      return readChunkIndexFile(path, 'chunks', this.#integrityOf('chunks'));
    } catch (e) {
      const damaged = e instanceof FileIntegrityError || e instanceof IndexCorrupted || (e as NodeJS.ErrnoException).code === 'ENOENT';
      if (!damaged) throw e;
      this.#log.log('warning', `The chunks cache is damaged (${(e as Error).message}); it is rebuilt from the archives.`);
      this.#warnings.warn({ code: 'BorgWarning', message: 'The chunks cache was damaged and is rebuilt' });
      const empty = new ChunkIndex();
      this.#integrity['chunks'] = integrityToJson(writeHashIndexFile(path, 'chunks', empty.table.toParts()));
      this.config.set('cache', 'manifest', '');
      this.config.set('integrity', 'manifest', '');
      this.config.set('integrity', 'chunks', this.#integrity['chunks']);
      this.config.save();
      return empty;
    }
  }

  /** Recorded integrity data of a cache file (undefined: none, nothing to verify); malformed data throws. */
  #integrityOf(name: string): IntegrityData | undefined {
    const text = this.#integrity[name];
    return text === undefined ? undefined : parseIntegrityJson(text, name);
  }

  async #sync(): Promise<void> {
    const s = this.session;
    s.manifest.checkCompatibility(['read']);
    this.#beginIfIdle();
    this.#setChunks(await syncChunkIndex(this.path, {
      repository: s.repository, codec: s.codec, key: s.key, log: this.#log, warnings: this.#warnings, progress: this.#progress,
      archives: s.manifest.archives.values(),
    }));
  }

  #setChunks(index: ChunkIndex): void {
    this.#chunks = this.#sharedChunks ? sharedChunkIndex(index) : index;
    this.#refs = new ChunkRefcounts(this.#chunks, this.session.repository);
  }

  /** borg rebuilds a cache made while ignoring a feature this version knows, or relying on one it does not. */
  #compatible(): boolean {
    for (const f of this.#ignoredFeatures) if (SUPPORTED_FEATURES.has(f)) return false;
    for (const f of this.#mandatoryFeatures) if (!SUPPORTED_FEATURES.has(f)) return false;
    return true;
  }

  /** borg's wipe_cache: per-archive indexes, chunk index and files cache emptied, resync forced. */
  #wipe(): void {
    this.#log.log('warning', 'Discarding incompatible cache and forcing a cache rebuild');
    const archives = join(this.path, 'chunks.archive.d');
    if (existsSync(archives) && statSync(archives).isDirectory()) {
      rmSync(archives, { recursive: true, force: true });
      mkdirSync(archives);
    }
    this.#setChunks(new ChunkIndex());
    saveFile(join(this.path, filesCacheName(this.#env)), new Uint8Array(0));
    if (this.#files !== null) this.#files = new FilesCache(this.filesCacheMode);
    this.config.set('cache', 'manifest', '');
    this.#ignoredFeatures.clear();
    this.#mandatoryFeatures.clear();
  }

  #updateCompatibility(): void {
    for (const features of this.session.manifest.mandatoryFeatures().values()) {
      for (const f of features) (SUPPORTED_FEATURES.has(f) ? this.#mandatoryFeatures : this.#ignoredFeatures).add(f);
    }
  }
}

/** `index` with its buckets in a SharedArrayBuffer (a copy, unless they are there already). */
function sharedChunkIndex(index: ChunkIndex): ChunkIndex {
  const table = index.table;
  if (table.buffer instanceof SharedArrayBuffer) return index;
  const [header, ...buckets] = table.toParts();
  const parsed = parseHashIndexHeader(header!, { valueSize: ChunkIndex.VALUE_SIZE, fileLength: header!.length + buckets.reduce((n, b) => n + b.length, 0) });
  return new ChunkIndex(HashIndex.fromParts(parsed, buckets, { shared: true }));
}
