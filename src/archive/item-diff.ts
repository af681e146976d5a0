// How one path differs between two archives (borg diff's change kinds): presence of a file,
// directory, link or device; content (by chunk ids when both archives were chunked alike, else
// by reading both contents); link target; owner; mode; ctime and mtime. Extended attributes,
// ACLs and atime are not compared, as in borg.

import { fileMode } from './file-mode.js';
import { isBlk, isChr, isDir, isFifo, isSymlink, type Item } from './item.js';
import { itemSize } from './item-size.js';
import { OutputTimestamp } from './output-timestamp.js';

/** One side of a comparison: an item, or nothing at that path (borg's "deleted" item). */
export type DiffSide = Item | null;

/** One change as borg's --json-lines reports it; `type` names the kind. */
export type DiffChange =
  | { type: 'added' | 'removed'; size: number }
  | { type: 'modified'; added?: number; removed?: number }
  | { type: `${'added' | 'removed'} ${'link' | 'directory' | 'blkdev' | 'chrdev' | 'fifo'}` | 'changed link' }
  | { type: 'owner'; old_user: string | number | null; old_group: string | number | null; new_user: string | number | null; new_group: string | number | null }
  | { type: 'mode'; old_mode: string; new_mode: string }
  | { type: 'ctime'; old_ctime: OutputTimestamp; new_ctime: OutputTimestamp }
  | { type: 'mtime'; old_mtime: OutputTimestamp; new_mtime: OutputTimestamp };

export interface ItemDiffOptions {
  /** Compare owners by uid/gid instead of user/group names. */
  numericIds?: boolean;
  /** Both archives used the same chunker parameters: equal content has equal chunk ids. */
  compareChunkIds?: boolean;
  /** Only report content changes (no owner, mode or time). */
  contentOnly?: boolean;
  /** Reads the plaintext of chunks (side 1 or 2), for comparing contents without chunk ids. */
  readChunks: (side: 1 | 2, ids: readonly Buffer[]) => AsyncIterable<Uint8Array>;
}

/** The changes between `a` (archive 1) and `b` (archive 2), or null if they are equal. */
export async function diffItems(a: DiffSide, b: DiffSide, options: ItemDiffOptions): Promise<DiffChange[] | null> {
  if (await itemsEqual(a, b, options)) return null;
  const changes: Array<DiffChange | undefined> = [];
  if (is(a, isSymlink) || is(b, isSymlink)) changes.push(presence(a, b, 'link') ?? linkChange(a!, b!));
  if (chunksOf(a) !== undefined && chunksOf(b) !== undefined) changes.push(contentChange(a, b, options));
  const kinds = [[isDir, 'directory'], [isBlk, 'blkdev'], [isChr, 'chrdev'], [isFifo, 'fifo']] as const;
  for (const [test, kind] of kinds) if (is(a, test) || is(b, test)) changes.push(presence(a, b, kind));
  if (a !== null && b !== null && !options.contentOnly) {
    changes.push(ownerChange(a, b, options.numericIds ?? false), modeChange(a, b), timeChange(a, b, 'ctime'), timeChange(a, b, 'mtime'));
  }
  return changes.filter((c): c is DiffChange => c !== undefined);
}

function is(item: DiffSide, test: (item: Item) => boolean): boolean {
  return item !== null && test(item);
}

/** A missing item counts as having an empty chunk list (an added file is all new content). */
function chunksOf(item: DiffSide): Item['chunks'] {
  return item === null ? [] : item.chunks;
}

function owner(item: Item, numericIds: boolean): [string | number | null, string | number | null] {
  return numericIds ? [item.uid ?? null, item.gid ?? null] : [item.user ?? null, item.group ?? null];
}

async function itemsEqual(a: DiffSide, b: DiffSide, options: ItemDiffOptions): Promise<boolean> {
  if (a === null || b === null) return a === b;
  if (a.source !== b.source) return false;
  if (!options.contentOnly) {
    if (a.mode !== b.mode || a.ctime !== b.ctime || a.mtime !== b.mtime) return false;
    const [u1, g1] = owner(a, options.numericIds ?? false);
    const [u2, g2] = owner(b, options.numericIds ?? false);
    if (u1 !== u2 || g1 !== g2) return false;
  }
  if (a.chunks === undefined || b.chunks === undefined) return true;
  if (options.compareChunkIds) {
    return a.chunks.length === b.chunks.length
      && a.chunks.every((c, i) => c.id.equals(b.chunks![i]!.id) && c.size === b.chunks![i]!.size && c.csize === b.chunks![i]!.csize);
  }
  if (itemSize(a) !== itemSize(b)) return false;
  return contentsEqual(options.readChunks(1, a.chunks.map((c) => c.id)), options.readChunks(2, b.chunks.map((c) => c.id)));
}

function presence(a: DiffSide, b: DiffSide, kind: 'link' | 'directory' | 'blkdev' | 'chrdev' | 'fifo'): DiffChange | undefined {
  if (a !== null && b === null) return { type: `removed ${kind}` };
  if (a === null && b !== null) return { type: `added ${kind}` };
  return undefined;
}

function linkChange(a: Item, b: Item): DiffChange | undefined {
  return a.source !== undefined && b.source !== undefined && a.source !== b.source ? { type: 'changed link' } : undefined;
}

function contentChange(a: DiffSide, b: DiffSide, options: ItemDiffOptions): DiffChange {
  if (a === null) return { type: 'added', size: itemSize(b!) };
  if (b === null) return { type: 'removed', size: itemSize(a) };
  if (!options.compareChunkIds) return { type: 'modified' };
  const ids1 = new Set(a.chunks!.map((c) => c.id.toString('hex')));
  const ids2 = new Set(b.chunks!.map((c) => c.id.toString('hex')));
  return {
    type: 'modified',
    added: itemSize(b, { onlyIds: new Set([...ids2].filter((id) => !ids1.has(id))) }),
    removed: itemSize(a, { onlyIds: new Set([...ids1].filter((id) => !ids2.has(id))) }),
  };
}

function ownerChange(a: Item, b: Item, numericIds: boolean): DiffChange | undefined {
  const [u1, g1] = owner(a, numericIds);
  const [u2, g2] = owner(b, numericIds);
  if (u1 === u2 && g1 === g2) return undefined;
  return { type: 'owner', old_user: u1, old_group: g1, new_user: u2, new_group: g2 };
}

function modeChange(a: Item, b: Item): DiffChange | undefined {
  if (a.mode === b.mode) return undefined;
  return { type: 'mode', old_mode: fileMode(a.mode), new_mode: fileMode(b.mode) };
}

function timeChange(a: Item, b: Item, key: 'ctime' | 'mtime'): DiffChange | undefined {
  const t1 = a[key];
  const t2 = b[key];
  if (t1 === undefined || t2 === undefined || t1 === t2) return undefined;
  const [old, now] = [OutputTimestamp.fromNs(t1), OutputTimestamp.fromNs(t2)];
  return key === 'ctime' ? { type: 'ctime', old_ctime: old, new_ctime: now } : { type: 'mtime', old_mtime: old, new_mtime: now };
}

/** Whether two chunk streams carry the same bytes, however they are cut. */
export async function contentsEqual(first: AsyncIterable<Uint8Array>, second: AsyncIterable<Uint8Array>): Promise<boolean> {
  const x = first[Symbol.asyncIterator]();
  const y = second[Symbol.asyncIterator]();
  let a: Uint8Array = new Uint8Array(0);
  let b: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      if (a.length === 0) {
        const next = await x.next();
        if (next.done) return b.length === 0 && (await y.next()).done === true;
        a = next.value;
        continue;
      }
      if (b.length === 0) {
        const next = await y.next();
        if (next.done) return false;
        b = next.value;
        continue;
      }
      const n = Math.min(a.length, b.length);
      if (Buffer.compare(a.subarray(0, n), b.subarray(0, n)) !== 0) return false;
      a = a.subarray(n);
      b = b.subarray(n);
    }
  } finally {
    await x.return?.();
    await y.return?.();
  }
}
