// `borg-ts delete REPOSITORY_OR_ARCHIVE [ARCHIVE...]`: archives (named, or picked with the archive
// filter options), or the whole repository with its cache and security info, or only the cache.

import { hasArchiveFilter, selectArchives } from '../../archive/archive-selection.js';
import type { RepositoryOverview } from '../../archive/delete-repository.js';
import type { ArchiveEntry } from '../../archive/manifest.js';
import { OutputTimestamp } from '../../archive/output-timestamp.js';
import type { RepositorySession } from '../../archive/repository-session.js';
import { EXIT_ERROR, EXIT_SUCCESS } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { integer, locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { TerminationSignal } from '../exit-codes.js';
import { ARCHIVE_FILTER_OPTIONS, archiveFilter, openCache, openSession, type ArchiveFilterArgs } from './list.js';
import { repositoryAccess } from './repository-access.js';

type DeleteArgs = ArchiveFilterArgs & {
  location: Location;
  archives: string[];
  dryRun: boolean;
  outputList: boolean;
  stats: boolean;
  cacheOnly: boolean;
  force: number | false;
  keepSecurityInfo: boolean;
  saveSpace: boolean;
  checkpointInterval: number;
};

const DASHES = '-'.repeat(78);

const EPILOG = `Deletes archives from a repository, or the complete repository.

Deleting archives does not free disk space by itself: run "compact" afterwards.

Deleting a complete repository also deletes this client's security info and cache for it;
--cache-only deletes just the cache, --keep-security-info keeps the security info. You are asked
to confirm (type YES; BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES answers for you) unless --force is
given.

With --stats, the "Deleted data" line tells how much data the deleted archives held; its
deduplicated size is about what the repository shrinks by after "compact". The "All archives"
numbers describe the repository after the deletion.

Several archives are selected with --glob-archives (see "borg-ts help patterns"), --first,
--last and --sort-by; archive filters cannot be mixed with archive names. Try --dry-run --list
first to see what would be deleted.

--force deletes archives that are damaged as far as they can be read; --force --force only
removes them from the manifest (run "borg check --repair" afterwards to free their space).

--save-space is accepted for compatibility: delete does not compact, so it changes nothing.`;

/** borg's format_archive: name padded to 36 characters, local start time, id. */
export function formatArchive(entry: ArchiveEntry): string {
  const width = [...entry.name].length;
  return `${entry.name}${' '.repeat(Math.max(0, 36 - width))} ${OutputTimestamp.fromUtcIso(entry.time).toString()} [${entry.id.toString('hex')}]`;
}

export const deleteCommand = defineCommand<DeleteArgs>({
  name: 'delete',
  summary: 'delete archive',
  description: 'Delete an existing repository or archives',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive to delete', archive: 'optional', optional: true }),
    { name: 'archives', metavar: 'ARCHIVE', description: 'archives to delete', variadic: true },
  ],
  options: [
    { flags: '-n, --dry-run', description: 'do not change repository' },
    { flags: '--list', key: 'outputList', description: 'output verbose list of archives' },
    { flags: '-s, --stats', description: 'print statistics for the deleted archive' },
    { flags: '--cache-only', description: 'delete only the local cache for the given repository' },
    { flags: '--force', count: true, description: 'force deletion of corrupted archives, use "--force --force" in case "--force" does not work' },
    { flags: '--keep-security-info', description: 'keep the local security info when deleting a repository' },
    { flags: '--save-space', description: 'work slower, but using less space' },
    { flags: '-c, --checkpoint-interval <SECONDS>', description: 'write checkpoint every SECONDS seconds', parse: integer, default: 1800 },
    ...ARCHIVE_FILTER_OPTIONS,
  ],
  async handler(ctx, args) {
    const filter = archiveFilter(args, true);
    const explicit = args.location.archive !== undefined || args.archives.length > 0;
    if (hasArchiveFilter(filter) && explicit) {
      ctx.logger.error('Mixing archive filters and explicitly named archives is not supported.');
      return EXIT_ERROR;
    }
    if (!hasArchiveFilter(filter) && !explicit) return removeRepository(ctx, args);
    const session = await openSession(ctx, args.location, { exclusive: true, operation: 'delete' });
    try {
      const names = explicit
        ? [...(args.location.archive !== undefined ? [args.location.archive] : []), ...args.archives]
        : selectArchives(session.manifest.archives.values(), filter).map((entry) => entry.name);
      if (names.length === 0) return EXIT_SUCCESS;
      if (Number(args.force) >= 2) return await forget(ctx, session, names, args.dryRun);
      return await removeArchives(ctx, session, names, args);
    } finally {
      await session.close();
    }
  },
});

async function removeArchives(ctx: CommandContext, session: RepositorySession, names: string[], args: DeleteArgs): Promise<number> {
  const list = ctx.getLogger('borg.output.list');
  const cache = await openCache(ctx, session);
  try {
    const { deleteArchives } = await import('../../archive/delete-archives.js'); // loaded on use, see index.ts
    const { stats, interrupted } = await deleteArchives(session, cache, names, {
      dryRun: args.dryRun, forced: Number(args.force), considerPartFiles: ctx.common.considerPartFiles,
      checkpointInterval: args.checkpointInterval, log: ctx.logger, signal: ctx.signal,
      ...(ctx.common.progress ? { progress: ctx.progress } : {}),
      onMissing: (name, i, n) => ctx.logger.warning(`Archive ${name} not found (${i}/${n}).`),
      onArchive: (entry, i, n) => list.info(`${args.dryRun ? 'Would delete archive' : 'Deleting archive'}: ${formatArchive(entry)} (${i}/${n})`),
    });
    if (args.stats) await (await import('../deleted-stats-report.js')).reportDeletedStats(ctx, session, cache, stats);
    if (interrupted) return sigint(ctx);
  } finally {
    await cache.close();
  }
  return EXIT_SUCCESS;
}

/** After Ctrl-C what was deleted is committed and the run ends with borg's error; other signals end as signals. */
function sigint(ctx: CommandContext): number {
  const reason: unknown = ctx.signal.reason;
  if (!(reason instanceof TerminationSignal) || reason.signal !== 'SIGINT') return EXIT_SUCCESS;
  reason.handled = true;
  ctx.logger.error('Got Ctrl-C / SIGINT.');
  return EXIT_ERROR;
}

/** `--force --force`: the archives leave the manifest, nothing else is touched. */
async function forget(ctx: CommandContext, session: RepositorySession, names: string[], dryRun: boolean): Promise<number> {
  const list = ctx.getLogger('borg.output.list');
  const { forgetArchives } = await import('../../archive/delete-archives.js'); // loaded on use, see index.ts
  const { removed } = await forgetArchives(session, names, {
    dryRun,
    onMissing: (name, i, n) => ctx.warnings.warn({ code: 'BorgWarning', message: `Archive ${name} not found (${i}/${n}).` }),
    onArchive: (entry, i, n) => list.info(`${dryRun ? 'Would delete' : 'Deleted archive'}: ${formatArchive(entry)} (${i}/${n})`),
  });
  if (dryRun) ctx.logger.info('Finished dry-run.');
  else if (removed > 0) ctx.logger.warning('Done. Run "borg check --repair" to clean up the mess.');
  else ctx.logger.warning('Aborted.');
  return EXIT_SUCCESS;
}


/** The whole repository (or its cache): borg asks first unless --force or --cache-only. */
async function removeRepository(ctx: CommandContext, args: DeleteArgs): Promise<number> {
  const access = repositoryAccess(ctx);
  const confirm = async (overview: RepositoryOverview): Promise<boolean> => ctx.yes({
    message: question(overview, args.outputList), falseMessage: 'Aborting.', invalidMessage: 'Invalid answer, aborting.',
    truish: ['YES'], retry: false, envVar: 'BORG_DELETE_I_KNOW_WHAT_I_AM_DOING',
  });
  const { deleteRepository } = await import('../../archive/delete-repository.js'); // loaded on use, see index.ts
  const { confirmed } = await deleteRepository(args.location, {
    env: access.env, lockWait: access.lockWait, umask: access.umask, passphrase: access.passphrase,
    cacheOnly: args.cacheOnly, keepSecurityInfo: args.keepSecurityInfo, dryRun: args.dryRun, log: ctx.logger, remote: access.remote,
    ...(args.force ? {} : { confirm }),
  });
  return confirmed ? EXIT_SUCCESS : EXIT_ERROR;
}

function question(overview: RepositoryOverview, withList: boolean): string {
  const { archives } = overview;
  const lines = [
    archives === null
      ? 'You requested to completely DELETE the following repository *including* all archives it may contain:'
      : `You requested to completely DELETE the following repository *including* ${archives.length} archives it contains:`,
    DASHES,
    `Repository ID: ${overview.idHex}`,
    `Location: ${overview.location}`,
  ];
  if (withList) {
    lines.push('', 'Archives:');
    if (archives === null) lines.push("This repository seems to have no manifest, so we can't tell anything about its contents.");
    else if (archives.length === 0) lines.push('This repository seems to not have any archives.');
    else for (const entry of selectArchives(archives, { considerCheckpoints: true })) lines.push(formatArchive(entry));
  }
  lines.push(DASHES, "Type 'YES' if you understand this and want to continue: ");
  return lines.join('\n');
}
