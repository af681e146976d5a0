// Everything the server keeps per repository: the handle (key, shared-lock reads), the archive
// trees (src/archive/tree) kept in the local cache, and the statistics job's result.
import type { ArchiveSource } from '../archive/archive-reader.js';
import { NO_ENTRY, type ArchiveTree, type ItemSource } from '../archive/tree/index.js';
import type { Env } from '../cache/paths.js';
import { WebError } from './errors.js';
import type { JobControl, Jobs, JobState } from './jobs.js';
import { archivesByTime, repositoryGrowth, type RepositoryGrowth } from './repository-summary.js';
import type { WebRepository } from './repository-handle.js';
import { TreeStore } from './tree-store.js';

/** An archive's tree, or the job building it. */
export type TreeLookup = { tree: ArchiveTree; job?: undefined } | { tree?: undefined; job: JobState };

export class ServedRepository {
  readonly trees: TreeStore;
  #growth: RepositoryGrowth | null = null;

  constructor(readonly number: number, readonly handle: WebRepository, env: Env, private readonly jobs: Jobs) {
    // Items of a loaded tree are read with the repository open (shared lock) only for that read.
    const itemSource: ItemSource = {
      metadataChunk: (id) => handle.read(async (source) => source.codec.unpack(id, await source.repository.get(id))),
    };
    this.trees = new TreeStore(handle.idHex, env, itemSource);
  }

  /** The tree of archive `name`; when missing, a job builds it and is returned instead. */
  async tree(source: ArchiveSource, name: string): Promise<TreeLookup> {
    const entry = source.manifest.archives.get(name);
    const tree = entry === undefined ? null : this.trees.load(entry.id.toString('hex'));
    if (tree !== null) return { tree };
    // An unknown name fails here with borg's message.
    await this.handle.archive(source, name);
    return { job: this.buildTrees([name]) };
  }

  /** The trees of `names` (all archives when omitted), or the job building the missing ones. */
  async allTrees(source: ArchiveSource, names?: string[]): Promise<{ trees: Array<{ archive: string; time: string; tree: ArchiveTree }>; job?: JobState }> {
    const wanted = names ?? archivesByTime(source).map((a) => a.name);
    const trees: Array<{ archive: string; time: string; tree: ArchiveTree }> = [];
    const missing: string[] = [];
    for (const name of wanted) {
      const entry = source.manifest.archives.get(name);
      const tree = entry === undefined ? null : this.trees.load(entry.id.toString('hex'));
      if (tree === null) missing.push(name);
      else trees.push({ archive: name, time: entry!.time, tree });
    }
    if (missing.length > 0) return { trees, job: this.buildTrees(missing) };
    this.trees.prune(new Set([...source.manifest.archives.values()].map((a) => a.id.toString('hex'))));
    return { trees };
  }

  /** One job building the trees of `names` that are missing. */
  buildTrees(names: string[]): JobState {
    const key = `index ${this.number} ${names.join('\0')}`;
    const title = names.length === 1 ? `Indexing ${names[0]}` : `Indexing ${names.length} archives`;
    return this.jobs.start('index', key, title, (control) => this.#build(names, control));
  }

  async #build(names: string[], control: JobControl): Promise<void> {
    await this.handle.read(async (source) => {
      for (const [n, name] of names.entries()) {
        const archive = await this.handle.archive(source, name);
        const prefix = names.length > 1 ? `${name} (${n + 1}/${names.length}): ` : '';
        await this.trees.obtain(source, archive, {
          onProgress: (done, total, entries) => control.progress(done, total, `${prefix}${entries} items`), signal: control.signal,
        });
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

  /** The entry of `path` in `tree` of archive `archive` ('' is the root); 404 when there is none. */
  entry(tree: ArchiveTree, archive: string, path: string): number {
    const entry = tree.find(path);
    if (entry === NO_ENTRY) throw new WebError(404, `No such path in archive ${archive}: ${path}`);
    return entry;
  }
}

