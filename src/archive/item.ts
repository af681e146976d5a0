// One archived file system object (spec §5.4) and its msgpack form.
//
// Items are decoded into a typed object for the code that works with them, and encoded back to
// exactly what borg writes (sorted keys, same types), so unchanged items re-encode byte for byte and
// metadata chunks deduplicate between borg and borg-ts. Keys we do not know are kept in `extra`.
import { isMap, keyText, type MsgMap, type MsgValue } from '../format/msgpack.js';
import { decodeFsBytes, encodeFsString } from '../format/surrogate-escape.js';
import { BorgError } from '../errors.js';

export interface ChunkRef {
  id: Buffer;
  /** Plaintext length. */
  size: number;
  /** Stored envelope length. */
  csize: number;
}

export interface Item {
  /** Archive path (no leading '/'); non-UTF-8 bytes as lone surrogates (see surrogate-escape.ts). */
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
  /** User/group names; null = stored as nil (numeric ids only). */
  user?: string | null;
  group?: string | null;
  /** Times in nanoseconds. */
  mtime: bigint;
  atime?: bigint;
  ctime?: bigint;
  birthtime?: bigint;
  size?: number;
  chunks?: ChunkRef[];
  chunksHealthy?: ChunkRef[];
  hardlinkMaster?: boolean;
  /** Symlink target, or the path of the hard link master for a hard link slave. */
  source?: string;
  rdev?: number;
  /** xattr name (raw bytes as a latin1 string) -> value (null = empty value stored as nil). */
  xattrs?: Map<string, Buffer | null>;
  bsdflags?: number;
  aclAccess?: Buffer;
  aclDefault?: Buffer;
  aclExtended?: Buffer;
  aclNfs4?: Buffer;
  /** Part number of a checkpoint part file. */
  part?: number;
  /** Keys this version does not know, kept for round trips. */
  extra?: MsgMap;
}

export class InvalidItem extends BorgError {}

/** File type bits of a mode, as in stat(2); every layer above shares these. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

export const isDir = (item: Item): boolean => (item.mode & S_IFMT) === S_IFDIR;
export const isRegular = (item: Item): boolean => (item.mode & S_IFMT) === S_IFREG;
export const isSymlink = (item: Item): boolean => (item.mode & S_IFMT) === S_IFLNK;
export const isFifo = (item: Item): boolean => (item.mode & S_IFMT) === S_IFIFO;
export const isChr = (item: Item): boolean => (item.mode & S_IFMT) === S_IFCHR;
export const isBlk = (item: Item): boolean => (item.mode & S_IFMT) === S_IFBLK;
/** A hard link slave: a hardlinkable item whose `source` names its master. */
export const isHardlinkSlave = (item: Item): boolean => item.source !== undefined && !isSymlink(item);

const KNOWN_KEYS = new Set([
  'path', 'mode', 'uid', 'gid', 'user', 'group', 'mtime', 'atime', 'ctime', 'birthtime', 'size', 'chunks',
  'chunks_healthy', 'hardlink_master', 'source', 'rdev', 'xattrs', 'bsdflags', 'acl_access', 'acl_default',
  'acl_extended', 'acl_nfs4', 'part',
]);

function fail(what: string): never {
  throw new InvalidItem(`Invalid item: ${what}`);
}

function text(v: MsgValue | undefined, what: string): string {
  if (!Buffer.isBuffer(v)) fail(`${what} is not a string`);
  return decodeFsBytes(v);
}

function int(v: MsgValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  fail(`${what} is not an integer`);
}

/** Nanosecond times: ints, or (legacy) little-endian two's complement "bigint" raw bytes. */
function time(v: MsgValue | undefined, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  if (Buffer.isBuffer(v) && v.length > 0 && v.length <= 16) {
    let n = 0n;
    for (let i = v.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(v[i]!);
    if (v[v.length - 1]! & 0x80) n -= 1n << BigInt(8 * v.length);
    return n;
  }
  fail(`${what} is not a time`);
}

function nameOrNull(v: MsgValue | undefined, what: string): string | null {
  return v === null ? null : text(v, what);
}

function bytes(v: MsgValue | undefined, what: string): Buffer {
  if (!Buffer.isBuffer(v)) fail(`${what} is not bytes`);
  return v;
}

export function chunkListFromMsg(v: MsgValue | undefined, what = 'chunks'): ChunkRef[] {
  if (!Array.isArray(v)) fail(`${what} is not a list`);
  return v.map((e) => {
    if (!Array.isArray(e) || e.length !== 3 || !Buffer.isBuffer(e[0]) || e[0].length !== 32) fail(`${what} entry is malformed`);
    return { id: e[0], size: int(e[1], `${what} size`), csize: int(e[2], `${what} csize`) };
  });
}

export function chunkListToMsg(chunks: ChunkRef[]): MsgValue[] {
  return chunks.map((c) => [c.id, c.size, c.csize]);
}

/** Decodes an item map as stored in the item stream. */
export function itemFromMsg(m: MsgValue): Item {
  if (!isMap(m)) fail('not a map');
  if (m['path'] === undefined || m['mtime'] === undefined) fail('path or mtime missing');
  const item: Item = { path: text(m['path'], 'path'), mode: m['mode'] === undefined ? 0 : int(m['mode'], 'mode'), mtime: time(m['mtime'], 'mtime') };
  for (const key of Object.keys(m)) {
    const v = m[key]!;
    switch (key) {
      case 'path': case 'mode': case 'mtime': break;
      case 'uid': item.uid = int(v, key); break;
      case 'gid': item.gid = int(v, key); break;
      case 'user': item.user = nameOrNull(v, key); break;
      case 'group': item.group = nameOrNull(v, key); break;
      case 'atime': item.atime = time(v, key); break;
      case 'ctime': item.ctime = time(v, key); break;
      case 'birthtime': item.birthtime = time(v, key); break;
      case 'size': item.size = int(v, key); break;
      case 'chunks': item.chunks = chunkListFromMsg(v, key); break;
      case 'chunks_healthy': item.chunksHealthy = chunkListFromMsg(v, key); break;
      case 'hardlink_master': if (typeof v !== 'boolean') fail('hardlink_master is not a bool'); item.hardlinkMaster = v; break;
      case 'source': item.source = text(v, key); break;
      case 'rdev': item.rdev = int(v, key); break;
      case 'bsdflags': item.bsdflags = int(v, key); break;
      case 'acl_access': item.aclAccess = bytes(v, key); break;
      case 'acl_default': item.aclDefault = bytes(v, key); break;
      case 'acl_extended': item.aclExtended = bytes(v, key); break;
      case 'acl_nfs4': item.aclNfs4 = bytes(v, key); break;
      case 'part': item.part = int(v, key); break;
      case 'xattrs': {
        if (!isMap(v)) fail('xattrs is not a map');
        item.xattrs = new Map();
        for (const name of Object.keys(v)) {
          const value = v[name];
          if (value !== null && !Buffer.isBuffer(value)) fail('xattr value is not bytes');
          item.xattrs.set(name, value ?? null);
        }
        break;
      }
      default:
        (item.extra ??= Object.create(null) as MsgMap)[key] = v;
    }
  }
  return item;
}

/** The map borg stores for `item` (pack it with sorted keys). */
export function itemToMsg(item: Item): MsgMap {
  const m: MsgMap = Object.create(null) as MsgMap;
  if (item.extra) for (const k of Object.keys(item.extra)) if (!KNOWN_KEYS.has(k)) m[k] = item.extra[k]!;
  m['path'] = encodeFsString(item.path);
  m['mode'] = item.mode;
  m['mtime'] = item.mtime;
  if (item.uid !== undefined) m['uid'] = item.uid;
  if (item.gid !== undefined) m['gid'] = item.gid;
  if (item.user !== undefined) m['user'] = item.user === null ? null : encodeFsString(item.user);
  if (item.group !== undefined) m['group'] = item.group === null ? null : encodeFsString(item.group);
  if (item.atime !== undefined) m['atime'] = item.atime;
  if (item.ctime !== undefined) m['ctime'] = item.ctime;
  if (item.birthtime !== undefined) m['birthtime'] = item.birthtime;
  if (item.size !== undefined) m['size'] = item.size;
  if (item.chunks !== undefined) m['chunks'] = chunkListToMsg(item.chunks);
  if (item.chunksHealthy !== undefined) m['chunks_healthy'] = chunkListToMsg(item.chunksHealthy);
  if (item.hardlinkMaster !== undefined) m['hardlink_master'] = item.hardlinkMaster;
  if (item.source !== undefined) m['source'] = encodeFsString(item.source);
  if (item.rdev !== undefined) m['rdev'] = item.rdev;
  if (item.xattrs !== undefined) m['xattrs'] = new Map([...item.xattrs].map(([k, v]) => [k, v] as [string, MsgValue]));
  if (item.bsdflags !== undefined) m['bsdflags'] = item.bsdflags;
  if (item.aclAccess !== undefined) m['acl_access'] = item.aclAccess;
  if (item.aclDefault !== undefined) m['acl_default'] = item.aclDefault;
  if (item.aclExtended !== undefined) m['acl_extended'] = item.aclExtended;
  if (item.aclNfs4 !== undefined) m['acl_nfs4'] = item.aclNfs4;
  if (item.part !== undefined) m['part'] = item.part;
  return m;
}

/** Keys of a decoded item map that borg's check would report as unknown. */
export function unknownItemKeys(m: MsgMap, known: ReadonlySet<string>): string[] {
  return Object.keys(m).filter((k) => !known.has(keyText(k)));
}
