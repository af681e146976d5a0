// Checks of one item (spec §5.4, §5.7), on the raw map so that a rewritten item keeps every byte
// the check has no reason to change: the keys must be known and `path`/`mtime` present, chunk lists
// well-formed, and every file chunk present. A lost file chunk is replaced by an all-zero chunk of
// the same size and the original list kept in `chunks_healthy`; when a lost chunk reappears (a later
// backup stored the same data again) the item gets it back, and once all are back it is healed.
import { keyText, type MsgMap, type MsgValue } from '../../format/msgpack.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import type { ChunkRef } from '../item.js';
import type { CheckContext } from './check-context.js';
import type { ScannedItem } from './item-scanner.js';

const REQUIRED_ITEM_KEYS = ['path', 'mtime'];

/** Why `value` is no usable item, or null if it is one (borg's valid_item plus well-formed chunk lists). */
export function invalidItemReason(value: MsgValue, knownKeys: ReadonlySet<string>): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value) || value instanceof Map || value instanceof Uint8Array) {
    return 'not a dictionary';
  }
  // Attic <= 0.13 stored a meaningless `acl` key in every item: drop it rather than reject the item.
  if (value['acl'] !== undefined) delete value['acl'];
  if (value['path'] === undefined || value['mtime'] === undefined) {
    return `missing required keys: ${REQUIRED_ITEM_KEYS.filter((k) => value[k] === undefined).join(', ')}`;
  }
  const unknown: string[] = [];
  for (const key of Object.keys(value)) {
    // An ASCII key is its own text: only others need decoding.
    if (knownKeys.has(key) && isAscii(key)) continue;
    const text = keyText(key);
    if (!knownKeys.has(text)) unknown.push(text);
  }
  if (unknown.length > 0) return `invalid keys: ${unknown.join(', ')}`;
  for (const key of CHUNK_LIST_KEYS) {
    if (value[key] !== undefined && !isChunkList(value[key])) return `malformed ${key}`;
  }
  return null;
}

const CHUNK_LIST_KEYS = ['chunks', 'chunks_healthy'];

/** Whether chunkList would accept `value` (without building the list). */
function isChunkList(value: MsgValue): boolean {
  if (!Array.isArray(value)) return false;
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) return false;
    const id = entry[0];
    if (!Buffer.isBuffer(id) || id.length !== 32 || !isCount(entry[1]) || !isCount(entry[2])) return false;
  }
  return true;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The common case of verifyFileChunks without promises: no chunks_healthy list and every chunk
 * present. Counts the references and returns true; returns false (having changed nothing) otherwise.
 * `item` must have passed invalidItemReason.
 */
export function verifyPresentFileChunks(ctx: CheckContext, archive: string, item: MsgMap): boolean {
  if (item['chunks_healthy'] !== undefined) return false;
  const list = item['chunks'] as [Buffer, number, number][];
  for (const entry of list) if (!ctx.chunks.has(entry[0])) return false;
  let chunksSize = 0;
  for (const entry of list) {
    ctx.chunks.incref(entry[0]);
    chunksSize += entry[1];
  }
  const size = item['size'];
  if (size !== undefined && size !== chunksSize) ctx.report({ kind: 'size-inconsistent', archive, path: itemPath(item), size: Number(size), chunksSize });
  return true;
}

/**
 * verifyPresentFileChunks for a scanned item (whose size the scanner found consistent): counts the
 * references and returns true when every chunk is present; otherwise returns false, having looked
 * up the chunks as verifyPresentFileChunks does, and the item goes to verifyFileChunks.
 */
export function countScannedChunks(ctx: CheckContext, item: ScannedItem): boolean {
  const ids = item.ids;
  if (ids === null) return true;
  // One lookup where has() and incref() make two: the second finds the entry where the first left it.
  if (ids.length === 1) return ctx.chunks.increfIfPresent(ids[0]!);
  for (const id of ids) if (!ctx.chunks.has(id)) return false;
  for (const id of ids) ctx.chunks.incref(id);
  return true;
}

/** A chunk list as [id (32 bytes), size, csize] entries, or null when it is not one. */
export function chunkList(value: MsgValue | undefined): ChunkRef[] | null {
  if (!Array.isArray(value)) return null;
  const out: ChunkRef[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [id, size, csize] = entry;
    if (!Buffer.isBuffer(id) || id.length !== 32 || !isCount(size) || !isCount(csize)) return null;
    out.push({ id, size, csize });
  }
  return out;
}

function isCount(v: MsgValue | undefined): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function sameChunk(a: ChunkRef, b: ChunkRef): boolean {
  return a.size === b.size && a.csize === b.csize && a.id.equals(b.id);
}

function toMsg(list: ChunkRef[]): MsgValue[] {
  return list.map((c) => [c.id, c.size, c.csize]);
}

/** The item's path for messages. */
export function itemPath(item: MsgMap): string {
  const path = item['path'];
  return Buffer.isBuffer(path) ? decodeFsBytes(path) : String(path);
}

/**
 * Counts the references of an item's file chunks and repairs or heals its chunk list (borg's
 * verify_file_chunks). `item` must have passed invalidItemReason; it is changed in place.
 */
export async function verifyFileChunks(ctx: CheckContext, archive: string, item: MsgMap): Promise<void> {
  const path = itemPath(item);
  const current = chunkList(item['chunks'])!;
  let healthy = item['chunks_healthy'] === undefined ? null : chunkList(item['chunks_healthy'])!;
  if (healthy !== null && healthy.length !== current.length) {
    // Should never happen (borg issue #3218): a list of another length cannot be used to heal.
    ctx.report({ kind: 'chunks-healthy-invalid', archive, path });
    delete item['chunks_healthy'];
    healthy = null;
  }
  const reference = healthy ?? current;
  const result: ChunkRef[] = [];
  let replaced = false;
  let offset = 0;
  for (let i = 0; i < current.length; i++) {
    const now = current[i]!;
    const good = reference[i]!;
    const where = { archive, path, offset, size: good.size, id: good.id };
    if (!ctx.chunks.has(good.id)) {
      if (sameChunk(now, good)) {
        ctx.report({ kind: 'file-chunk-missing', ...where });
        replaced = true;
        result.push(await ctx.replacementChunk(good.size));
      } else {
        // Lost before: an earlier repair put an all-zero replacement in its place.
        ctx.report({ kind: 'file-chunk-still-missing', ...where });
        if (ctx.incref(now.id)) {
          result.push(now);
        } else {
          ctx.report({ kind: 'replacement-chunk-missing', ...where, id: now.id });
          replaced = true;
          result.push(await ctx.replacementChunk(good.size));
        }
      }
    } else {
      ctx.incref(good.id);
      if (!sameChunk(now, good)) {
        ctx.report({ kind: 'file-chunk-healed', ...where });
        // The replacement may now be unreferenced: delete it with the superseded objects.
        ctx.markPossiblySuperseded(now.id);
      }
      result.push(good);
    }
    offset += good.size;
  }
  // On the first repair remember the original list, so the file can be healed later.
  if (replaced && healthy === null) item['chunks_healthy'] = toMsg(current);
  if (healthy !== null && result.every((c, i) => sameChunk(c, healthy![i]!))) {
    ctx.report({ kind: 'file-healed', archive, path });
    delete item['chunks_healthy'];
  }
  item['chunks'] = toMsg(result);
  const size = item['size'];
  if (size !== undefined) {
    const chunksSize = result.reduce((sum, c) => sum + c.size, 0);
    // Only reported: extract warns about it too, and the chunks are what they are.
    if (size !== chunksSize) ctx.report({ kind: 'size-inconsistent', archive, path, size: Number(size), chunksSize });
  }
}
