// The items of an archive as far as they can be read (borg's robust_iterator): missing item-stream
// chunks are reported and skipped, damaged ones too, and after each hole the stream is resynced to
// the next item start, so every item that survived is kept. Items come back a chunk's items at a
// time, as raw maps, or — while the stream has had no hole or damage — as scanned items (see
// item-scanner.ts) wherever the bytes allow, which the walk takes without decoding them.
import { IntegrityError } from '../../errors.js';
import { decodeAt, isMap, MsgpackError, Unpacker, type MsgMap, type MsgValue } from '../../format/msgpack.js';
import type { CheckContext } from './check-context.js';
import { invalidItemReason } from './item-check.js';
import { itemKeyTable, ITEM_LIMITS, scanItem, type ItemKeyTable, type ScannedItem } from './item-scanner.js';
import type { StreamOrigin } from './item-stream-rewriter.js';
import { readObjects } from './object-reader.js';
import { RobustUnpacker } from './robust-unpacker.js';

export type WalkItem = MsgMap | ScannedItem;

/** Runs of consecutive item-stream chunks that are all present or all missing, with their positions. */
function runs(ctx: CheckContext, ids: readonly Buffer[]): { missing: boolean; start: number; ids: Buffer[] }[] {
  const out: { missing: boolean; start: number; ids: Buffer[] }[] = [];
  ids.forEach((id, index) => {
    const missing = !ctx.chunks.has(id);
    const last = out[out.length - 1];
    if (last && last.missing === missing) last.ids.push(id);
    else out.push({ missing, start: index, ids: [id] });
  });
  return out;
}

/**
 * Reads an item stream chunk by chunk. While the stream is whole, each chunk's items are scanned
 * (or, where the scanner declines, decoded) straight from its plaintext, and an item cut off by the
 * chunk's end waits for the next one; after the first hole or damage the robust unpacker, which can
 * resync, takes over. Either way the items, the invalid ones and the errors come exactly as the
 * robust unpacker alone would give them, at the same chunk.
 */
export class ItemChunkReader {
  readonly #knownKeys: ReadonlySet<string>;
  readonly #keys: ItemKeyTable;
  readonly #origin: StreamOrigin | undefined;
  /** False once the robust unpacker has taken over. */
  #inPlace = true;
  #unpacker: RobustUnpacker | null = null;
  /** Bytes of an item cut off by the end of the chunks so far, and their stream position. */
  #tail: Buffer | null = null;
  #tailOffset = 0;
  /** Stream position after the last chunk read in place. */
  #end = 0;

  /** `origin`, when given, learns where the chunks read in place lie in the stream. */
  constructor(knownKeys: ReadonlySet<string>, origin?: StreamOrigin) {
    this.#knownKeys = knownKeys;
    this.#keys = itemKeyTable(knownKeys);
    this.#origin = origin;
  }

  /** What follows is not what came before (a hole, damage, a malformed item): search the next item start. */
  resync(): void {
    this.#robust().resync();
  }

  /**
   * Reads the items `data` completes into `items` (valid ones; `invalid` hears why the others are
   * not). Throws MsgpackError when the stream is malformed here; `data` must not change later.
   */
  feed(id: Buffer, data: Buffer, items: WalkItem[], invalid: (reason: string) => void): void {
    if (this.#inPlace) {
      this.#feedInPlace(id, data, items, invalid);
      return;
    }
    const unpacker = this.#unpacker!;
    unpacker.feed(data);
    for (const value of unpacker) this.#take(value, items, invalid);
  }

  #robust(): RobustUnpacker {
    this.#inPlace = false;
    this.#tail = null;
    return (this.#unpacker ??= new RobustUnpacker((v: MsgValue) => isMap(v) && v['path'] !== undefined, this.#knownKeys, ITEM_LIMITS));
  }

  #take(value: MsgValue, items: WalkItem[], invalid: (reason: string) => void): void {
    const reason = invalidItemReason(value, this.#knownKeys);
    if (reason === null) items.push(value as MsgMap);
    else invalid(reason);
  }

  #feedInPlace(id: Buffer, data: Buffer, items: WalkItem[], invalid: (reason: string) => void): void {
    this.#origin?.add(this.#end, data.length, id);
    const buf = this.#tail === null ? data : Buffer.concat([this.#tail, data]);
    const base = this.#tail === null ? this.#end : this.#tailOffset;
    this.#end += data.length;
    this.#tail = null;
    let pos = 0;
    while (pos < buf.length) {
      const scanned = scanItem(buf, pos, this.#keys, base + pos);
      if (scanned !== null) {
        items.push(scanned);
        pos += scanned.raw.length;
        continue;
      }
      let decoded: { value: MsgValue; end: number };
      try {
        decoded = decodeAt(buf, pos, ITEM_LIMITS);
      } catch (e) {
        if (!(e instanceof MsgpackError)) throw e;
        // Malformed, or cut off: a streaming unpacker holding these bytes tells which, and throws
        // its error now if it would.
        const probe = new Unpacker(ITEM_LIMITS);
        probe.feed(buf.subarray(pos));
        if (probe.next() !== undefined) throw new Error('Item stream: the streaming decoder read an item the decoder refused');
        this.#tail = buf.subarray(pos);
        this.#tailOffset = base + pos;
        return;
      }
      this.#take(decoded.value, items, invalid);
      pos = decoded.end;
    }
  }
}

/** The items of each item-stream chunk as one array (one await per chunk, not per item). */
export async function* robustItems(
  ctx: CheckContext, archive: string, itemIds: readonly Buffer[], knownKeys: ReadonlySet<string>, origin?: StreamOrigin,
): AsyncIterable<WalkItem[]> {
  const reader = new ItemChunkReader(knownKeys, origin);
  let first = true;
  for (const run of runs(ctx, itemIds)) {
    if (run.missing) {
      run.ids.forEach((id, i) => ctx.report({ kind: 'item-chunk-missing', archive, index: run.start + i, id }));
      first = false;
      continue;
    }
    // After a hole the next bytes start somewhere inside an item.
    if (!first) reader.resync();
    first = false;
    let index = run.start;
    for await (const read of readObjects(ctx.repository, run.ids)) {
      ctx.checkAborted();
      const where = { archive, index, id: read.id };
      index += 1;
      const items: WalkItem[] = [];
      try {
        if (read.error) throw read.error;
        const data = ctx.codec.unpack(read.id, read.envelope);
        // Items may be views into the plaintext: it must not be a view into a buffer that is reused.
        const own = data.buffer === read.envelope.buffer ? Buffer.from(data) : data;
        reader.feed(read.id, own, items, (reason) => ctx.report({ kind: 'item-invalid', reason, ...where }));
      } catch (e) {
        if (e instanceof MsgpackError) {
          ctx.report({ kind: 'item-stream-resync', ...where });
        } else if (e instanceof IntegrityError || e === read.error) {
          // The chunk's bytes are lost: continue at the next item start, like after a missing chunk.
          ctx.report({ kind: 'item-chunk-corrupted', reason: (e as Error).message, ...where });
        } else {
          throw e;
        }
        reader.resync();
      }
      if (items.length > 0) yield items;
    }
  }
}
