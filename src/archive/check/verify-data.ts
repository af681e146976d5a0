// `check --verify-data` (spec §5.7): every object is read in on-disk order (a local repository reads
// each segment front to back once; a remote one pipelines the reads) and opened — MAC, decryption,
// decompression, id re-hashed — on all cores, far ahead of the reports, which keep their fixed order
// (verify-order.ts). Damaged objects are reported by id; with --repair those that fail a second read
// too are deleted, so that the archive walk that follows sees them as missing and substitutes or
// drops what they held.
import { IntegrityError } from '../../errors.js';
import { PercentProgress, SILENT_PROGRESS } from '../../progress.js';
import type { Repository } from '../../repository/repository.js';
import type { CheckContext } from './check-context.js';
import { isObjectError, readObjects, type ObjectRead } from './object-reader.js';
import { VerifyReportOrder, type VerifySlot } from './verify-order.js';
import { createVerifier } from './verify-pool.js';

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
  const verifier = createVerifier(ctx.codec, options.workers, total, options.objectsPerWorker);
  let seen = 0;
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
    for await (const read of allObjects(repository)) {
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
  progress.finish();
  if (seen !== total) ctx.report({ kind: 'object-count-mismatch', index: total, segments: seen });
  if (defects.length > 0) await handleDefects(ctx, defects);
  ctx.report({ kind: 'verify-finished', verified: seen, errors });
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
