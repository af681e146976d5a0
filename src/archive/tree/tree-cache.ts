// Where archive trees are kept between runs: `<cache root>/archive-trees/<repository id>/<archive
// id>.tree`, directories 0700 and files 0600 (they list the file names, owners and sizes of the
// backups). Archives never change, so a file named by the archive's id never goes stale; files
// of deleted archives are pruned by the caller. Not inside the repository's own cache directory:
// borg takes an existing directory there for a cache and fails on one without its config.
// Only whole-archive trees belong here (no PATH selection, no --strip-components, no part files,
// no versions), and only those built without warnings, so that every run reports them alike.
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, type Env } from '../../cache/paths.js';
import { saveFile } from '../../platform/save-file.js';
import type { ArchiveSource } from '../archive-reader.js';
import type { LoadedArchiveMeta } from '../archive-meta.js';
import type { ArchiveTree } from './archive-tree.js';
import { repositoryItemSource, type ItemSource } from './item-store.js';
import { buildArchiveTree, type AddArchiveOptions, type TreeSelection } from './tree-builder.js';
import { decodeArchiveTree, encodeArchiveTree, TreeFileError } from './tree-file.js';

const SUFFIX = '.tree';

/** A selection that takes the whole archive as it is (the only trees kept in files). */
export function isWholeArchive(selection: TreeSelection): boolean {
  return (selection.matcher === undefined || selection.matcher.empty()) && !selection.stripComponents && !selection.considerPartFiles;
}

export interface ObtainOptions {
  onWarning?: ((message: string) => void) | undefined;
  onProgress?: AddArchiveOptions['onProgress'];
  signal?: AbortSignal | undefined;
}

export class ArchiveTreeCache {
  readonly dir: string;

  constructor(repositoryIdHex: string, env: Env) {
    const root = join(cacheRoot(env), 'archive-trees');
    this.dir = join(root, repositoryIdHex);
    for (const dir of [root, this.dir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
    }
  }

  file(archiveIdHex: string): string {
    return join(this.dir, `${archiveIdHex}${SUFFIX}`);
  }

  has(archiveIdHex: string): boolean {
    try {
      return statSync(this.file(archiveIdHex)).isFile();
    } catch {
      return false;
    }
  }

  /**
   * The saved tree of an archive and its size in bytes; null when there is none, or when it is
   * damaged or of another version (then it is deleted, for the caller to rebuild).
   */
  load(archiveIdHex: string, itemSource: ItemSource): { tree: ArchiveTree; bytes: number } | null {
    let data: Buffer;
    try {
      data = readFileSync(this.file(archiveIdHex));
    } catch {
      return null;
    }
    try {
      return { tree: decodeArchiveTree(data, archiveIdHex, itemSource), bytes: data.length };
    } catch (e) {
      if (!(e instanceof TreeFileError)) throw e;
      this.#remove(archiveIdHex);
      return null;
    }
  }

  /** Saves the tree of an archive (atomically: readers see the old file or the new one); returns its size. */
  save(archiveIdHex: string, tree: ArchiveTree): number {
    const pieces = encodeArchiveTree(tree, archiveIdHex);
    saveFile(this.file(archiveIdHex), pieces, 0o600);
    return pieces.reduce((sum, piece) => sum + piece.length, 0);
  }

  /**
   * The whole tree of `archive`: loaded from its file, else built from `source` and saved (unless
   * building warned). Items are read through `itemSource` (default: `source`'s repository).
   */
  async obtain(source: ArchiveSource, archive: LoadedArchiveMeta, options: ObtainOptions = {}, itemSource: ItemSource = repositoryItemSource(source)): Promise<{ tree: ArchiveTree; bytes: number; built: boolean }> {
    const hex = archive.id.toString('hex');
    const loaded = this.load(hex, itemSource);
    if (loaded !== null) return { ...loaded, built: false };
    let warned = false;
    const tree = await buildArchiveTree(source, archive, {
      onProgress: options.onProgress, signal: options.signal,
      onWarning: (message) => {
        warned = true;
        options.onWarning?.(message);
      },
    }, itemSource);
    return { tree, bytes: warned ? 0 : this.save(hex, tree), built: true };
  }

  /** Deletes the trees of archives not in `liveIdsHex` (deleted or pruned), except those in `keep`. */
  prune(liveIdsHex: ReadonlySet<string>, keep: ReadonlySet<string> = new Set()): void {
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(SUFFIX)) continue;
      const id = file.slice(0, -SUFFIX.length);
      if (!liveIdsHex.has(id) && !keep.has(id)) this.#remove(id);
    }
  }

  #remove(archiveIdHex: string): void {
    try {
      unlinkSync(this.file(archiveIdHex));
    } catch {
      // removed by someone else
    }
  }
}
