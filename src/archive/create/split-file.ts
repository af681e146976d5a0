// Big files on all workers at once. A file of several segments is read by several workers in
// parallel, each segment from its start as if a chunk had been cut there.
//
// Why this is exact: a content-defined cut depends only on the bytes after the previous cut, so two
// chains of cuts that share one cut agree from there on. The main thread delivers the first
// segment's chunks as they come. Each segment also cuts (and hashes, without sealing) a few
// look-ahead chunks past its end. The next segment joins the file's chain at the first of those cuts
// that it cut at too: its chunks before that cut are dropped (it does not seal its first chunk,
// which is almost always one of them), the look-ahead chunks before it are delivered unsealed (the
// caller seals them, as it does chunks it finds missing). When no look-ahead cut matches, that
// segment is read again from the last exact cut. Chunks, ids and statistics are therefore the same
// as with one worker reading the file from start to end (test/archive/chunk-pool.test.ts).
import type { ByteRange, ProcessedChunk, ReadOutcome } from './chunk-processor.js';

/** Look-ahead chunks per segment: two cuts past the end are almost always enough to join. */
export const LOOKAHEAD_CHUNKS = 2;

export interface SegmentSource {
  /**
   * Reads `range` of the file on a worker with a fresh IV range; `onChunks` gets its chunks in order,
   * and the returned promise of `onChunks` (if any) holds back the worker's next results.
   */
  readSegment(range: ByteRange, onChunks: (chunks: ProcessedChunk[]) => void | Promise<void>): Promise<ReadOutcome>;
}

/** One segment's chunks while the segment before it is still being read. */
class Segment {
  /** Chunks received and not delivered yet, with their offsets in the file. */
  readonly held: { start: number; chunk: ProcessedChunk }[] = [];
  /** Offsets at which this segment cut (chunk starts), to find where it joins the chain. */
  readonly cuts = new Set<number>();
  /** Offset after the last chunk received. */
  received: number;
  /** Delivery of chunks as they come: null while held (the segment before is not joined yet). */
  #deliver: ((chunks: ProcessedChunk[]) => void | Promise<void>) | null = null;
  #from = 0;
  #dropped = false;
  #wake: (() => void) | null = null;
  readonly outcome: Promise<ReadOutcome>;
  finished = false;

  constructor(readonly range: ByteRange, source: SegmentSource) {
    this.received = range.start;
    this.outcome = source.readSegment(range, (chunks) => this.#receive(chunks));
    this.outcome.then(() => { this.finished = true; this.#wake?.(); }, () => { this.finished = true; this.#wake?.(); });
  }

  #receive(chunks: ProcessedChunk[]): void | Promise<void> {
    if (this.#dropped) return;
    const ready: ProcessedChunk[] = [];
    for (const chunk of chunks) {
      const start = this.received;
      this.received += chunk.size;
      this.cuts.add(start);
      // Look-ahead chunks are kept: they are delivered only if the next segment joins after them.
      if (this.#deliver !== null && start >= this.#from && (this.range.end === null || start < this.range.end)) ready.push(chunk);
      else if (this.#deliver === null || start >= this.#from) this.held.push({ start, chunk });
    }
    this.#wake?.();
    return ready.length && this.#deliver !== null ? this.#deliver(ready) : undefined;
  }

  /** Delivers the held chunks from offset `from` (up to the segment's end), then each as it comes. */
  deliverFrom(from: number, deliver: (chunks: ProcessedChunk[]) => void | Promise<void>): void {
    this.#deliver = deliver;
    this.#from = from;
    const keep = this.held.filter((h) => h.start >= from);
    this.held.length = 0;
    const now: ProcessedChunk[] = [];
    for (const h of keep) {
      if (this.range.end === null || h.start < this.range.end) now.push(h.chunk);
      else this.held.push(h);
    }
    if (now.length) deliver(now);
  }

  /** Look-ahead chunks (past the end) received so far, in order. */
  get lookahead(): { start: number; chunk: ProcessedChunk }[] {
    return this.held.filter((h) => this.range.end !== null && h.start >= this.range.end);
  }

  drop(): void {
    this.#dropped = true;
    this.held.length = 0;
    this.outcome.catch(() => {});
  }

  /** Resolves once more chunks arrived or the segment finished. */
  progress(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }
}

export interface SplitPlan {
  segmentBytes: number;
  /** Segments read ahead of the one being delivered (their chunks are held until it joins). */
  ahead: number;
  lookahead: number;
}

/**
 * Reads the file of `size` bytes (at the time of the walk) in segments; the last one reads on to
 * the end of the file. Delivers chunks in file order to `deliver`; resolves like a whole-file read.
 */
export async function readSplit(size: number, plan: SplitPlan, source: SegmentSource, deliver: (chunks: ProcessedChunk[]) => void | Promise<void>): Promise<ReadOutcome> {
  const { segmentBytes, ahead, lookahead: lookaheadChunks } = plan;
  const count = Math.max(1, Math.floor(size / segmentBytes));
  const rangeOf = (i: number, start = i * segmentBytes, speculative = i > 0): ByteRange => ({
    start, end: i === count - 1 ? null : (i + 1) * segmentBytes, lookahead: lookaheadChunks, speculative,
  });
  const segments: Segment[] = [];
  const launch = (upTo: number) => {
    for (let i = segments.length; i <= Math.min(upTo, count - 1); i++) segments.push(new Segment(rangeOf(i), source));
  };
  let delivered = 0;
  // Deliveries made here (not from a worker's message) are awaited before the file counts as read.
  const deliveries: Promise<void>[] = [];
  const deliverCounted = (chunks: ProcessedChunk[]) => {
    for (const c of chunks) delivered += c.size;
    const done = deliver(chunks);
    if (done) {
      // Awaited below on success; when reading fails first, the caller's own error wins.
      done.catch(() => {});
      deliveries.push(done);
    }
    return done;
  };
  launch(ahead);
  let current = segments[0]!;
  current.deliverFrom(0, deliverCounted);
  let ctimeAfter = 0n;
  try {
    for (let k = 0; ; k++) {
      const outcome = await current.outcome;
      if (outcome.ctimeAfter > ctimeAfter) ctimeAfter = outcome.ctimeAfter;
      const lookahead = current.lookahead;
      const frontier = lookahead.length ? lookahead[0]!.start : current.received;
      if (outcome.truncated || outcome.eof || k === count - 1) {
        // The end of the file (also when it shrank into the look-ahead): the look-ahead is its tail.
        if (!outcome.truncated && lookahead.length) deliverCounted(lookahead.map((h) => h.chunk));
        await Promise.all(deliveries);
        return { size: delivered, ctimeAfter, truncated: outcome.truncated, eof: !outcome.truncated };
      }
      launch(k + 1 + ahead);
      const next = segments[k + 1]!;
      // Where the next segment joins: the first exact cut (frontier or a look-ahead cut) it cut at too.
      const candidates = [frontier, ...lookahead.map((h) => h.start + h.chunk.size)];
      const last = candidates[candidates.length - 1]!;
      while (!next.finished && next.received < last) await next.progress();
      const join = candidates.find((c) => next.cuts.has(c));
      if (join !== undefined) {
        const bridge = lookahead.filter((h) => h.start < join).map((h) => h.chunk);
        if (bridge.length) deliverCounted(bridge);
        next.deliverFrom(join, deliverCounted);
        current = next;
      } else {
        // Not joined: read that segment again, from the last exact cut on.
        next.drop();
        const again = new Segment(rangeOf(k + 1, frontier, false), source);
        segments[k + 1] = again;
        again.deliverFrom(frontier, deliverCounted);
        current = again;
      }
    }
  } finally {
    for (const s of segments) if (s !== current) s.drop();
  }
}
