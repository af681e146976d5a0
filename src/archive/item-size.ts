// The size of an item as borg reports it in list and diff: the stored `size` when there is one,
// the length of the target for a symlink (its "file size"), else the sum over its own chunks.
// Hard link slaves have no chunks of their own and count 0, like in borg's listings.

import { isSymlink, type ChunkRef, type Item } from './item.js';

export interface ItemSizeOptions {
  /** Sum stored (compressed, encrypted) sizes instead of plaintext sizes. */
  compressed?: boolean;
  /** Only count chunks whose hex id is in this set (the stored `size` is then not used). */
  onlyIds?: ReadonlySet<string>;
}

export function itemSize(item: Item, options: ItemSizeOptions = {}): number {
  if (!options.compressed && options.onlyIds === undefined && item.size !== undefined) return item.size;
  // borg measures the decoded target: one unit per character, one per undecodable byte.
  if (isSymlink(item)) return item.source === undefined ? 0 : Array.from(item.source).length;
  return sumChunks(item.chunks ?? [], options);
}

function sumChunks(chunks: readonly ChunkRef[], options: ItemSizeOptions): number {
  let total = 0;
  for (const chunk of chunks) {
    if (options.onlyIds !== undefined && !options.onlyIds.has(chunk.id.toString('hex'))) continue;
    total += options.compressed ? chunk.csize : chunk.size;
  }
  return total;
}
