// The archive trees the web server browses and searches (src/archive/tree): loaded from their
// cache files, which need no repository, kept in memory up to a byte budget, and built (once,
// even when asked concurrently) by a job when missing. Items are read through an item source
// that opens the repository with a shared lock only while it reads.
import type { ArchiveSource } from '../archive/archive-reader.js';
import type { LoadedArchiveMeta } from '../archive/archive-meta.js';
import { ArchiveTreeCache, type ArchiveTree, type ItemSource } from '../archive/tree/index.js';
import type { Env } from '../cache/paths.js';

/** Loaded trees kept in memory, in bytes (a tree of a million files takes about 100 MB). */
const MEMORY_BUDGET = 1024 * 1024 * 1024;

export interface BuildOptions {
  onProgress?: (done: number, total: number, entries: number) => void;
  signal?: AbortSignal;
}

export class TreeStore {
  readonly files: ArchiveTreeCache;
  /** Archive id (hex) -> loaded tree and its size, least recently used first. */
  readonly #loaded = new Map<string, { tree: ArchiveTree; bytes: number }>();
  readonly #building = new Map<string, Promise<ArchiveTree>>();

  constructor(repositoryIdHex: string, env: Env, private readonly itemSource: ItemSource) {
    this.files = new ArchiveTreeCache(repositoryIdHex, env);
  }

  /** The tree of an archive from memory or its file; null when it was never built (or its file was bad). */
  load(archiveIdHex: string): ArchiveTree | null {
    const cached = this.#loaded.get(archiveIdHex);
    if (cached !== undefined) {
      this.#loaded.delete(archiveIdHex);
      this.#loaded.set(archiveIdHex, cached);
      return cached.tree;
    }
    const loaded = this.files.load(archiveIdHex, this.itemSource);
    if (loaded === null) return null;
    this.#remember(archiveIdHex, loaded);
    return loaded.tree;
  }

  /** The tree of `archive`, built from `source` and saved if missing. */
  async obtain(source: ArchiveSource, archive: LoadedArchiveMeta, options: BuildOptions = {}): Promise<ArchiveTree> {
    const hex = archive.id.toString('hex');
    const ready = this.load(hex);
    if (ready !== null) return ready;
    let pending = this.#building.get(hex);
    if (pending === undefined) {
      pending = (async () => {
        const { tree, bytes } = await this.files.obtain(source, archive, options, this.itemSource);
        // A tree that was not saved (its build warned) is counted by an estimate of its size.
        this.#remember(hex, { tree, bytes: bytes || 100 * tree.count });
        return tree;
      })();
      this.#building.set(hex, pending);
      pending.then(() => this.#building.delete(hex), () => this.#building.delete(hex));
    }
    return pending;
  }

  /** Deletes the trees of archives that are gone. */
  prune(liveIdsHex: ReadonlySet<string>): void {
    for (const id of this.#loaded.keys()) if (!liveIdsHex.has(id)) this.#loaded.delete(id);
    this.files.prune(liveIdsHex, new Set(this.#building.keys()));
  }

  #remember(archiveIdHex: string, loaded: { tree: ArchiveTree; bytes: number }): void {
    this.#loaded.set(archiveIdHex, loaded);
    let total = 0;
    for (const l of this.#loaded.values()) total += l.bytes;
    for (const [id, l] of this.#loaded) {
      if (total <= MEMORY_BUDGET || this.#loaded.size <= 1) break;
      this.#loaded.delete(id);
      total -= l.bytes;
    }
  }
}
