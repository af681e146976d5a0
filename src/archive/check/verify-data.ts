// `check --verify-data` (spec §5.7): every object is read in on-disk order (a local repository reads
// each segment front to back once; a remote one pipelines the reads) and opened — MAC, decryption,
// decompression, id re-hashed — on all cores, far ahead of the reports, which keep their fixed order
// (verify-order.ts). After a clean repository check in the same session the worker threads read the
// local segment files themselves, this thread only saying where the objects lie. Damaged objects are
// reported by id; with --repair those that fail a second read too are deleted, so that the archive
// walk that follows sees them as missing and substitutes or drops what they held.
import { IntegrityError } from '../../errors.js';
import { PercentProgress, SILENT_PROGRESS } from '../../progress.js';
import type { Repository, SegmentLayout } from '../../repository/repository.js';
import type { CheckContext } from './check-context.js';
import { isObjectError, readObjects, type ObjectRead } from './object-reader.js';
import { SegmentVerifyPool, type RangeOutcome } from './segment-verify-pool.js';
import { OBJECT_CORRUPTED, OBJECT_UNREADABLE } from './segment-verify-protocol.js';
import { VerifyReportOrder, type VerifySlot } from './verify-order.js';
import { createVerifier, verifyThreads } from './verify-pool.js';

export interface VerifyDataOptions {
  /** Worker threads for opening objects (1 = inline). */
  workers: number;
  /** Objects per worker below which fewer threads are started (default: the pool's own). */
  objectsPerWorker?: number | undefined;
}

/** Ids per scan call: enough to keep reads linear, small enough to report progress often. */
const SCAN_LIMIT = 1000;
/**
 * The queue whose order the reports follow (see verify-order.ts): objects per worker and bytes, and
 * SCAN_LIMIT objects per drain.
 */
const REPORT_WINDOW_PER_WORKER = 64;
const REPORT_WINDOW_BYTES = 16 << 20;

/**
 * Every object in on-disk order: in one sequential pass where the repository offers it (local),
 * else listed page by page with scan() and read with getMany().
 */
async function* allObjects(repository: Repository): AsyncIterable<ObjectRead> {
  if (repository.scanData) {
    for await (const put of repository.scanData()) yield put.error ? { id: put.id, error: put.error } : { id: put.id, envelope: put.data };
    return;
  }
  let marker: Buffer | null = null;
  for (;;) {
    const ids: Buffer[] = await repository.scan(SCAN_LIMIT, marker);
    if (ids.length === 0) return;
    marker = ids[ids.length - 1]!;
    yield* readObjects(repository, ids);
  }
}

export async function verifyData(ctx: CheckContext, options: VerifyDataOptions): Promise<void> {
  const { repository } = ctx;
  ctx.report({ kind: 'verify-started' });
  const total = ctx.chunks.count;
  const progress = new PercentProgress(ctx.progress ?? SILENT_PROGRESS, {
    total, msgid: 'check.verify_data', step: 0.01, format: (p) => `Verifying data ${p.toFixed(2).padStart(6)}%`,
  });
  let errors = 0;
  const defects: Buffer[] = [];
  const order = new VerifyReportOrder(Math.max(8, options.workers * REPORT_WINDOW_PER_WORKER), REPORT_WINDOW_BYTES, SCAN_LIMIT, {
    unreadable: (id, reason, integrity) => {
      errors += 1;
      if (integrity) defects.push(id);
      ctx.report({ kind: 'object-unreadable', id, reason });
    },
    corrupted: (id, reason) => {
      errors += 1;
      defects.push(id);
      ctx.report({ kind: 'object-corrupted', id, reason });
    },
  });
  const layout = options.workers >= 2 && repository.objectLayout ? await repository.objectLayout() : null;
  const runs = layout === null ? [] : objectRuns(layout);
  const threads = layout === null ? 1 : verifyThreads(options.workers, total, runs.reduce((sum, r) => sum + r.bytes, 0), options.objectsPerWorker);
  const seen = threads >= 2
    ? await verifyRuns(ctx, runs, threads, order, progress)
    : await verifyStream(ctx, options, total, order, progress);
  progress.finish();
  if (seen !== total) ctx.report({ kind: 'object-count-mismatch', index: total, segments: seen });
  if (defects.length > 0) await handleDefects(ctx, defects);
  ctx.report({ kind: 'verify-finished', verified: seen, errors });
}

/** Objects per run (one worker job) at most, and how far a run may reach into its segment. */
const RUN_OBJECTS = 4096;
const RUN_SPAN = 8 << 20;
/**
 * Runs handed to each worker ahead: many, because this thread, busy walking the archives, hands out
 * more only when it gets to the outcomes (queued runs cost only their offsets and ids).
 */
const RUNS_PER_WORKER = 32;

interface ObjectRun {
  segment: number;
  path: string;
  offsets: number[];
  ids: Buffer;
  /** About the bytes the run covers (for balancing the workers). */
  bytes: number;
}

/** The layout cut into runs of nearby objects, in on-disk order. */
function objectRuns(layout: readonly SegmentLayout[]): ObjectRun[] {
  const runs: ObjectRun[] = [];
  for (const { segment, path, offsets, ids } of layout) {
    for (let from = 0; from < offsets.length;) {
      let to = from + 1;
      while (to < offsets.length && to - from < RUN_OBJECTS && offsets[to]! - offsets[from]! < RUN_SPAN) to++;
      // The last object's size is unknown here; count it like a typical chunk.
      const bytes = offsets[to - 1]! - offsets[from]! + (2 << 20);
      runs.push({ segment, path, offsets: offsets.slice(from, to), ids: ids.subarray(32 * from, 32 * to), bytes });
      from = to;
    }
  }
  return runs;
}

/**
 * Local segments the repository check has just read: the workers read and verify runs of objects
 * themselves, so this thread (walking the archives meanwhile) only books their outcomes, in the same
 * order and through the same report queue as the streamed objects would go.
 */
async function verifyRuns(ctx: CheckContext, runs: readonly ObjectRun[], threads: number, order: VerifyReportOrder, progress: PercentProgress): Promise<number> {
  const pool = new SegmentVerifyPool(ctx.key, threads);
  const queue: Promise<RangeOutcome>[] = [];
  let next = 0;
  let seen = 0;
  const submit = (): void => {
    const run = runs[next++]!;
    const outcome = pool.verify(run.segment, run.path, Float64Array.from(run.offsets), new Uint8Array(run.ids), run.bytes);
    outcome.catch(() => undefined); // raised when its turn comes
    queue.push(outcome);
  };
  try {
    while (next < runs.length && queue.length < threads * RUNS_PER_WORKER) submit();
    for (const run of runs) {
      const { status, sizes, messages } = await queue.shift()!;
      if (next < runs.length) submit();
      ctx.checkAborted();
      let message = 0;
      for (let i = 0; i < run.offsets.length; i++) {
        const id = run.ids.subarray(32 * i, 32 * i + 32);
        seen += 1;
        progress.show();
        if (status[i] === OBJECT_UNREADABLE) {
          order.unreadable(Buffer.from(id), messages[message++]!, true);
          continue;
        }
        const error = status[i] === OBJECT_CORRUPTED ? messages[message++]! : null;
        order.opened({ id: error === null ? id : Buffer.from(id), done: true, error }, sizes[i]!);
      }
      order.pump();
    }
    order.end();
    order.pump();
  } finally {
    await pool.close();
  }
  return seen;
}

/** Objects read here (one pass over local segments, or pipelined requests) and opened by a verifier. */
async function verifyStream(ctx: CheckContext, options: VerifyDataOptions, total: number, order: VerifyReportOrder, progress: PercentProgress): Promise<number> {
  const verifier = createVerifier(ctx.codec, options.workers, total, options.objectsPerWorker);
  let seen = 0;
  // Opened at once at most: several batches per worker (a worker waiting for its next batch is
  // time lost), and a bounded number of bytes.
  const window = Math.max(8, options.workers * 512);
  const windowBytes = 8 << 20;
  const inFlight: { settled: Promise<void>; bytes: number }[] = [];
  let inFlightHead = 0;
  let inFlightBytes = 0;
  const waitOldest = async (): Promise<void> => {
    const oldest = inFlight[inFlightHead++]!;
    await oldest.settled;
    inFlightBytes -= oldest.bytes;
  };
  try {
    for await (const read of allObjects(ctx.repository)) {
      if ((seen & 1023) === 0) ctx.checkAborted();
      seen += 1;
      progress.show();
      if (read.error) {
        order.unreadable(read.id, read.error.message, read.error instanceof IntegrityError);
        order.pump();
        continue;
      }
      const slot: VerifySlot = { id: read.id, done: false, error: null };
      const settled = verifier.verify(read.id, read.envelope).then(
        (error) => { slot.error = error; slot.done = true; },
        (failure: unknown) => { slot.failure = failure; slot.done = true; },
      );
      order.opened(slot, read.envelope.length);
      inFlight.push({ settled, bytes: read.envelope.length });
      inFlightBytes += read.envelope.length;
      // A full window is drained to half: topping it up by one object per answer would send the
      // workers one object per message.
      if (inFlight.length - inFlightHead >= window || inFlightBytes >= windowBytes) {
        while (inFlight.length - inFlightHead > window / 2 || inFlightBytes > windowBytes / 2) await waitOldest();
        inFlight.splice(0, inFlightHead);
        inFlightHead = 0;
        order.pump();
      }
    }
    while (inFlightHead < inFlight.length) await waitOldest();
    order.end();
    order.pump();
  } finally {
    await verifier.close();
  }
  return seen;
}

/**
 * With --repair a defect object is read and opened once more (a remote read travels again, a local
 * one most likely comes from the disk, not a cache): only if it fails again is it deleted.
 */
async function handleDefects(ctx: CheckContext, defects: Buffer[]): Promise<void> {
  ctx.report({ kind: 'defect-objects', ids: defects, repair: ctx.repair });
  if (!ctx.repair) return;
  for (const id of defects) {
    try {
      ctx.codec.unpack(id, await ctx.repository.get(id));
    } catch (e) {
      if (!isObjectError(e)) throw e;
      ctx.chunks.delete(id);
      try {
        await ctx.repository.delete(id);
      } catch (error) {
        // Already gone from the index: nothing left to delete.
        if (!(isObjectError(error) && error.code === 'ObjectNotFound')) throw error;
      }
      ctx.report({ kind: 'defect-object-deleted', id });
      continue;
    }
    ctx.report({ kind: 'defect-object-kept', id });
  }
}
