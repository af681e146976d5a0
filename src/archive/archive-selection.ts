// Which archives of a repository a command works on (spec §8.5): --glob-archives / --prefix,
// checkpoints hidden or shown, --sort-by, then --first / --last. list, info, delete, prune, check
// and mount all select the same way, so the rules live here once.

import { UsageError } from '../errors.js';
import type { ArchiveEntry } from './manifest.js';
import { shellToPythonRegex } from './patterns/glob-translate.js';
import { compilePythonRegex } from './patterns/python-re.js';
import { parseUtcIso } from './timestamps.js';

/** The keys --sort-by accepts; "timestamp" is the start time from the manifest. */
export const SORT_KEYS = ['timestamp', 'name', 'id'] as const;
export type ArchiveSortKey = (typeof SORT_KEYS)[number];

export interface ArchiveFilter {
  /** Shell-style glob on the whole name (placeholders already replaced). */
  glob?: string | undefined;
  /** Only names starting with this (placeholders already replaced); borg turns it into the glob "PREFIX*". */
  prefix?: string | undefined;
  /** Sort keys, most significant first. Default: timestamp. */
  sortBy?: readonly ArchiveSortKey[] | undefined;
  /** Keep the first N archives after sorting (0 or undefined: all). */
  first?: number | undefined;
  /** Keep the last N archives after sorting (ignored when `first` is set). */
  last?: number | undefined;
  /** Include archives whose name contains ".checkpoint". Default false. */
  considerCheckpoints?: boolean | undefined;
  /**
   * Let the glob also match the checkpoints of matching names (the glob "daily-*" then selects
   * "daily-1.checkpoint.2" too), as prune does. Default false.
   */
  includeCheckpointSuffix?: boolean | undefined;
  /** Reverse the final list (newest first for prune). */
  reverse?: boolean | undefined;
}

/** Parses a --sort-by value ("timestamp,name"); an unknown key is a usage error. */
export function parseSortKeys(text: string): ArchiveSortKey[] {
  return text.split(',').map((token) => {
    if (!(SORT_KEYS as readonly string[]).includes(token)) throw new UsageError(`Invalid sort key: ${token}`);
    return token as ArchiveSortKey;
  });
}

/** Whether any of the options that pick archives out of a repository is set (borg's info checks this). */
export function hasArchiveFilter(filter: ArchiveFilter): boolean {
  return Boolean(filter.first || filter.last || filter.prefix !== undefined || filter.glob);
}

/** The glob (or "*") as an anchored RegExp over a whole archive name. */
export function archiveGlobRegExp(glob: string, includeCheckpointSuffix = false): RegExp {
  const exact = shellToPythonRegex(glob);
  // The translation ends in \Z (match at the very end); prune lets a checkpoint suffix come first.
  if (!exact.endsWith('\\Z')) throw new Error('shell pattern translation no longer ends in \\Z');
  const source = includeCheckpointSuffix ? `${exact.slice(0, -2)}(\\.checkpoint(\\.\\d+)?)?\\Z` : exact;
  return compilePythonRegex(source, { anchored: true });
}

/** The archives of `archives` (manifest order) that `filter` selects, in its order. */
export function selectArchives(archives: Iterable<ArchiveEntry>, filter: ArchiveFilter = {}): ArchiveEntry[] {
  const glob = filter.prefix !== undefined ? `${filter.prefix}*` : filter.glob;
  const regex = archiveGlobRegExp(glob || '*', filter.includeCheckpointSuffix);
  let selected = [...archives].filter((a) => regex.test(a.name));
  if (!filter.considerCheckpoints) selected = selected.filter((a) => !a.name.includes('.checkpoint'));
  // Stable sorts from the least significant key up give the combined order.
  for (const key of [...(filter.sortBy ?? ['timestamp'])].reverse()) selected = sortBy(selected, key);
  if (filter.first) selected = selected.slice(0, filter.first);
  else if (filter.last) selected = selected.slice(Math.max(selected.length - filter.last, 0));
  if (filter.reverse) selected.reverse();
  return selected;
}

function sortBy(archives: ArchiveEntry[], key: ArchiveSortKey): ArchiveEntry[] {
  switch (key) {
    case 'timestamp': {
      const times = new Map(archives.map((a) => [a, parseUtcIso(a.time)]));
      return archives.sort((a, b) => {
        const x = times.get(a)!;
        const y = times.get(b)!;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    }
    case 'name':
      return archives.sort((a, b) => compareCodePoints(a.name, b.name));
    case 'id':
      return archives.sort((a, b) => Buffer.compare(a.id, b.id));
  }
}

/** Python compares str by code point; JS's < compares UTF-16 units (differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done && q.done ? 0 : p.done ? -1 : 1;
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}
