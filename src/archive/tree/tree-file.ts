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
import { TreeTables } from './tree-tables.js';

const MAGIC = Buffer.from('BORGTSTR');
export const TREE_FILE_VERSION = 1;
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
}

type Kind = 'u8' | 'u32' | 'f64' | 'i64';
const WIDTH: Record<Kind, number> = { u8: 1, u32: 4, f64: 8, i64: 8 };

/** The sections in file order: name, element type, element count. */
function sections(h: TreeFileHeader): Array<[string, Kind, number]> {
  const n = h.count;
  return [
    ['parent', 'u32', n], ['nameStart', 'u32', n + 1], ['heap', 'u8', h.heapBytes],
    ['mode', 'u32', n], ['uid', 'u32', n], ['gid', 'u32', n], ['user', 'u32', n], ['group', 'u32', n],
    ['size', 'f64', n], ['mtime', 'i64', n], ['atime', 'i64', n], ['ctime', 'i64', n], ['flags', 'u8', n],
    ['locChunk', 'u32', n], ['locOffset', 'u32', n], ['digest', 'u32', 2 * n],
    ['childStart', 'u32', n + 1], ['childList', 'u32', h.childList], ['slots', 'u32', h.slots],
    ['chunkIds', 'u8', ID_BYTES * h.chunkIds], ['spanning', 'u8', h.spanningBytes],
    ['rdev', 'f64', 2 * h.rdev], ['nlink', 'u32', 2 * h.nlink], ['contentFrom', 'u32', 4 * h.contentFrom],
    ['linkItem', 'u32', 4 * h.linkItem],
  ];
}

const align8 = (n: number) => (n + 7) & ~7;

/** The bytes of the cache file of `tree`, the tree of archive `archiveIdHex`. */
export function encodeArchiveTree(tree: ArchiveTree, archiveIdHex: string): Buffer {
  const { tables: t, names, owners, store } = tree.parts;
  const header: TreeFileHeader = {
    archiveId: archiveIdHex, littleEndian: LITTLE_ENDIAN, count: t.count, heapBytes: t.heap.length, childList: t.childList.length,
    slots: names.slots.length, chunkIds: store.chunkIds.length, spanningBytes: store.spanning.length,
    rdev: t.rdev.size, nlink: t.nlink.size, contentFrom: t.contentFrom.size, linkItem: t.linkItem.size, owners: [...owners],
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
    size: t.size, mtime: t.mtime, atime: t.atime, ctime: t.ctime, flags: t.flags, locChunk: t.locChunk, locOffset: t.locOffset,
    digest: t.digest, childStart: t.childStart, childList: t.childList, slots: names.slots,
    chunkIds: Buffer.concat(store.chunkIds), spanning: store.spanning, rdev, nlink,
    contentFrom: locations(t.contentFrom), linkItem: locations(t.linkItem),
  };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const layout = sections(header);
  let total = align8(FIXED + head.length);
  for (const [name, kind, count] of layout) {
    if (data[name]!.byteLength !== WIDTH[kind] * count) throw new Error(`archive tree column ${name} has an unexpected length`);
    total += align8(data[name]!.byteLength);
  }
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(TREE_FILE_VERSION, 8);
  out.writeUInt32LE(head.length, 12);
  head.copy(out, FIXED);
  let pos = align8(FIXED + head.length);
  for (const [name] of layout) {
    const view = data[name]!;
    out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), pos);
    pos += align8(view.byteLength);
  }
  createHash('sha256').update(out.subarray(FIXED)).digest().copy(out, 16);
  return out;
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
  t.atime = v('atime');
  t.ctime = v('ctime');
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
