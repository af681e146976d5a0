// The web UI's per-archive item index: one compact, immutable table of an archive's items (and
// the directories its paths imply), kept in the local cache so that search, history and listings
// need neither the repository nor its lock once it is built. Archives never change, so an index
// is named by the archive's id and never goes stale.
//
// Layout: a JSON header (length-prefixed), then typed-array columns aligned to 8 bytes. Entries
// are in breadth-first order with the children of every directory contiguous and sorted by name,
// so listing a directory is a slice and looking up a path is one binary search per component.
// Per entry: parent, first child, child count, mode, flags, size, mtime (ms), where the item
// starts in the item stream (chunk number, byte offset), a digest of its chunk ids, and its name.
import { decodeFsBytes } from '../../format/surrogate-escape.js';

export const INDEX_MAGIC = 'BORGTS-WEB-ITEM-INDEX';
export const INDEX_VERSION = 1;

/** No item: a directory implied by deeper paths. */
export const FLAG_IMPLICIT = 1;
/** A hard link slave (contents and digest are its master's). */
export const FLAG_HARDLINK = 2;

export interface IndexHeader {
  magic: string;
  version: number;
  archive: string;
  /** Hex id of the archive metadata object. */
  id: string;
  /** Archive start time, ISO 8601 UTC. */
  time: string;
  count: number;
  namesBytes: number;
}

export interface IndexColumns {
  parent: Int32Array;
  childStart: Uint32Array;
  childCount: Uint32Array;
  mode: Uint32Array;
  flags: Uint8Array;
  size: Float64Array;
  mtime: Float64Array;
  chunk: Uint32Array;
  offset: Uint32Array;
  /** 8 bytes per entry; all zero for items without contents. */
  digest: Uint8Array;
  /** count + 1 offsets into `names`. */
  nameStart: Uint32Array;
  names: Uint8Array;
}

type ColumnName = keyof IndexColumns;
const ORDER: ColumnName[] = ['size', 'mtime', 'parent', 'childStart', 'childCount', 'mode', 'chunk', 'offset', 'nameStart', 'digest', 'flags', 'names'];

const align8 = (n: number) => (n + 7) & ~7;

/** The bytes of an index file. */
export function encodeIndex(header: IndexHeader, columns: IndexColumns): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  let total = align8(4 + head.length);
  for (const name of ORDER) total += align8(columns[name].byteLength);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(head.length, 0);
  head.copy(out, 4);
  let pos = align8(4 + head.length);
  for (const name of ORDER) {
    const col = columns[name];
    out.set(new Uint8Array(col.buffer, col.byteOffset, col.byteLength), pos);
    pos += align8(col.byteLength);
  }
  return out;
}

export class IndexFormatError extends Error {}

/** A loaded index: read-only views into one buffer. */
export class ArchiveIndex {
  private constructor(readonly header: IndexHeader, readonly cols: IndexColumns) {}

  static decode(data: Buffer): ArchiveIndex {
    if (data.length < 4) throw new IndexFormatError('index file is truncated');
    const headLength = data.readUInt32LE(0);
    let header: IndexHeader;
    try {
      header = JSON.parse(data.subarray(4, 4 + headLength).toString('utf8')) as IndexHeader;
    } catch {
      throw new IndexFormatError('index header is not JSON');
    }
    if (header.magic !== INDEX_MAGIC || header.version !== INDEX_VERSION) throw new IndexFormatError('not an index of this version');
    // Views need aligned offsets: copy when the buffer itself is not 8-aligned.
    const buf = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
    const n = header.count;
    const sizes: Record<ColumnName, number> = {
      size: 8 * n, mtime: 8 * n, parent: 4 * n, childStart: 4 * n, childCount: 4 * n, mode: 4 * n, chunk: 4 * n, offset: 4 * n,
      nameStart: 4 * (n + 1), digest: 8 * n, flags: n, names: header.namesBytes,
    };
    let pos = align8(4 + headLength);
    const at = (name: ColumnName) => {
      const start = buf.byteOffset + pos;
      pos += align8(sizes[name]);
      if (pos - align8(sizes[name]) + sizes[name] > buf.length) throw new IndexFormatError('index file is truncated');
      return start;
    };
    const ab = buf.buffer;
    const cols = {} as IndexColumns;
    for (const name of ORDER) {
      const start = at(name);
      switch (name) {
        case 'size': case 'mtime': cols[name] = new Float64Array(ab, start, n); break;
        case 'parent': cols[name] = new Int32Array(ab, start, n); break;
        case 'nameStart': cols[name] = new Uint32Array(ab, start, n + 1); break;
        case 'digest': cols[name] = new Uint8Array(ab, start, 8 * n); break;
        case 'flags': cols[name] = new Uint8Array(ab, start, n); break;
        case 'names': cols[name] = new Uint8Array(ab, start, header.namesBytes); break;
        default: cols[name] = new Uint32Array(ab, start, n);
      }
    }
    return new ArchiveIndex(header, cols);
  }

  get count(): number {
    return this.header.count;
  }

  /** Bytes held by the columns. */
  get byteLength(): number {
    let total = 0;
    for (const name of ORDER) total += this.cols[name].byteLength;
    return total;
  }

  name(entry: number): string {
    return decodeFsBytes(this.cols.names.subarray(this.cols.nameStart[entry]!, this.cols.nameStart[entry + 1]!));
  }

  path(entry: number): string {
    const parts: string[] = [];
    for (let e = entry; e >= 0; e = this.cols.parent[e]!) parts.push(this.name(e));
    return parts.reverse().join('/');
  }

  isDir(entry: number): boolean {
    return (this.cols.mode[entry]! & 0o170000) === 0o040000;
  }

  /** Hex of the 8-byte content digest, '' for items without contents. */
  digestHex(entry: number): string {
    const d = this.cols.digest.subarray(8 * entry, 8 * entry + 8);
    return d.every((b) => b === 0) ? '' : Buffer.from(d).toString('hex');
  }

  /** The entries at the top of the archive (paths without '/'). */
  roots(): { start: number; count: number } {
    let count = 0;
    while (count < this.count && this.cols.parent[count] === -1) count += 1;
    return { start: 0, count };
  }

  children(entry: number): { start: number; count: number } {
    if (entry < 0) return this.roots();
    return { start: this.cols.childStart[entry]!, count: this.cols.childCount[entry]! };
  }

  /** The entry of `path` ('' = the archive root, -1), or null. */
  lookup(path: string): number | null {
    if (path === '') return -1;
    let entry = -1;
    for (const part of path.split('/')) {
      const { start, count } = this.children(entry);
      const found = this.#find(part, start, count);
      if (found === null) return null;
      entry = found;
    }
    return entry;
  }

  #find(name: string, start: number, count: number): number | null {
    let lo = start;
    let hi = start + count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const probe = this.name(mid);
      if (probe === name) return mid;
      if (probe < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }
}
