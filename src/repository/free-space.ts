// The free-space estimate borg makes before a commit (spec §1.14): room for the index to be
// rewritten and to grow, for the hints, for the configured reserve, and (unless append-only) for
// compaction to copy live data into a new segment.
import { statfsSync } from 'node:fs';
import { MAX_OBJECT_SIZE } from './segment-format.js';
import type { Transactions } from './transaction.js';

const INDEX_HEADER_SIZE = 18;
const INDEX_BUCKET_SIZE = 32 + 8;

/** Bytes needed and bytes available, or undefined when the file system cannot tell. */
export function requiredFreeSpace(txn: Transactions): { required: number; free: number } | undefined {
  const { ctx, hints, index } = txn;
  const indexSize = INDEX_HEADER_SIZE + (index?.table.numBuckets ?? 0) * INDEX_BUCKET_SIZE;
  // Journalled deletes (1x), hash table growth (2x), the persisted index (1x).
  let required = indexSize * 4;
  // Up to 5 bytes per integer in the hints maps, plus format overhead.
  required += hints.segments.size * 10 + hints.compact.size * 10 + 4096;
  required += ctx.settings.additionalFreeSpace;
  if (!ctx.settings.appendOnly) {
    const fullSegment = ctx.settings.maxSegmentSize + MAX_OBJECT_SIZE;
    if (hints.compact.size < 10) {
      // Few segments (small or test repositories): only what compaction would really copy.
      let working = 0;
      for (const [seg, freeable] of hints.compact) {
        try {
          working += ctx.paths.size(seg) - freeable;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      required += Math.min(working, fullSegment);
    } else {
      required += fullSegment;
    }
  }
  let free: number;
  try {
    const st = statfsSync(ctx.path);
    free = st.bavail * st.bsize;
  } catch (e) {
    ctx.warn(`Failed to check free space before committing: ${(e as Error).message}`);
    return undefined;
  }
  return { required, free };
}
