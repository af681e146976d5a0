// What `delete --stats` and `prune --stats` show: the data the deleted archives released, then the
// repository-wide numbers, line by line on the "borg.output.stats" logger (as borg's log_multi).

import { repositoryStats } from '../archive/archive-stats.js';
import type { RepositorySession } from '../archive/repository-session.js';
import type { Statistics } from '../cache/cache-stats.js';
import type { ChunkCache } from '../cache/cache-types.js';
import type { CommandContext } from './context.js';
import { DASHES, STATS_HEADER, statsLines } from './created-archive-report.js';

export async function reportDeletedStats(ctx: CommandContext, session: RepositorySession, cache: ChunkCache, stats: Statistics): Promise<void> {
  const all = await repositoryStats(session, { chunks: cache.chunks, considerPartFiles: ctx.common.considerPartFiles, log: ctx.logger });
  const out = ctx.getLogger('borg.output.stats');
  for (const line of [DASHES, STATS_HEADER, ...statsLines('Deleted data:', stats, all, ctx.common.iec), DASHES]) out.info(line);
}
