// The web UI's search language over archive trees (src/archive/tree): by name (a shell glob on
// the last path component, or on the whole path when the glob has a '/'), or by regular
// expression on the whole path (borg's `re:` dialect, Python syntax), narrowed by size,
// modification time and type. Each archive's loaded tree is scanned; cheap numeric tests run
// first, names are only decoded for entries that pass them.
import { fnmatchToPythonRegex } from '../archive/patterns/glob-translate.js';
import { compilePythonRegex } from '../archive/patterns/python-re.js';
import type { ArchiveTree } from '../archive/tree/index.js';

export type EntryType = 'file' | 'dir' | 'link' | 'other';

export interface SearchQuery {
  pattern: string;
  mode: 'glob' | 'regex';
  ignoreCase?: boolean;
  minSize?: number;
  maxSize?: number;
  /** Modification time bounds, ms since the epoch (inclusive). */
  after?: number;
  before?: number;
  type?: EntryType;
  /** Stop after this many results (the answer says it was truncated). */
  limit?: number;
}

export interface SearchHit {
  archive: string;
  path: string;
  type: EntryType;
  size: number;
  mtime: number;
}

export interface SearchResult {
  hits: SearchHit[];
  truncated: boolean;
  /** Number of hits per archive name (up to the limit). */
  perArchive: Record<string, number>;
}

export function entryType(mode: number): EntryType {
  switch (mode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'dir';
    case 0o120000: return 'link';
    default: return 'other';
  }
}

/** Modification time of a tree entry in ms since the epoch. */
export function mtimeMs(tree: ArchiveTree, e: number): number {
  return Number(tree.mtimeNs(tree.resolve(e)) / 1_000_000n);
}

/** The test for one name or path; throws InvalidRegex/UnsupportedRegex (BorgError) for bad patterns. */
export function compileQuery(query: SearchQuery): { regex: RegExp; wholePath: boolean } {
  const source = query.mode === 'glob' ? fnmatchToPythonRegex(query.pattern) : query.pattern;
  let regex = compilePythonRegex(source, { anchored: query.mode === 'glob' });
  if (query.ignoreCase && !regex.flags.includes('i')) regex = new RegExp(regex.source, `${regex.flags}i`);
  return { regex, wholePath: query.mode === 'regex' || query.pattern.includes('/') };
}

/** Searches the trees of `archives` (in the order given) for `query`; hits in archive order. */
export function searchTrees(archives: ReadonlyArray<{ archive: string; tree: ArchiveTree }>, query: SearchQuery): SearchResult {
  const { regex, wholePath } = compileQuery(query);
  const limit = query.limit ?? 1000;
  const msBound = (ms: number | undefined) => (ms === undefined ? undefined : BigInt(Math.round(ms)) * 1_000_000n);
  const afterNs = msBound(query.after);
  const beforeNs = query.before === undefined ? undefined : msBound(query.before)! + 999_999n;
  const result: SearchResult = { hits: [], truncated: false, perArchive: {} };
  for (const { archive, tree } of archives) {
    const dirPaths = new Map<number, string>();
    const dirPath = (e: number): string => {
      if (e === tree.root) return '';
      let path = dirPaths.get(e);
      if (path === undefined) {
        const parent = dirPath(tree.parent(e));
        const name = tree.nameText(e);
        path = parent === '' ? name : `${parent}/${name}`;
        dirPaths.set(e, path);
      }
      return path;
    };
    for (let e = 1; e < tree.count; e++) {
      if (tree.isSynthetic(e)) continue;
      const r = tree.resolve(e);
      const size = tree.size(r);
      if (query.minSize !== undefined && size < query.minSize) continue;
      if (query.maxSize !== undefined && size > query.maxSize) continue;
      if (afterNs !== undefined || beforeNs !== undefined) {
        const mtime = tree.mtimeNs(r);
        if (afterNs !== undefined && mtime < afterNs) continue;
        if (beforeNs !== undefined && mtime > beforeNs) continue;
      }
      const type = entryType(tree.mode(r));
      if (query.type !== undefined && type !== query.type) continue;
      const name = tree.nameText(e);
      let path: string | null = null;
      if (wholePath) {
        const parent = dirPath(tree.parent(e));
        path = parent === '' ? name : `${parent}/${name}`;
      }
      regex.lastIndex = 0;
      if (!regex.test(path ?? name)) continue;
      if (result.hits.length >= limit) {
        result.truncated = true;
        return result;
      }
      if (path === null) {
        const parent = dirPath(tree.parent(e));
        path = parent === '' ? name : `${parent}/${name}`;
      }
      result.hits.push({ archive, path, type, size, mtime: mtimeMs(tree, e) });
      result.perArchive[archive] = (result.perArchive[archive] ?? 0) + 1;
    }
  }
  return result;
}
