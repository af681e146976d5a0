// Everything the server keeps per repository: the handle (key, shared-lock reads), the item
// indexes in the local cache, recently read item-stream chunks, and the statistics job's result.
import type { ArchiveSource } from '../archive/archive-reader.js';
import type { LoadedArchiveMeta } from '../archive/archive-meta.js';
import type { Item } from '../archive/item.js';
import type { Env } from '../cache/paths.js';
import { WebError } from './errors.js';
import { FLAG_HARDLINK, FLAG_IMPLICIT, type ArchiveIndex } from './item-index/index-format.js';
import { buildArchiveIndex } from './item-index/index-builder.js';
import { IndexStore } from './item-index/index-store.js';
import { ItemReader } from './item-index/item-at.js';
import type { JobControl, Jobs, JobState } from './jobs.js';
import { archivesByTime, repositoryGrowth, type RepositoryGrowth } from './repository-summary.js';
import type { WebRepository } from './repository-handle.js';

/** An archive's index, or the job building it. */
export type IndexLookup = { index: ArchiveIndex; job?: undefined } | { index?: undefined; job: JobState };

export class ServedRepository {
  readonly indexes: IndexStore;
  readonly items = new ItemReader();
  #growth: RepositoryGrowth | null = null;

  constructor(readonly number: number, readonly handle: WebRepository, env: Env, private readonly jobs: Jobs) {
    this.indexes = new IndexStore(handle.idHex, env);
  }

  /** The index of archive `name`; when missing, a job builds it and is returned instead. */
  async index(source: ArchiveSource, name: string): Promise<IndexLookup> {
    const archive = await this.handle.archive(source, name);
    const hex = archive.id.toString('hex');
    const index = this.indexes.load(hex);
    if (index !== null) return { index };
    return { job: this.buildIndexes([name]) };
  }

  /** The indexes of `names` (all archives when omitted), or the job building the missing ones. */
  async allIndexes(source: ArchiveSource, names?: string[]): Promise<{ indexes: ArchiveIndex[]; job?: JobState }> {
    const wanted = names ?? archivesByTime(source).map((a) => a.name);
    const indexes: ArchiveIndex[] = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const archive = await this.handle.archive(source, name);
      const index = this.indexes.load(archive.id.toString('hex'));
      if (index === null) missing.push(name);
      else indexes.push(index);
    }
    if (missing.length > 0) return { indexes, job: this.buildIndexes(missing) };
    this.indexes.prune(new Set([...source.manifest.archives.values()].map((a) => a.id.toString('hex'))));
    return { indexes };
  }

  /** One job building the indexes of `names` that are missing. */
  buildIndexes(names: string[]): JobState {
    const key = `index ${this.number} ${names.join('\0')}`;
    const title = names.length === 1 ? `Indexing ${names[0]}` : `Indexing ${names.length} archives`;
    return this.jobs.start('index', key, title, (control) => this.#build(names, control));
  }

  async #build(names: string[], control: JobControl): Promise<void> {
    await this.handle.read(async (source) => {
      for (const [n, name] of names.entries()) {
        const archive = await this.handle.archive(source, name);
        const prefix = names.length > 1 ? `${name} (${n + 1}/${names.length}): ` : '';
        await this.indexes.obtain(archive.id.toString('hex'), () => buildArchiveIndex(source, archive, (done, total, items) => {
          control.progress(done, total, `${prefix}${items} items`);
        }, control.signal));
      }
    });
  }

  /** The growth/deduplication numbers if computed for the current manifest, else the job computing them. */
  growth(source: ArchiveSource): { growth: RepositoryGrowth | null; job?: JobState } {
    const manifestId = source.manifest.id?.toString('hex') ?? '';
    if (this.#growth?.manifestId === manifestId) return { growth: this.#growth };
    const job = this.jobs.start('stats', `stats ${this.number} ${manifestId}`, 'Computing deduplicated sizes', async (control) => {
      this.#growth = await repositoryGrowth(this.handle, control);
    });
    return { growth: null, job };
  }

  /** The entry of `path` in `index`; 404 when there is none. */
  entry(index: ArchiveIndex, path: string): number {
    const entry = index.lookup(path);
    if (entry === null) throw new WebError(404, `No such path in archive ${index.header.archive}: ${path}`);
    return entry;
  }

  /** The full item of `entry`, null for a directory that only deeper paths imply. */
  async item(source: ArchiveSource, archive: LoadedArchiveMeta, index: ArchiveIndex, entry: number): Promise<Item | null> {
    if (entry < 0 || index.cols.flags[entry]! & FLAG_IMPLICIT) return null;
    return this.items.read(source, archive, index.cols.chunk[entry]!, index.cols.offset[entry]!);
  }

  /** The item holding the contents of `entry` (a hard link slave's master). */
  async contentItem(source: ArchiveSource, archive: LoadedArchiveMeta, index: ArchiveIndex, entry: number): Promise<Item | null> {
    const item = await this.item(source, archive, index, entry);
    if (item === null || !(index.cols.flags[entry]! & FLAG_HARDLINK) || item.source === undefined) return item;
    const master = index.lookup(item.source);
    return master === null ? item : this.item(source, archive, index, master);
  }
}
