// Compaction (spec §1.12): copy the live entries of sparse segments into new segments and delete the
// old ones. Runs inside a commit, after the final COMMIT of the transaction has been written. When
// the target segment fills up, an intermediate commit makes the copies durable before the fully
// processed old segments are deleted, so a crash never loses data.
import { formatPercent, PercentProgress, type ProgressSink } from '../progress.js';
import { CheckNeeded } from './errors.js';
import { addCount as add } from './hints.js';
import { indexTransactionId } from './index-files.js';
import { HEADER_SIZE, PUT_HEADER_SIZE, TAG_COMMIT, TAG_DELETE, TAG_PUT } from './segment-format.js';
import { SegmentFull } from './segment-writer.js';
import type { Transactions } from './transaction.js';

async function retryWhenFull<T>(write: (raiseFull: boolean) => Promise<T>, completeTransfer: () => Promise<void>): Promise<T> {
  try {
    return await write(true);
  } catch (e) {
    if (!(e instanceof SegmentFull)) throw e;
    await completeTransfer();
    return write(false);
  }
}

/** Compacts every segment whose freeable share exceeds `threshold` (0..1). */
export async function compactSegments(txn: Transactions, threshold: number, progressSink?: ProgressSink): Promise<void> {
  const { ctx, hints } = txn;
  const index = txn.index!;
  const { writer, reader, paths } = ctx;
  if (hints.compact.size === 0) return;
  const indexTid = indexTransactionId(ctx.path);
  let unused: number[] = [];

  const completeTransfer = async (intermediate = true): Promise<void> => {
    const seg = await writer.writeCommit(intermediate);
    add(hints.segments, seg, 0);
    add(hints.compact, seg, HEADER_SIZE);
    for (const old of unused) {
      const count = hints.segments.get(old);
      hints.segments.delete(old);
      if (count !== 0) throw new CheckNeeded(ctx.path, 'corrupted segment reference count in index or hints');
      await reader.forget(old);
      paths.delete(old);
      hints.compact.delete(old);
    }
    unused = [];
  };

  const candidates = [...hints.compact.entries()].sort((a, b) => a[0] - b[0]);
  const progress = progressSink === undefined ? null : new PercentProgress(progressSink, {
    total: candidates.length, msgid: 'repository.compact_segments', step: 1,
    format: (percent) => `Compacting segments ${formatPercent(percent)}%`,
  });
  for (const [segment, freeable] of candidates) {
    progress?.show();
    if (!paths.exists(segment)) {
      ctx.warn(`Segment ${segment} not found, but listed in compaction data`);
      hints.compact.delete(segment);
      continue;
    }
    if (!(freeable / paths.size(segment) > threshold)) continue;
    add(hints.segments, segment, 0);
    for await (const e of reader.iterObjects(segment, { includeData: true })) {
      if (e.tag === TAG_COMMIT) continue;
      const id = e.id!;
      const current = index.get(id);
      const isCurrent = current !== undefined && current.segment === segment && current.offset === e.offset;
      if (e.tag === TAG_PUT && isCurrent) {
        const at = await retryWhenFull((full) => writer.writePut(id, e.data!, full), completeTransfer);
        index.set(id, at.segment, at.offset);
        add(hints.segments, at.segment, 1);
        add(hints.segments, segment, -1);
      } else if (e.tag === TAG_PUT) {
        // A superseded PUT disappears with this segment; it no longer shadows anything.
        const key = id.toString('latin1');
        const shadowed = hints.shadowIndex.get(key);
        const i = shadowed ? shadowed.indexOf(segment) : -1;
        if (i >= 0) shadowed!.splice(i, 1); // an emptied list stays: the DELETE branch below needs it
        hints.storageQuotaUse -= e.data!.length + PUT_HEADER_SIZE;
      } else if (e.tag === TAG_DELETE && current === undefined) {
        const key = id.toString('latin1');
        const shadowed = hints.shadowIndex.get(key);
        // Keep the DELETE while an older PUT it hides may still exist, or while it is not yet part of
        // a state that has an index (a crash between commit and segment deletion could undelete).
        const olderPutMayExist = shadowed === undefined || shadowed.some((s) => s < segment);
        const notStable = indexTid === undefined || segment > indexTid;
        if (olderPutMayExist || notStable) {
          const d = await retryWhenFull((full) => writer.writeDelete(id, full), completeTransfer);
          add(hints.compact, d.segment, d.size);
          add(hints.segments, d.segment, 0);
        } else if (shadowed!.length === 0) {
          hints.shadowIndex.delete(key);
        }
      }
      // A DELETE of an id that was put again later is simply dropped.
    }
    if (hints.segments.get(segment) !== 0) {
      throw new CheckNeeded(ctx.path, 'corrupted segment reference count in index or hints');
    }
    unused.push(segment);
  }
  progress?.finish();
  await completeTransfer(false);
}
