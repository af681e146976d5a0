// `borg-ts info [REPOSITORY_OR_ARCHIVE]`: the repository (location, encryption, cache and security
// dir, statistics over all archives) or, for an archive or with archive filters, each selected
// archive's metadata and statistics, as text or --json.

import type { ArchiveInfo } from '../../archive/archive-info.js';
import { selectArchives } from '../../archive/archive-selection.js';
import { formatCommandLine, removeSurrogates } from '../../archive/display-text.js';
import { formatValue } from '../../archive/placeholders.js';
import type { RepositorySession } from '../../archive/repository-session.js';
import type { CacheSummary } from '../../cache/cache-stats.js';
import type { LocalCache } from '../../cache/local-cache.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { formatFileSize } from '../file-size.js';
import { ARCHIVE_FILTER_OPTIONS, archiveFilter, openCache, openSession, type ArchiveFilterArgs } from './list.js';

type InfoArgs = ArchiveFilterArgs & { location: Location; json: boolean };

const DASHES = '-'.repeat(78);
const STATS_HEADER = '                       Original size      Compressed size    Deduplicated size';

const EPILOG = `Shows details about a repository (with no archive filter) or about archives: name, id,
comment, host and user, start and end time, duration, number of files, command line, how much of
the maximum archive size is used, and the original, compressed and deduplicated sizes.

The deduplicated size of an archive is the stored size of the chunks that no other archive uses,
i.e. about the space that deleting only this archive would free.`;

export const infoCommand = defineCommand<InfoArgs>({
  name: 'info',
  summary: 'show repository or archive information',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive to display information about', archive: 'optional', optional: true })],
  options: [
    { flags: '--json', description: 'format output as JSON' },
    ...ARCHIVE_FILTER_OPTIONS,
  ],
  async handler(ctx, args) {
    const session = await openSession(ctx, args.location);
    try {
      const cache = await openCache(ctx, session);
      try {
        const filter = archiveFilter(args, true);
        if (args.location.archive !== undefined || filter.first || filter.last || filter.prefix !== undefined || filter.glob) {
          const names = args.location.archive !== undefined
            ? [args.location.archive]
            : selectArchives(session.manifest.archives.values(), filter).map((entry) => entry.name);
          await showArchives(ctx, session, cache, names, args.json);
        } else {
          await showRepository(ctx, session, cache, args.json);
        }
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});

async function cacheStats(ctx: CommandContext, session: RepositorySession, cache: LocalCache): Promise<CacheSummary> {
  const { repositoryStats } = await import('../../archive/archive-stats.js'); // loaded on use, see index.ts
  return repositoryStats(session, { chunks: cache.chunks, considerPartFiles: ctx.common.considerPartFiles, log: ctx.logger, pre12Meta: cache.pre12Meta });
}

async function showArchives(ctx: CommandContext, session: RepositorySession, cache: LocalCache, names: string[], json: boolean): Promise<void> {
  const [{ archiveInfo }, { repositoryJson }] = await Promise.all([import('../../archive/archive-info.js'), import('../../archive/repository-json.js')]);
  const stats = await cacheStats(ctx, session, cache);
  const archives: ArchiveInfo[] = [];
  for (const [index, name] of names.entries()) {
    const info = await archiveInfo(session, name, { chunks: cache.chunks, considerPartFiles: ctx.common.considerPartFiles, log: ctx.logger, pre12Meta: cache.pre12Meta });
    if (json) {
      archives.push(info);
      continue;
    }
    // Undecodable bytes of names and comments print as "?", as borg's stdout does.
    ctx.print(removeSurrogates(`${archiveText(info, ctx.common.iec)}\n${cacheText(stats, ctx.common.iec)}\n`));
    if (index < names.length - 1) ctx.print('\n');
  }
  if (json) ctx.printJson({ ...repositoryJson(session, { path: cache.path, stats }), archives });
}

async function showRepository(ctx: CommandContext, session: RepositorySession, cache: LocalCache, json: boolean): Promise<void> {
  const { repositoryJson } = await import('../../archive/repository-json.js');
  const stats = await cacheStats(ctx, session, cache);
  const securityDir = session.security.dir;
  if (json) {
    ctx.printJson({ ...repositoryJson(session, { path: cache.path, stats }), security_dir: securityDir });
    return;
  }
  const { key } = session;
  // borg names the "authenticated" (not the BLAKE2b one) and plaintext modes unencrypted.
  const encrypted = key.displayName === 'plaintext' || key.displayName === 'authenticated' ? 'No' : `Yes (${key.displayName})`;
  const lines = [
    `Repository ID: ${session.repository.id.toString('hex')}`,
    `Location: ${session.location.canonicalPath(ctx.cwd)}`,
    `Encrypted: ${encrypted}`,
    ...(key.storage === 'keyfile' && session.keyFile !== undefined ? [`Key file: ${session.keyFile}`] : []),
    `Cache: ${cache.path}`,
    `Security dir: ${securityDir}`,
    DASHES,
    STATS_HEADER,
    cacheText(stats, ctx.common.iec),
  ];
  ctx.print(`${lines.join('\n')}\n`);
}

function archiveText(info: ArchiveInfo, iec: boolean): string {
  const size = (n: number) => formatFileSize(n, { iec }).padStart(20);
  return [
    `Archive name: ${info.name}`,
    `Archive fingerprint: ${info.id}`,
    `Comment: ${info.comment}`,
    `Hostname: ${info.hostname}`,
    `Username: ${info.username}`,
    `Time (start): ${info.start}`,
    `Time (end): ${info.end}`,
    `Duration: ${formatDuration(info.duration.value)}`,
    `Number of files: ${info.stats.nfiles}`,
    `Command line: ${formatCommandLine(info.command_line)}`,
    `Utilization of maximum supported archive size: ${formatValue(info.limits.max_archive_size, '.0%')}`,
    DASHES,
    STATS_HEADER,
    `This archive:   ${size(info.stats.original_size)} ${size(info.stats.compressed_size)} ${size(info.stats.deduplicated_size)}`,
  ].join('\n');
}

/** The "All archives" and "Chunk index" lines. */
function cacheText(stats: CacheSummary, iec: boolean): string {
  const size = (n: number) => formatFileSize(n, { iec }).padStart(20);
  const count = (n: number) => String(n).padStart(20);
  return [
    `All archives:   ${size(stats.total_size)} ${size(stats.total_csize)} ${size(stats.unique_csize)}`,
    '',
    '                       Unique chunks         Total chunks',
    `Chunk index:    ${count(stats.total_unique_chunks)} ${count(stats.total_chunks)}`,
  ].join('\n');
}

/** A duration as borg writes it: "1 days 2 hours 3 minutes 4.50 seconds", leading zero units left out. */
function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const minutes = Math.trunc(seconds / 60) % 60;
  const hours = Math.trunc(seconds / 3600) % 24;
  let text = `${formatValue(pyMod(seconds, 60), '.2f')} seconds`;
  if (minutes) text = `${minutes} minutes ${text}`;
  if (hours) text = `${hours} hours ${text}`;
  if (days) text = `${days} days ${text}`;
  return text;
}

function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
