// The persistent form of an archive tree: its columns, name heap, name hash table and item
// locations written as they are in memory, so that loading is one read, one checksum and views
// into the buffer (no parsing per entry). Layout:
//
//   magic "BORGTSTR" | u32 version | u32 header length | sha-256 of everything after it (32 B)
//   | JSON header (counts, owner names, byte order) | sections, each aligned to 8 bytes
//
// A file of another version, byte order or archive, or whose checksum does not match, is refused
// (TreeFileError): the caller rebuilds it from the repository.
import { createHash } from 'node:crypto';
import { ArchiveTree } from './archive-tree.js';
import { ItemStore, type ItemSource } from './item-store.js';
import { NameIndex } from './name-index.js';
import { NARROW_COLUMNS, TreeTables } from './tree-tables.js';

const MAGIC = Buffer.from('BORGTSTR');
export const TREE_FILE_VERSION = 3;
const FIXED = 8 + 4 + 4 + 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const ID_BYTES = 32;

export class TreeFileError extends Error {}

interface TreeFileHeader {
  archiveId: string;
  littleEndian: boolean;
  count: number;
  heapBytes: number;
  childList: number;
  slots: number;
  chunkIds: number;
  spanningBytes: number;
  rdev: number;
  nlink: number;
  contentFrom: number;
  linkItem: number;
  owners: string[];
  /** The columns of NARROW_COLUMNS stored in 16 bits (the others of them in 32). */
  narrow: string[];
  /** Of atime and ctime, those that are the mtime column (stored once, as mtime). */
  sameAsMtime: string[];
}

type Kind = 'u8' | 'u16' | 'u32' | 'f64' | 'i64';
const WIDTH: Record<Kind, number> = { u8: 1, u16: 2, u32: 4, f64: 8, i64: 8 };

/** The sections in file order: name, element type, element count. */
function sections(h: TreeFileHeader): Array<[string, Kind, number]> {
  const n = h.count;
  const narrow = (name: string): Kind => (h.narrow.includes(name) ? 'u16' : 'u32');
  return [
    ['parent', 'u32', n], ['nameStart', 'u32', n + 1], ['heap', 'u8', h.heapBytes],
    ['mode', narrow('mode'), n], ['uid', narrow('uid'), n], ['gid', narrow('gid'), n], ['user', narrow('user'), n], ['group', narrow('group'), n],
    ['size', 'f64', n], ['mtime', 'i64', n], ['atime', 'i64', h.sameAsMtime.includes('atime') ? 0 : n], ['ctime', 'i64', h.sameAsMtime.includes('ctime') ? 0 : n], ['flags', 'u8', n],
    ['locChunk', narrow('locChunk'), n], ['locOffset', 'u32', n], ['digest', 'u32', 2 * n],
    ['childStart', 'u32', n + 1], ['childList', 'u32', h.childList], ['slots', 'u32', h.slots],
    ['chunkIds', 'u8', ID_BYTES * h.chunkIds], ['spanning', 'u8', h.spanningBytes],
    ['rdev', 'f64', 2 * h.rdev], ['nlink', 'u32', 2 * h.nlink], ['contentFrom', 'u32', 4 * h.contentFrom],
    ['linkItem', 'u32', 4 * h.linkItem],
  ];
}

const align8 = (n: number) => (n + 7) & ~7;
const SAME_AS_MTIME = ['atime', 'ctime'] as const;
const NO_TIMES = new BigInt64Array(0);

/**
 * The cache file of `tree`, the tree of archive `archiveIdHex`, as pieces to write in order: views
 * of the columns themselves, so that saving a large tree does not hold a second copy of it.
 */
export function encodeArchiveTree(tree: ArchiveTree, archiveIdHex: string): Uint8Array[] {
  const { tables: t, names, owners, store } = tree.parts;
  const header: TreeFileHeader = {
    archiveId: archiveIdHex, littleEndian: LITTLE_ENDIAN, count: t.count, heapBytes: t.heap.length, childList: t.childList.length,
    slots: names.slots.length, chunkIds: store.chunkIds.length, spanningBytes: store.spanning.length,
    rdev: t.rdev.size, nlink: t.nlink.size, contentFrom: t.contentFrom.size, linkItem: t.linkItem.size, owners: [...owners],
    narrow: NARROW_COLUMNS.filter((name) => t[name] instanceof Uint16Array),
    sameAsMtime: SAME_AS_MTIME.filter((name) => t[name] === t.mtime),
  };
  const rdev = new Float64Array(2 * t.rdev.size);
  let i = 0;
  for (const [e, v] of t.rdev) [rdev[i++], rdev[i++]] = [e, v];
  const nlink = new Uint32Array(2 * t.nlink.size);
  i = 0;
  for (const [e, v] of t.nlink) [nlink[i++], nlink[i++]] = [e, v];
  const locations = (map: TreeTables['contentFrom']) => {
    const out = new Uint32Array(4 * map.size);
    let j = 0;
    for (const [e, v] of map) [out[j++], out[j++], out[j++], out[j++]] = [e, v.chunk, v.offset, v.spanning ? 1 : 0];
    return out;
  };
  const data: Record<string, ArrayBufferView> = {
    parent: t.parent, nameStart: t.nameStart, heap: t.heap, mode: t.mode, uid: t.uid, gid: t.gid, user: t.user, group: t.group,
    size: t.size, mtime: t.mtime, atime: t.atime === t.mtime ? NO_TIMES : t.atime, ctime: t.ctime === t.mtime ? NO_TIMES : t.ctime, flags: t.flags, locChunk: t.locChunk, locOffset: t.locOffset,
    digest: t.digest, childStart: t.childStart, childList: t.childList, slots: names.slots,
    chunkIds: Buffer.concat(store.chunkIds), spanning: store.spanning, rdev, nlink,
    contentFrom: locations(t.contentFrom), linkItem: locations(t.linkItem),
  };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const layout = sections(header);
  for (const [name, kind, count] of layout) {
    if (data[name]!.byteLength !== WIDTH[kind] * count) throw new Error(`archive tree column ${name} has an unexpected length`);
  }
  const fixed = Buffer.alloc(FIXED);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt32LE(TREE_FILE_VERSION, 8);
  fixed.writeUInt32LE(head.length, 12);
  const pieces: Uint8Array[] = [fixed, head];
  const hash = createHash('sha256').update(head);
  const pad = (length: number) => {
    const padding = Buffer.alloc(align8(length) - length);
    if (padding.length > 0) {
      pieces.push(padding);
      hash.update(padding);
    }
  };
  pad(FIXED + head.length);
  for (const [name] of layout) {
    const view = data[name]!;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    pieces.push(bytes);
    hash.update(bytes);
    pad(bytes.length);
  }
  hash.digest().copy(fixed, 16);
  return pieces;
}

/** The tree in `data` (a cache file of archive `archiveIdHex`), reading items through `itemSource`. */
export function decodeArchiveTree(data: Buffer, archiveIdHex: string, itemSource: ItemSource): ArchiveTree {
  if (data.length < FIXED || !data.subarray(0, 8).equals(MAGIC)) throw new TreeFileError('not an archive tree file');
  if (data.readUInt32LE(8) !== TREE_FILE_VERSION) throw new TreeFileError('archive tree file of another version');
  const headLength = data.readUInt32LE(12);
  if (FIXED + headLength > data.length) throw new TreeFileError('archive tree file is truncated');
  if (!createHash('sha256').update(data.subarray(FIXED)).digest().equals(data.subarray(16, FIXED))) throw new TreeFileError('archive tree file is damaged (checksum)');
  let header: TreeFileHeader;
  try {
    header = JSON.parse(data.subarray(FIXED, FIXED + headLength).toString('utf8')) as TreeFileHeader;
  } catch {
    throw new TreeFileError('archive tree file header is not JSON');
  }
  if (header.archiveId !== archiveIdHex) throw new TreeFileError('archive tree file of another archive');
  if (!Array.isArray(header.narrow) || !header.narrow.every((name) => (NARROW_COLUMNS as readonly unknown[]).includes(name))) {
    throw new TreeFileError('archive tree file has a bad column list');
  }
  if (!Array.isArray(header.sameAsMtime) || !header.sameAsMtime.every((name) => (SAME_AS_MTIME as readonly unknown[]).includes(name))) {
    throw new TreeFileError('archive tree file has a bad time column list');
  }
  if (header.littleEndian !== LITTLE_ENDIAN) throw new TreeFileError('archive tree file of another byte order');
  // Views need aligned offsets: copy when the buffer itself is not 8-aligned.
  const buf = data.byteOffset % 8 === 0 ? data : Buffer.from(data);
  const views: Record<string, ArrayBufferView> = {};
  let pos = align8(FIXED + headLength);
  for (const [name, kind, count] of sections(header)) {
    const bytes = WIDTH[kind] * count;
    if (pos + bytes > buf.length) throw new TreeFileError('archive tree file is truncated');
    const at = buf.byteOffset + pos;
    views[name] = kind === 'u8' ? Buffer.from(buf.buffer, at, count)
      : kind === 'u16' ? new Uint16Array(buf.buffer, at, count)
      : kind === 'u32' ? new Uint32Array(buf.buffer, at, count)
        : kind === 'f64' ? new Float64Array(buf.buffer, at, count) : new BigInt64Array(buf.buffer, at, count);
    pos += align8(bytes);
  }
  if (pos !== buf.length) throw new TreeFileError('archive tree file has trailing bytes');
  const v = <T>(name: string) => views[name] as unknown as T;
  const t = new TreeTables();
  t.count = header.count;
  t.parent = v('parent');
  t.nameStart = v('nameStart');
  t.heap = v('heap');
  t.heapUsed = header.heapBytes;
  t.mode = v('mode');
  t.uid = v('uid');
  t.gid = v('gid');
  t.user = v('user');
  t.group = v('group');
  t.size = v('size');
  t.mtime = v('mtime');
  t.atime = header.sameAsMtime.includes('atime') ? t.mtime : v('atime');
  t.ctime = header.sameAsMtime.includes('ctime') ? t.mtime : v('ctime');
  t.timeViews();
  t.flags = v('flags');
  t.locChunk = v('locChunk');
  t.locOffset = v('locOffset');
  t.digest = v('digest');
  t.childStart = v('childStart');
  t.childList = v('childList');
  const rdev = v<Float64Array>('rdev');
  for (let i = 0; i < rdev.length; i += 2) t.rdev.set(rdev[i]!, rdev[i + 1]!);
  const nlink = v<Uint32Array>('nlink');
  for (let i = 0; i < nlink.length; i += 2) t.nlink.set(nlink[i]!, nlink[i + 1]!);
  for (const name of ['contentFrom', 'linkItem'] as const) {
    const from = v<Uint32Array>(name);
    for (let i = 0; i < from.length; i += 4) t[name].set(from[i]!, { chunk: from[i + 1]!, offset: from[i + 2]!, spanning: from[i + 3] === 1 });
  }
  const slots = v<Uint32Array>('slots');
  if (slots.length === 0 || (slots.length & (slots.length - 1)) !== 0) throw new TreeFileError('archive tree file has a bad name table');
  const ids = v<Buffer>('chunkIds');
  const chunkIds: Buffer[] = [];
  for (let i = 0; i < header.chunkIds; i++) chunkIds.push(ids.subarray(ID_BYTES * i, ID_BYTES * (i + 1)));
  const store = new ItemStore(itemSource, chunkIds, v<Buffer>('spanning'));
  return new ArchiveTree(t, NameIndex.fromSlots(t, slots), header.owners, store);
}
