// Carrying out a prune plan: the archives it prunes are deleted through the same code as
// `delete ARCHIVE...` (delete-archives.ts), which commits every --checkpoint-interval seconds and
// once at the end, so an interrupted prune keeps what it finished. Every decision is reported in
// plan order (newest first), kept archives between the pruned ones, which is what `--list` shows.
// Disk space is only given back by a later `compact`.

import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import { PercentProgress, type LogSink, type ProgressSink } from '../../progress.js';
import { deleteArchives } from '../delete-archives.js';
import type { RepositorySession } from '../repository-session.js';
import type { PruneDecision, PrunePlan } from './prune-policy.js';

export interface PruneArchivesOptions {
  /** Report the decisions without deleting anything. */
  dryRun?: boolean;
  /** --force: delete damaged archives as far as they can be read. */
  forced?: boolean;
  /** Count `.borg_part_N` chunks like other chunks in the statistics (--consider-part-files). */
  considerPartFiles?: boolean;
  /** Seconds between intermediate commits; 0 disables them. Default 1800. */
  checkpointInterval?: number;
  /**
   * Called for every decision in plan order; for a pruned archive `position` is its place among
   * the pruned ones (counted from 1) and their number.
   */
  onDecision?: (decision: PruneDecision, position?: { index: number; total: number }) => void;
  /** "Pruning archives" percentage over the pruned archives. */
  progress?: ProgressSink;
  /** Receives the warnings about damaged archives deleted by force. */
  log?: LogSink;
  /** Stops between two deletions, after committing what was deleted. */
  signal?: AbortSignal;
}

export interface PruneArchivesResult {
  /** Sizes released (negative); "deduplicated" is what `compact` will give back. */
  stats: Statistics;
  /** Archives deleted (or that would be, in a dry run). */
  pruned: number;
  /** Stopped early by the signal. */
  interrupted: boolean;
}

/**
 * Deletes the archives `plan` prunes and commits. The session must hold the exclusive lock and
 * `cache` be in sync with it.
 */
export async function pruneArchives(session: RepositorySession, cache: ChunkCache, plan: PrunePlan, options: PruneArchivesOptions = {}): Promise<PruneArchivesResult> {
  const total = plan.prune.length;
  const progress = options.progress
    ? new PercentProgress(options.progress, { total, msgid: 'prune', format: (p) => `Pruning archives ${percent(p)}%` })
    : null;
  // Kept archives are reported when deletion reaches the next pruned one, or at the end.
  let next = 0;
  const reportUntil = (name: string | null): void => {
    while (next < plan.decisions.length) {
      const decision = plan.decisions[next]!;
      if (decision.archive.name === name) return;
      next += 1;
      options.onDecision?.(decision);
    }
  };
  const result = await deleteArchives(session, cache, plan.prune.map((a) => a.name), {
    dryRun: options.dryRun ?? false,
    forced: options.forced ? 1 : 0,
    considerPartFiles: options.considerPartFiles ?? false,
    checkpointInterval: options.checkpointInterval ?? 1800,
    ...(options.log ? { log: options.log } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onArchive: (entry, index) => {
      reportUntil(entry.name);
      progress?.show();
      const decision = plan.decisions[next++]!;
      options.onDecision?.(decision, { index, total });
    },
  });
  if (!result.interrupted) reportUntil(null);
  progress?.finish();
  return { stats: result.stats, pruned: result.deleted, interrupted: result.interrupted };
}

/** borg's "%3.0f": halves round to even. */
function percent(p: number): string {
  const rounded = Math.abs(p % 1) === 0.5 ? 2 * Math.round(p / 2) : Math.round(p);
  return String(rounded).padStart(3);
}
