// `check --verify-data` (spec §5.7): every object is read in on-disk order (linear reads, pipelined
// by the repository) and opened — MAC, decryption, decompression, id re-hashed — on all cores. Damaged
// objects are reported by id; with --repair those that fail a second read too are deleted, so that
// the archive walk that follows sees them as missing and substitutes or drops what they held.
import { IntegrityError } from '../../errors.js';
import { PercentProgress, SILENT_PROGRESS } from '../../progress.js';
import type { CheckContext } from './check-context.js';
import { isObjectError, readObjects } from './object-reader.js';
import { createVerifier } from './verify-pool.js';

export interface VerifyDataOptions {
  /** Worker threads for opening objects (1 = inline). */
  workers: number;
  /** Objects per worker below which fewer threads are started (default: the pool's own). */
  objectsPerWorker?: number | undefined;
}

/** Ids per scan call: enough to keep reads linear, small enough to report progress often. */
const SCAN_LIMIT = 1000;

export async function verifyData(ctx: CheckContext, options: VerifyDataOptions): Promise<void> {
  const { repository } = ctx;
  ctx.report({ kind: 'verify-started' });
  const total = ctx.chunks.count;
  const progress = new PercentProgress(ctx.progress ?? SILENT_PROGRESS, {
    total, msgid: 'check.verify_data', step: 0.01, format: (p) => `Verifying data ${p.toFixed(2).padStart(6)}%`,
  });
  const verifier = createVerifier(ctx.codec, options.workers, total, options.objectsPerWorker);
  // In flight at once: enough to keep every worker busy (the pool sends objects in batches) while
  // results come back in order, and few enough bytes to bound memory for big objects.
  const window = Math.max(8, options.workers * 64);
  const windowBytes = 16 << 20;
  let queuedBytes = 0;
  let seen = 0;
  let errors = 0;
  const defects: Buffer[] = [];
  const settle = async (pending: { id: Buffer; bytes: number; result: Promise<string | null> }): Promise<void> => {
    const error = await pending.result;
    queuedBytes -= pending.bytes;
    if (error === null) return;
    errors += 1;
    defects.push(pending.id);
    ctx.report({ kind: 'object-corrupted', id: pending.id, reason: error });
  };
  try {
    let marker: Buffer | null = null;
    for (;;) {
      ctx.checkAborted();
      const ids: Buffer[] = await repository.scan(SCAN_LIMIT, marker);
      if (ids.length === 0) break;
      marker = ids[ids.length - 1]!;
      seen += ids.length;
      const queue: { id: Buffer; bytes: number; result: Promise<string | null> }[] = [];
      for await (const read of readObjects(repository, ids)) {
        progress.show();
        if (read.error) {
          errors += 1;
          if (read.error instanceof IntegrityError) defects.push(read.id);
          ctx.report({ kind: 'object-unreadable', id: read.id, reason: read.error.message });
          continue;
        }
        const result = verifier.verify(read.id, read.envelope);
        // A failure is raised when its turn comes; until then it must not count as unhandled.
        result.catch(() => undefined);
        queue.push({ id: read.id, bytes: read.envelope.length, result });
        queuedBytes += read.envelope.length;
        // A full window is drained to half: topping it up by one object per answer would send the
        // workers one object per message.
        if (queue.length >= window || queuedBytes >= windowBytes) {
          while (queue.length > window / 2 || queuedBytes > windowBytes / 2) await settle(queue.shift()!);
        }
      }
      while (queue.length > 0) await settle(queue.shift()!);
    }
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
