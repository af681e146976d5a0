// What `--stats` and `--json` show for an archive just written (borg's create and import-tar
// output): the archive's name, id, times, file count and statistics, then the repository-wide
// numbers; as text on the "borg.output.stats" logger or as one JSON document on stdout.

import { repositoryStats } from '../archive/archive-stats.js';
import type { CreatedArchive } from '../archive/create/create-archive.js';
import { OutputTimestamp } from '../archive/output-timestamp.js';
import { formatValue, PyFloat } from '../archive/placeholders.js';
import { repositoryJson } from '../archive/repository-json.js';
import type { RepositorySession } from '../archive/repository-session.js';
import { formatUtcIso } from '../archive/timestamps.js';
import type { CacheSummary } from '../cache/cache-stats.js';
import type { ChunkCache } from '../cache/cache-types.js';
import type { CommandContext } from './context.js';
import { formatFileSize } from './file-size.js';

export const DASHES = '-'.repeat(78);
export const STATS_HEADER = '                       Original size      Compressed size    Deduplicated size';

/** The rows under STATS_HEADER: one operation's sizes, then the repository's and its chunk counts. */
export function statsLines(label: string, s: { osize: number; csize: number; usize: number }, all: CacheSummary, iec: boolean): string[] {
  const size = (n: number) => formatFileSize(n, { iec }).padStart(20);
  const count = (n: number) => String(n).padStart(20);
  return [
    `${label.padEnd(15)} ${size(s.osize)} ${size(s.csize)} ${size(s.usize)}`,
    `All archives:   ${size(all.total_size)} ${size(all.total_csize)} ${size(all.unique_csize)}`,
    '',
    '                       Unique chunks         Total chunks',
    `Chunk index:    ${count(all.total_unique_chunks)} ${count(all.total_chunks)}`,
  ];
}

/** borg's format_timedelta: "1 days 2 hours 3 minutes 4.50 seconds", zero units left out. */
function formatDuration(seconds: number): string {
  const minutes = Math.trunc(seconds / 60) % 60;
  const hours = Math.trunc(seconds / 3600) % 24;
  const days = Math.floor(seconds / 86400);
  let text = `${formatValue(new PyFloat(((seconds % 60) + 60) % 60), '.2f')} seconds`;
  if (minutes) text = `${minutes} minutes ${text}`;
  if (hours) text = `${hours} hours ${text}`;
  if (days) text = `${days} days ${text}`;
  return text;
}

/** Prints the statistics of `archive`: JSON when `json`, else the text table. */
export async function reportCreatedArchive(ctx: CommandContext, session: RepositorySession, cache: ChunkCache, archive: CreatedArchive, json: boolean): Promise<void> {
  const summary = await repositoryStats(session, { chunks: cache.chunks, considerPartFiles: ctx.common.considerPartFiles, log: ctx.logger });
  const start = OutputTimestamp.fromUtcIso(formatUtcIso(archive.start));
  const end = OutputTimestamp.fromUtcIso(formatUtcIso(archive.end));
  if (json) {
    ctx.printJson({
      ...repositoryJson(session, { path: (cache as { path?: string }).path ?? '', stats: summary }),
      archive: {
        name: archive.name, id: archive.id.toString('hex'), start, end, duration: new PyFloat(archive.duration),
        stats: archive.stats.asDict(), limits: { max_archive_size: new PyFloat(archive.maxArchiveSize) }, command_line: process.argv.slice(1),
      },
    });
    return;
  }
  const s = archive.stats;
  const out = ctx.getLogger('borg.output.stats');
  for (const line of [
    DASHES,
    `Repository: ${session.location.canonicalPath(ctx.cwd)}`,
    `Archive name: ${archive.name}`,
    `Archive fingerprint: ${archive.id.toString('hex')}`,
    `Time (start): ${start}`,
    `Time (end):   ${end}`,
    `Duration: ${formatDuration(archive.duration)}`,
    `Number of files: ${s.nfiles}`,
    `Utilization of max. archive size: ${formatValue(new PyFloat(archive.maxArchiveSize), '.0%')}`,
    DASHES,
    STATS_HEADER,
    ...statsLines('This archive:', s, summary, ctx.common.iec),
    DASHES,
  ]) out.info(line);
}
