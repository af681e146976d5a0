// Where item indexes live: `<cache root>/web-index/<repository id>/<archive id>.idx`, directories
// 0700 and files 0600 (they list file names and sizes of the backups). Loaded indexes are kept in
// memory up to a byte budget; a build that is already running is joined, never started twice.
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, type Env } from '../../cache/paths.js';
import { saveFile } from '../../platform/save-file.js';
import { ArchiveIndex, IndexFormatError } from './index-format.js';

const SUFFIX = '.idx';
/** Loaded indexes kept in memory, in bytes. */
const MEMORY_BUDGET = 1024 * 1024 * 1024;

export class IndexStore {
  readonly dir: string;
  /** Archive id (hex) -> loaded index, least recently used first. */
  #loaded = new Map<string, ArchiveIndex>();
  #building = new Map<string, Promise<ArchiveIndex>>();

  constructor(repositoryIdHex: string, env: Env) {
    this.dir = join(cacheRoot(env), 'web-index', repositoryIdHex);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  #file(archiveIdHex: string): string {
    return join(this.dir, `${archiveIdHex}${SUFFIX}`);
  }

  has(archiveIdHex: string): boolean {
    if (this.#loaded.has(archiveIdHex)) return true;
    try {
      return statSync(this.#file(archiveIdHex)).isFile();
    } catch {
      return false;
    }
  }

  /** Bytes of the index file on disk (0 when there is none). */
  fileSize(archiveIdHex: string): number {
    try {
      return statSync(this.#file(archiveIdHex)).size;
    } catch {
      return 0;
    }
  }

  /** The index of an archive, from memory or disk; null when it was never built (or is unreadable). */
  load(archiveIdHex: string): ArchiveIndex | null {
    const cached = this.#loaded.get(archiveIdHex);
    if (cached !== undefined) {
      this.#loaded.delete(archiveIdHex);
      this.#loaded.set(archiveIdHex, cached);
      return cached;
    }
    let data: Buffer;
    try {
      data = readFileSync(this.#file(archiveIdHex));
    } catch {
      return null;
    }
    try {
      const index = ArchiveIndex.decode(data);
      this.#remember(archiveIdHex, index);
      return index;
    } catch (e) {
      if (e instanceof IndexFormatError) return null;
      throw e;
    }
  }

  /** The index of an archive, built with `build` (once, even when asked concurrently) if missing. */
  async obtain(archiveIdHex: string, build: () => Promise<Buffer>): Promise<ArchiveIndex> {
    const ready = this.load(archiveIdHex);
    if (ready !== null) return ready;
    let pending = this.#building.get(archiveIdHex);
    if (pending === undefined) {
      pending = (async () => {
        const data = await build();
        saveFile(this.#file(archiveIdHex), data, 0o600);
        const index = ArchiveIndex.decode(data);
        this.#remember(archiveIdHex, index);
        return index;
      })();
      this.#building.set(archiveIdHex, pending);
      pending.then(() => this.#building.delete(archiveIdHex), () => this.#building.delete(archiveIdHex));
    }
    return pending;
  }

  /** Deletes the indexes of archives that are gone. */
  prune(liveIdsHex: ReadonlySet<string>): void {
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(SUFFIX)) continue;
      const id = file.slice(0, -SUFFIX.length);
      if (liveIdsHex.has(id) || this.#building.has(id)) continue;
      this.#loaded.delete(id);
      try {
        unlinkSync(join(this.dir, file));
      } catch {
        // removed by someone else
      }
    }
  }

  #remember(archiveIdHex: string, index: ArchiveIndex): void {
    this.#loaded.set(archiveIdHex, index);
    let total = 0;
    for (const i of this.#loaded.values()) total += i.byteLength;
    for (const [id, i] of this.#loaded) {
      if (total <= MEMORY_BUDGET || this.#loaded.size <= 1) break;
      this.#loaded.delete(id);
      total -= i.byteLength;
    }
  }
}
