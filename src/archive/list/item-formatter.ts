// The lines (or JSON objects) of `list ARCHIVE`: every --format key of borg's item listing
// (spec §8.3). Cheap keys are always computed; sizes, times, chunk counts and content hashes only
// when the format uses them, because hashes read the file's chunks and dsize/dcsize/unique_chunks
// need the repository-wide chunk refcounts.

import type { FormatValue } from '../placeholders.js';
import { removeSurrogates } from '../display-text.js';
import { fileMode } from '../file-mode.js';
import type { ChunkRef, Item } from '../item.js';
import { itemSize } from '../item-size.js';
import { OutputTimestamp } from '../output-timestamp.js';
import { hashChunks, isHashKey } from './content-hash.js';
import { checkFormatFields, compileFormat, formatFieldNames } from './format-fields.js';
import { COMPUTED_KEYS, ITEM_FORMAT_KEYS, KEYS_NEEDING_CHUNK_INDEX } from './format-keys.js';

export { DEFAULT_ITEM_FORMAT, formatNeedsChunkIndex, ITEM_FORMAT_KEYS, KEYS_NEEDING_CHUNK_INDEX, SHORT_ITEM_FORMAT } from './format-keys.js';

/** A chunk's repository-wide reference count (the cache's chunk index answers this). */
export interface ChunkRefcounts {
  get(id: Uint8Array): { refcount: number } | undefined;
}

export interface ItemFormatterOptions {
  /** The archive's name and id, for {archivename} and {archiveid}. */
  archive: { name: string; id: Buffer };
  /** Build JSON objects (borg's --json-lines) instead of formatted text. */
  json?: boolean;
  /** Reads the plaintext of chunks in order; needed when the format uses a hash key. */
  readChunks?: (ids: readonly Buffer[]) => AsyncIterable<Uint8Array>;
  /** Needed when the format uses dsize, dcsize or unique_chunks. */
  refcounts?: ChunkRefcounts;
}

export type ItemData = Record<string, FormatValue>;

export class ItemFormatter {
  readonly #render: (data: ItemData) => string;
  readonly #options: ItemFormatterOptions;
  /** The computed keys the format uses, in the order they first appear. */
  readonly #computed: string[];
  readonly #hashKeys: string[];
  readonly #archive: { archivename: string; archiveid: string };

  constructor(format: string, options: ItemFormatterOptions) {
    const used = formatFieldNames(format);
    if (!options.json) checkFormatFields(format, new Set(ITEM_FORMAT_KEYS));
    this.#render = compileFormat(format);
    this.#options = options;
    this.#computed = [...used].filter((key) => COMPUTED_KEYS.includes(key));
    this.#hashKeys = this.#computed.filter(isHashKey);
    if (this.#hashKeys.length > 0 && options.readChunks === undefined) throw new TypeError('ItemFormatter needs readChunks for hash keys');
    if (this.#computed.some((k) => KEYS_NEEDING_CHUNK_INDEX.includes(k)) && options.refcounts === undefined) {
      throw new TypeError('ItemFormatter needs chunk refcounts for dsize, dcsize and unique_chunks');
    }
    this.#archive = { archivename: options.archive.name, archiveid: options.archive.id.toString('hex') };
  }

  /** The output for one item: a formatted line, or (json) the object to print as one JSON line. */
  async format(item: Item): Promise<string | ItemData> {
    const data = await this.itemData(item);
    return this.#options.json ? data : this.#render(data);
  }

  /** The values of one item, with the keys borg puts into its text or JSON data. */
  async itemData(item: Item): Promise<ItemData> {
    let mode = fileMode(item.mode);
    const type = mode[0]!;
    const source = item.source ? removeSurrogates(item.source) : '';
    let extra = '';
    if (source !== '') {
      if (type === 'l') {
        extra = ` -> ${source}`;
      } else {
        mode = `h${mode.slice(1)}`;
        extra = ` link to ${source}`;
      }
    }
    // Object literals of one fixed shape (FIXED_KEYS written out): spreading and growing objects per
    // item is many times slower.
    const user = item.user || (item.uid ?? null);
    const group = item.group || (item.gid ?? null);
    const uid = item.uid ?? null;
    const gid = item.gid ?? null;
    const path = removeSurrogates(item.path);
    const flags = item.bsdflags ?? 0;
    const healthy = item.chunksHealthy === undefined;
    const { archivename, archiveid } = this.#archive;
    const data: ItemData = this.#options.json
      ? { type, mode, user, group, uid, gid, path, healthy, source, linktarget: source, flags }
      : {
        type, mode, user, group, uid, gid, path, bpath: item.path, extra, health: healthy ? 'healthy' : 'broken', source, linktarget: source,
        flags, archivename, archiveid, LF: '\n', SPACE: ' ', TAB: '\t', CR: '\r', NUL: '\0', NEWLINE: '\n', NL: '\n',
      };
    const hashes = this.#hashKeys.length > 0 ? await this.#hashes(item) : undefined;
    for (const key of this.#computed) data[key] = hashes?.get(key) ?? this.#computedValue(key, item);
    return data;
  }

  #computedValue(key: string, item: Item): FormatValue {
    switch (key) {
      case 'size': return itemSize(item);
      case 'csize': return itemSize(item, { compressed: true });
      case 'num_chunks': return item.chunks?.length ?? 0;
      case 'dsize': return this.#sumUnique(item, (c) => c.size);
      case 'dcsize': return this.#sumUnique(item, (c) => c.csize);
      case 'unique_chunks': return this.#sumUnique(item, () => 1);
      case 'mtime': case 'ctime': case 'atime': return itemTime(item, key);
      case 'isomtime': case 'isoctime': case 'isoatime': return itemTime(item, key.slice(3) as 'mtime').isoformat();
      default: throw new RangeError(`Unknown item format key "${key}"`);
    }
  }

  /** Sums chunks that no other item or archive references (refcount = uses within this item). */
  #sumUnique(item: Item, measure: (chunk: ChunkRef) => number): number {
    const chunks = item.chunks ?? [];
    const uses = new Map<string, number>();
    for (const c of chunks) uses.set(c.id.toString('hex'), (uses.get(c.id.toString('hex')) ?? 0) + 1);
    let total = 0;
    for (const c of chunks) {
      if (this.#options.refcounts!.get(c.id)?.refcount === uses.get(c.id.toString('hex'))) total += measure(c);
    }
    return total;
  }

  async #hashes(item: Item): Promise<Map<string, string>> {
    // Items without a chunk list (directories, links, hard link slaves) have no content hash.
    if (item.chunks === undefined) return new Map(this.#hashKeys.map((key) => [key, '']));
    return hashChunks(this.#hashKeys, this.#options.readChunks!(item.chunks.map((c) => c.id)));
  }
}

/** An item time; ctime and atime fall back to mtime when not stored (or zero), as in borg. */
function itemTime(item: Item, key: 'mtime' | 'ctime' | 'atime'): OutputTimestamp {
  const value = item[key];
  return OutputTimestamp.fromNs(value !== undefined && value !== 0n ? value : item.mtime);
}
