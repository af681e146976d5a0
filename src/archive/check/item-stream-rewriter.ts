// Writing an archive's checked items back as an item stream: packed with sorted keys, cut with the
// items chunker and the key's seed (as borg's ChunkBuffer does), so an archive whose items did not
// change gets exactly its old item-stream chunks and only their references are counted. Scanned
// items (item-scanner.ts) enter with their bytes as read; while the stream written so far equals the
// one read, a chunk cut where an old chunk began and ended is that chunk, and keeps its id unhashed.
import { createChunker, ITEMS_CHUNKER_PARAMS, type Chunker } from '../../chunker/index.js';
import { MANIFEST_ID } from '../../crypto/index.js';
import { Encoder, type MsgMap } from '../../format/msgpack.js';
import type { CheckContext } from './check-context.js';
import type { ScannedItem } from './item-scanner.js';

/** Items collected before they are fed to the chunker: one call per tiny item would be slow. */
const BATCH_ITEMS = 512;

/** Where the item-stream chunks that were read lie in the stream (their plaintexts back to back). */
export class StreamOrigin {
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #ids: Buffer[] = [];
  /** Where the last lookup stopped: lookups come in stream order. */
  #cursor = 0;

  add(start: number, length: number, id: Buffer): void {
    this.#starts.push(start);
    this.#ends.push(start + length);
    this.#ids.push(id);
  }

  /** The id of the chunk read that spans exactly [start, end), if there is one. */
  idOf(start: number, end: number): Buffer | undefined {
    const starts = this.#starts;
    while (this.#cursor < starts.length && starts[this.#cursor]! < start) this.#cursor++;
    const i = this.#cursor;
    if (i === starts.length || starts[i] !== start || this.#ends[i] !== end) return undefined;
    const id = this.#ids[i]!;
    // The one id that unpacking does not check against the data.
    return id.equals(MANIFEST_ID) ? undefined : id;
  }
}

export class ItemStreamRewriter {
  readonly #chunker: Chunker;
  readonly #ids: Buffer[] = [];
  readonly #origin: StreamOrigin | undefined;
  /** Packed items not yet fed to the chunker. */
  #pieces: Buffer[] = [];
  #pendingItems = 0;
  /** Maps being packed, and a run of scanned items adjacent in memory. */
  #encoder: Encoder | null = null;
  #runBuffer: ArrayBufferLike | null = null;
  #runStart = 0;
  #runEnd = 0;
  /** Bytes of the new stream so far; the first #same of them equal the stream read. */
  #written = 0;
  #same = 0;
  #sameSoFar = true;
  /** Stream position of the next chunk the chunker returns. */
  #cutAt = 0;

  constructor(private readonly ctx: CheckContext, origin?: StreamOrigin) {
    this.#chunker = createChunker(ITEMS_CHUNKER_PARAMS, ctx.key.chunkSeed);
    this.#origin = origin;
  }

  /** Takes an item; only every BATCH_ITEMS-th call returns a promise (the others need no await). */
  add(item: MsgMap): Promise<void> | undefined {
    this.#sameSoFar = false;
    this.#closeRun();
    const encoder = (this.#encoder ??= new Encoder(true, 4096));
    const before = encoder.pos;
    encoder.value(item);
    this.#written += encoder.pos - before;
    return this.#counted();
  }

  /** Takes a scanned item with its bytes as they are; like add, returns a promise only now and then. */
  addScanned(item: ScannedItem): Promise<void> | undefined {
    const raw = item.raw;
    if (this.#sameSoFar && item.streamOffset === this.#written) this.#same = this.#written + raw.length;
    else this.#sameSoFar = false;
    this.#closeEncoder();
    if (this.#runBuffer === raw.buffer && this.#runEnd === raw.byteOffset) {
      this.#runEnd += raw.length;
    } else {
      this.#closeRun();
      this.#runBuffer = raw.buffer;
      this.#runStart = raw.byteOffset;
      this.#runEnd = raw.byteOffset + raw.length;
    }
    this.#written += raw.length;
    return this.#counted();
  }

  #counted(): Promise<void> | undefined {
    this.#pendingItems += 1;
    return this.#pendingItems >= BATCH_ITEMS ? this.#flush(false) : undefined;
  }

  #closeRun(): void {
    if (this.#runBuffer === null) return;
    this.#pieces.push(Buffer.from(this.#runBuffer, this.#runStart, this.#runEnd - this.#runStart));
    this.#runBuffer = null;
  }

  #closeEncoder(): void {
    if (this.#encoder === null) return;
    this.#pieces.push(this.#encoder.result());
    this.#encoder = null;
  }

  async #flush(final: boolean): Promise<void> {
    this.#closeRun();
    this.#closeEncoder();
    const chunks: Buffer[] = [];
    for (const piece of this.#pieces) if (piece.length > 0) chunks.push(...this.#chunker.update(piece));
    this.#pieces = [];
    this.#pendingItems = 0;
    if (final) chunks.push(...this.#chunker.final());
    for (const chunk of chunks) {
      const start = this.#cutAt;
      this.#cutAt += chunk.length;
      const known = this.#cutAt <= this.#same ? this.#origin?.idOf(start, this.#cutAt) : undefined;
      this.#ids.push(await this.ctx.storeData(chunk, known));
    }
  }

  /** Stores the rest; returns the ids of the whole stream (the archive's new `items`). */
  async finish(): Promise<Buffer[]> {
    await this.#flush(true);
    return this.#ids;
  }
}
