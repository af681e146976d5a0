// Searching item indexes: by name (a shell glob on the last path component, or on the whole path
// when the glob has a '/'), or by regular expression on the whole path (borg's `re:` dialect,
// Python syntax), narrowed by size, modification time and type. Cheap numeric tests run first;
// names are only decoded for entries that pass them.
import { fnmatchToPythonRegex } from '../../archive/patterns/glob-translate.js';
import { compilePythonRegex } from '../../archive/patterns/python-re.js';
import type { ArchiveIndex } from './index-format.js';
import { FLAG_IMPLICIT } from './index-format.js';

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

/** The test for one name or path; throws InvalidRegex/UnsupportedRegex (BorgError) for bad patterns. */
export function compileQuery(query: SearchQuery): { regex: RegExp; wholePath: boolean } {
  const source = query.mode === 'glob' ? fnmatchToPythonRegex(query.pattern) : query.pattern;
  let regex = compilePythonRegex(source, { anchored: query.mode === 'glob' });
  if (query.ignoreCase && !regex.flags.includes('i')) regex = new RegExp(regex.source, `${regex.flags}i`);
  return { regex, wholePath: query.mode === 'regex' || query.pattern.includes('/') };
}

/** Searches `indexes` (in the order given) for `query`. */
export function searchIndexes(indexes: readonly ArchiveIndex[], query: SearchQuery): SearchResult {
  const { regex, wholePath } = compileQuery(query);
  const limit = query.limit ?? 1000;
  const result: SearchResult = { hits: [], truncated: false, perArchive: {} };
  for (const index of indexes) {
    const { cols } = index;
    const dirPaths = new Map<number, string>();
    const dirPath = (entry: number): string => {
      if (entry < 0) return '';
      let path = dirPaths.get(entry);
      if (path === undefined) {
        const parent = dirPath(cols.parent[entry]!);
        path = parent === '' ? index.name(entry) : `${parent}/${index.name(entry)}`;
        dirPaths.set(entry, path);
      }
      return path;
    };
    for (let e = 0; e < index.count; e++) {
      const size = cols.size[e]!;
      const mtime = cols.mtime[e]!;
      const mode = cols.mode[e]!;
      if (cols.flags[e]! & FLAG_IMPLICIT) continue;
      if (query.minSize !== undefined && size < query.minSize) continue;
      if (query.maxSize !== undefined && size > query.maxSize) continue;
      if (query.after !== undefined && mtime < query.after) continue;
      if (query.before !== undefined && mtime > query.before) continue;
      const type = entryType(mode);
      if (query.type !== undefined && type !== query.type) continue;
      const name = index.name(e);
      let path: string | null = null;
      if (wholePath) {
        const parent = dirPath(cols.parent[e]!);
        path = parent === '' ? name : `${parent}/${name}`;
      }
      regex.lastIndex = 0;
      if (!regex.test(path ?? name)) continue;
      if (result.hits.length >= limit) {
        result.truncated = true;
        return result;
      }
      if (path === null) {
        const parent = dirPath(cols.parent[e]!);
        path = parent === '' ? name : `${parent}/${name}`;
      }
      result.hits.push({ archive: index.header.archive, path, type, size, mtime });
      result.perArchive[index.header.archive] = (result.perArchive[index.header.archive] ?? 0) + 1;
    }
  }
  return result;
}
