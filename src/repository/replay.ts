// Rebuilding index and hints from segment entries (spec §1.10 step 6): shared by replay after a
// crash, by `check`, and by the upgrade of version-1 hints. The counting rules are borg 1.2.4's,
// including its quirk of charging the *new* PUT's size to the superseded segment.
import type { NSIndex } from '../format/hashindex.js';
import { CheckNeeded } from './errors.js';
import { addCount as add, type Hints } from './hints.js';
import { TAG_COMMIT, TAG_DELETE, TAG_PUT, type SegmentEntry } from './segment-format.js';
import type { SegmentPaths } from './segment-paths.js';
import type { SegmentReader } from './segment-reader.js';

export interface ReplayState {
  index: NSIndex;
  hints: Hints;
  paths: SegmentPaths;
  reader: SegmentReader;
}

/**
 * Applies the entries of one segment to index and hints. Unknown tags are reported through `report`
 * when given (check), otherwise they mean the repository needs a check.
 */
export async function updateIndex(
  state: ReplayState,
  segment: number,
  entries: Iterable<SegmentEntry> | AsyncIterable<SegmentEntry>,
  report?: (message: string) => void,
): Promise<void> {
  const { index, hints } = state;
  hints.segments.set(segment, 0);
  for await (const e of entries) {
    if (e.tag === TAG_PUT) {
      const old = index.get(e.id!);
      if (old) {
        add(hints.compact, old.segment, e.size);
        const live = hints.segments.get(old.segment);
        if (live !== undefined) hints.segments.set(old.segment, live - 1);
      }
      index.set(e.id!, segment, e.offset);
      add(hints.segments, segment, 1);
      hints.storageQuotaUse += e.size;
    } else if (e.tag === TAG_DELETE) {
      const old = index.get(e.id!);
      if (!old) continue;
      index.delete(e.id!);
      // After a compaction the old segment may be gone already; then there is nothing to count.
      if (state.paths.exists(old.segment)) {
        add(hints.segments, old.segment, -1);
        add(hints.compact, old.segment, await state.reader.readSize(old.segment, old.offset, e.id!));
      }
    } else if (e.tag !== TAG_COMMIT) {
      const msg = `Unexpected tag ${String(e.tag)} in segment ${segment}`;
      if (!report) throw new CheckNeeded(state.paths.repoPath, msg);
      report(msg);
    }
  }
  if (hints.segments.get(segment) === 0) hints.compact.set(segment, state.paths.size(segment));
}

/** Recomputes the freeable bytes of one segment against the current index (upgrade of v1 hints). */
export async function rebuildSparse(state: ReplayState, segment: number): Promise<void> {
  const { index, hints } = state;
  let size: number;
  try {
    size = state.paths.size(segment);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    hints.segments.delete(segment);
    return;
  }
  if (hints.segments.get(segment) === 0) {
    hints.compact.set(segment, size);
    return;
  }
  let freeable = 0;
  for await (const e of state.reader.iterObjects(segment, { readData: false })) {
    if (e.tag === TAG_PUT) {
      const at = index.get(e.id!);
      if (!at || at.segment !== segment || at.offset !== e.offset) freeable += e.size;
    } else if (e.tag === TAG_DELETE) {
      freeable += e.size;
    }
  }
  hints.compact.set(segment, freeable);
}
