// Writing a bigger file's chunks where they are opened: each envelope goes to the worker with the
// open file and the chunk's offset (from the sizes the item records), and the worker writes the
// plaintext there, so it never travels back to the main thread. Chunks are counted (progress,
// statistics) in file order as they complete. A chunk whose plaintext is not the size the item
// records comes back unwritten: the offsets of the chunks after it are wrong, so from it on the
// file is written again in order, as FileWriter does (a damaged or hostile archive).
import type { ChunkRef } from '../item.js';
import type { StoredChunk, WriteChunkAt } from './chunk-reader.js';

/** Bytes of chunks handed out and not yet written. */
const WINDOW_BYTES = 32 << 20;

export interface PositionalResult {
  /** Bytes written and counted, in file order, before `rest`. */
  written: number;
  /** Where the recorded sizes failed: that chunk's index and its plaintext, then write on in order. */
  rest: { index: number; plaintext: Buffer } | null;
}

export async function writeChunksAt(
  fd: number, chunks: readonly ChunkRef[], envelopes: AsyncIterable<StoredChunk>, writeAt: WriteChunkAt,
  options: { sparse: boolean; onData?: ((bytes: number) => void | Promise<void>) | undefined; signal?: AbortSignal | undefined },
): Promise<PositionalResult> {
  const pending: Array<{ index: number; size: number; result: Promise<Buffer | number> }> = [];
  let inFlight = 0;
  let position = 0;
  let written = 0;
  let rest: PositionalResult['rest'] = null;
  // Counts the oldest chunk once it is written; a mismatch stops the counting for good.
  const settleOldest = async (): Promise<void> => {
    const oldest = pending.shift()!;
    inFlight -= oldest.size;
    const outcome = await oldest.result;
    if (rest !== null) return;
    if (typeof outcome !== 'number') {
      rest = { index: oldest.index, plaintext: outcome };
      return;
    }
    written += outcome;
    await options.onData?.(outcome);
  };
  let index = 0;
  try {
    for await (const envelope of envelopes) {
      options.signal?.throwIfAborted();
      const ref = chunks[index]!;
      const result = writeAt(ref.id, envelope, fd, position, ref.size, options.sparse);
      result.catch(() => undefined); // raised in turn by settleOldest
      pending.push({ index, size: ref.size, result });
      inFlight += ref.size;
      position += ref.size;
      index += 1;
      while (inFlight > WINDOW_BYTES && pending.length > 1) await settleOldest();
      if (rest !== null) break;
    }
    while (pending.length > 0) await settleOldest();
  } finally {
    // Nothing may still write to the file once the caller goes on (or closes it).
    await Promise.allSettled(pending.map((p) => p.result));
  }
  return { written, rest };
}
