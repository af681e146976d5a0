// The items of an archive as far as they can be read (borg's robust_iterator): missing item-stream
// chunks are reported and skipped, damaged ones too, and after each hole the stream is resynced to
// the next item start, so every item that survived is kept. Items come back as raw maps, a chunk's
// items at a time.
import { IntegrityError } from '../../errors.js';
import { isMap, MsgpackError, type MsgMap, type MsgValue } from '../../format/msgpack.js';
import type { CheckContext } from './check-context.js';
import { invalidItemReason } from './item-check.js';
import { readObjects } from './object-reader.js';
import { RobustUnpacker } from './robust-unpacker.js';

/**
 * Item maps are small; these bounds keep a hostile stream from exhausting memory (as item-stream.ts).
 * Shaped maps: the items only live inside the check, which reads many of them.
 */
const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024, shapedMaps: true };

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

/** The items of each item-stream chunk as one array (one await per chunk, not per item). */
export async function* robustItems(ctx: CheckContext, archive: string, itemIds: readonly Buffer[], knownKeys: ReadonlySet<string>): AsyncIterable<MsgMap[]> {
  const unpacker = new RobustUnpacker((v: MsgValue) => isMap(v) && v['path'] !== undefined, knownKeys, ITEM_LIMITS);
  let first = true;
  for (const run of runs(ctx, itemIds)) {
    if (run.missing) {
      run.ids.forEach((id, i) => ctx.report({ kind: 'item-chunk-missing', archive, index: run.start + i, id }));
      first = false;
      continue;
    }
    // After a hole the next bytes start somewhere inside an item.
    if (!first) unpacker.resync();
    first = false;
    let index = run.start;
    for await (const read of readObjects(ctx.repository, run.ids)) {
      ctx.checkAborted();
      const where = { archive, index, id: read.id };
      index += 1;
      const items: MsgMap[] = [];
      try {
        if (read.error) throw read.error;
        unpacker.feed(ctx.codec.unpack(read.id, read.envelope));
        for (const value of unpacker) {
          const reason = invalidItemReason(value, knownKeys);
          if (reason === null) items.push(value as MsgMap);
          else ctx.report({ kind: 'item-invalid', reason, ...where });
        }
      } catch (e) {
        if (e instanceof MsgpackError) {
          ctx.report({ kind: 'item-stream-resync', ...where });
        } else if (e instanceof IntegrityError || e === read.error) {
          // The chunk's bytes are lost: continue at the next item start, like after a missing chunk.
          ctx.report({ kind: 'item-chunk-corrupted', reason: (e as Error).message, ...where });
        } else {
          throw e;
        }
        unpacker.resync();
      }
      if (items.length > 0) yield items;
    }
  }
}
