// Archive metadata objects (spec §5.3): name, times, command line, statistics and the list of
// item-stream chunk ids, authenticated with an archive TAM.
import { isMap, type MsgMap, type MsgValue } from '../format/msgpack.js';
import { packAndAuthenticate, unpackAndVerify, type Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Repository } from '../repository/repository.js';
import { chunkerParamsFromArchive, chunkerParamsToArchive, type ChunkerParams } from '../chunker/chunker-params.js';
import { decodeFsBytes } from '../format/surrogate-escape.js';
import { BorgError } from '../errors.js';

export class InvalidArchive extends BorgError {}

export interface ArchiveMeta {
  version: 1;
  name: string;
  /** Ids of the item-stream chunks, in order. */
  items: Buffer[];
  cmdline: string[];
  /** Naive UTC `%Y-%m-%dT%H:%M:%S.%f`. */
  time: string;
  timeEnd?: string;
  hostname?: string;
  username?: string;
  comment?: string;
  chunkerParams?: ChunkerParams;
  /** Statistics written by borg >= 1.2 (absent in older archives). */
  size?: number;
  csize?: number;
  nfiles?: number;
  sizeParts?: number;
  csizeParts?: number;
  nfilesParts?: number;
  recreateCmdline?: string[];
  /** Keys this version does not interpret, kept when the metadata is rewritten. */
  extra?: MsgMap;
}

export interface LoadedArchiveMeta {
  id: Buffer;
  meta: ArchiveMeta;
  /** The metadata plaintext length (borg counts it in the archive's statistics). */
  size: number;
  /** The stored envelope length. */
  csize: number;
  tamVerified: boolean;
  /** The TAM salt, kept when the metadata is rewritten (rename, comment) as borg >= 1.2.5 does. */
  tamSalt: Buffer | null;
}

const STRING_KEYS: Record<string, keyof ArchiveMeta> = {
  name: 'name', time: 'time', time_end: 'timeEnd', hostname: 'hostname', username: 'username', comment: 'comment',
};
const INT_KEYS: Record<string, keyof ArchiveMeta> = {
  size: 'size', csize: 'csize', nfiles: 'nfiles', size_parts: 'sizeParts', csize_parts: 'csizeParts', nfiles_parts: 'nfilesParts',
};

function strList(v: MsgValue | undefined, what: string): string[] {
  if (!Array.isArray(v) || !v.every((e) => Buffer.isBuffer(e))) throw new InvalidArchive(`Invalid archive metadata: ${what} is not a list of strings`);
  return (v as Buffer[]).map((b) => decodeFsBytes(b));
}

export function archiveMetaFromMsg(m: MsgMap): ArchiveMeta {
  if (m['version'] !== 1) throw new InvalidArchive('Invalid archive metadata: unknown version');
  const items = m['items'];
  if (!Array.isArray(items) || !items.every((i) => Buffer.isBuffer(i) && i.length === 32)) {
    throw new InvalidArchive('Invalid archive metadata: items is not a list of ids');
  }
  const meta: ArchiveMeta = { version: 1, name: '', items: items as Buffer[], cmdline: [], time: '' };
  for (const key of Object.keys(m)) {
    const v = m[key]!;
    if (key === 'version' || key === 'items' || key === 'tam') continue;
    if (key in STRING_KEYS) {
      if (!Buffer.isBuffer(v)) throw new InvalidArchive(`Invalid archive metadata: ${key} is not a string`);
      (meta as unknown as Record<string, unknown>)[STRING_KEYS[key]!] = decodeFsBytes(v);
    } else if (key in INT_KEYS) {
      if (typeof v !== 'number') throw new InvalidArchive(`Invalid archive metadata: ${key} is not an integer`);
      (meta as unknown as Record<string, unknown>)[INT_KEYS[key]!] = v;
    } else if (key === 'cmdline') meta.cmdline = strList(v, key);
    else if (key === 'recreate_cmdline') meta.recreateCmdline = strList(v, key);
    else if (key === 'chunker_params') meta.chunkerParams = chunkerParamsFromArchive(v);
    else (meta.extra ??= Object.create(null) as MsgMap)[key] = v;
  }
  if (!meta.name || !meta.time || m['cmdline'] === undefined) throw new InvalidArchive('Invalid archive metadata: name, time or cmdline missing');
  return meta;
}

export function archiveMetaToMsg(meta: ArchiveMeta): MsgMap {
  const m: MsgMap = Object.create(null) as MsgMap;
  if (meta.extra) Object.assign(m, meta.extra);
  m['version'] = 1;
  m['name'] = meta.name;
  m['items'] = meta.items;
  m['cmdline'] = meta.cmdline;
  m['time'] = meta.time;
  for (const [k, prop] of Object.entries(STRING_KEYS)) if (k !== 'name' && k !== 'time' && meta[prop] !== undefined) m[k] = meta[prop] as string;
  for (const [k, prop] of Object.entries(INT_KEYS)) if (meta[prop] !== undefined) m[k] = meta[prop] as number;
  if (meta.chunkerParams !== undefined) m['chunker_params'] = chunkerParamsToArchive(meta.chunkerParams);
  if (meta.recreateCmdline !== undefined) m['recreate_cmdline'] = meta.recreateCmdline;
  return m;
}

/** Loads and verifies an archive's metadata object. An invalid TAM is an error (borg >= 1.2.5). */
export async function loadArchiveMeta(repository: Repository, codec: ObjectCodec, key: Key, id: Buffer): Promise<LoadedArchiveMeta> {
  const envelope = await repository.get(id);
  const data = codec.unpack(id, envelope);
  const { value, verified, salt } = unpackAndVerify(key, data, 'archive', { required: false });
  if (!isMap(value)) throw new InvalidArchive('Invalid archive metadata: not a map');
  return { id, meta: archiveMetaFromMsg(value), size: data.length, csize: envelope.length, tamVerified: verified, tamSalt: salt };
}

/** The plaintext of archive metadata with a fresh archive TAM. */
export function packArchiveMeta(key: Key, msg: MsgMap, salt?: Buffer | null): Buffer {
  return packAndAuthenticate(key, msg, 'archive', salt ?? undefined);
}
