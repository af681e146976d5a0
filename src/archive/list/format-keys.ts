// The --format keys of `list` and its default formats: a catalog apart from the formatters, so that
// the command line (help text, checks) can name the keys without loading what formatting needs
// (archive metadata, crypto, content hashes).

import { HASH_KEYS } from './content-hash.js';
import { FIXED_KEYS, formatFieldNames } from './format-fields.js';

export const DEFAULT_ARCHIVE_FORMAT = '{archive:<36} {time} [{id}]{NL}';
export const SHORT_ARCHIVE_FORMAT = '{archive}{NL}';

const MANIFEST_KEYS = ['archive', 'name', 'barchive', 'id', 'start', 'time'];
/** Keys read from the metadata object; `tam` is borg >= 1.2.5's "verified"/"none". */
export const METADATA_KEYS: readonly string[] = ['hostname', 'username', 'comment', 'bcomment', 'end', 'command_line', 'tam'];

/** Every key an archive --format may use. */
export const ARCHIVE_FORMAT_KEYS: readonly string[] = [...MANIFEST_KEYS, ...METADATA_KEYS, ...Object.keys(FIXED_KEYS)];

export const DEFAULT_ITEM_FORMAT = '{mode} {user:6} {group:6} {size:8} {mtime} {path}{extra}{NL}';
export const SHORT_ITEM_FORMAT = '{path}{NL}';

/** Keys that need the chunk refcounts of the whole repository. */
export const KEYS_NEEDING_CHUNK_INDEX: readonly string[] = ['dsize', 'dcsize', 'unique_chunks'];

const TIME_KEYS = ['mtime', 'ctime', 'atime'] as const;
/** Item keys computed only when the format uses them. */
export const COMPUTED_KEYS: readonly string[] = [
  'size', 'csize', 'dsize', 'dcsize', 'num_chunks', 'unique_chunks',
  ...TIME_KEYS, ...TIME_KEYS.map((k) => `iso${k}`), ...HASH_KEYS,
];
const TEXT_KEYS = ['type', 'mode', 'user', 'group', 'uid', 'gid', 'path', 'bpath', 'extra', 'health', 'source', 'linktarget', 'flags'];

/** Every key an item --format may use. */
export const ITEM_FORMAT_KEYS: readonly string[] = [...TEXT_KEYS, ...COMPUTED_KEYS, 'archivename', 'archiveid', ...Object.keys(FIXED_KEYS)];

export function formatNeedsChunkIndex(format: string): boolean {
  const used = formatFieldNames(format);
  return KEYS_NEEDING_CHUNK_INDEX.some((key) => used.has(key));
}
