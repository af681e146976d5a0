// Borg's hash index files (spec §1.7): the generic table and its two typed views.
export {
  HashIndex, HASH_SIZES, MAX_VALUE, KEY_SIZE, HEADER_SIZE, parseHashIndexHeader,
  type HashIndexHeader, type HashIndexOptions, type HashIndexReadOptions, type HeaderCheckOptions,
} from './hashindex-table.js';
export { NSIndex, type NSEntry } from './ns-index.js';
export { ChunkIndex, type ChunkEntry, type ChunkIndexSummary } from './chunk-index.js';
