// What the caches need from the rest of the program, and what they offer to writers. The session
// and manifest are described by the few members used here (RepositorySession and Manifest fit),
// so that the cache layer does not depend on the archive layer above it.
import type { Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { ChunkIndex } from '../format/hashindex.js';
import type { LogSink, ProgressSink, WarningSink } from '../progress.js';
import type { Repository } from '../repository/repository.js';
import type { CacheSummary, Statistics } from './cache-stats.js';
import type { FileLookup, FilesCacheMode, FileStatLike } from './files-cache.js';
import type { Env } from './paths.js';
import type { Confirm, SecurityDir } from './security-dir.js';

export interface CacheManifest {
  /** id_hash of the manifest plaintext as loaded or last written; null before the first write. */
  readonly id: Buffer | null;
  readonly timestamp: string | null;
  /** Archives in manifest order. */
  readonly archives: ReadonlyMap<string, { name: string; id: Buffer }>;
  /** Mandatory repository features per operation (config.feature_flags). */
  mandatoryFeatures(): Map<string, string[]>;
  /** Throws when an operation needs a feature this version lacks. */
  checkCompatibility(operations: Array<'read'>): void;
}

export interface CacheSession {
  readonly location: { canonicalPath(): string };
  readonly repository: Repository;
  readonly key: Key;
  readonly manifest: CacheManifest;
  readonly security: SecurityDir;
  /** Opens objects read during sync. */
  readonly codec: ObjectCodec;
}

export interface CacheOpenOptions {
  env?: Env;
  /** Seconds to wait for the cache lock (--lock-wait); null waits forever. Default 1. */
  lockWait?: number | null;
  /** Rebuild the chunk index when the manifest changed (default true). */
  sync?: boolean;
  /** Files cache mode; default 'd' (disabled), `create` passes its --files-cache (default 'cis'). */
  filesCacheMode?: FilesCacheMode;
  /** false only for `init`: do not ask about a new unencrypted repository. */
  warnIfUnencrypted?: boolean;
  /** Answers the relocated/unencrypted repository questions; default: environment variables only. */
  confirm?: Confirm;
  /** false for unencrypted keys and repokeys with an empty passphrase; default key.encrypted. */
  logicallyEncrypted?: boolean;
  /** Use this directory instead of `<cache root>/<repository id>`. */
  path?: string;
  log?: LogSink;
  warnings?: WarningSink;
  progress?: ProgressSink;
  /** Keep the chunk index in a SharedArrayBuffer, for create's worker threads (LocalCache only). */
  sharedChunkIndex?: boolean;
}

/** A chunk as items list it (spec §5.5). */
export interface ChunkListEntry {
  id: Buffer;
  size: number;
  csize: number;
}

export interface AddChunkOptions {
  /** Store and count it even if the id is known (recreate); LocalCache only. */
  overwrite?: boolean;
}

/** The cache interface of writers (create, delete, prune, recreate) and `info`. */
export interface ChunkCache {
  /** The chunk index; refcounts as the cache knows them. */
  readonly chunks: ChunkIndex;
  /** Refcount of `id` (0: unknown); with `size`, a known id of another size is an error. */
  seenChunk(id: Uint8Array, size?: number): number;
  /** Stores a new chunk (its `envelope` as sealed) or, if known, adds a reference instead. */
  addChunk(id: Buffer, envelope: Uint8Array, size: number, stats: Statistics, options?: AddChunkOptions): Promise<ChunkListEntry>;
  chunkIncref(id: Buffer, stats: Statistics, size?: number, part?: boolean): ChunkListEntry;
  /** Drops a reference; at 0 the object is deleted from the repository and true is returned. */
  chunkDecref(id: Buffer, stats: Statistics, part?: boolean): Promise<boolean>;
  fileKnownAndUnchanged(pathHash: Uint8Array, st: FileStatLike): FileLookup;
  memorizeFile(pathHash: Uint8Array, st: FileStatLike, chunkIds: readonly Uint8Array[]): void;
  summary(): CacheSummary;
  /** Call after the manifest was written and the repository committed. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
