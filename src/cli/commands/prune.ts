// `borg-ts prune [options] REPOSITORY`: deletes the archives that no --keep-* rule keeps. The
// policy is planned first (archive/prune), shown with --list, then carried out unless --dry-run.

import { selectArchives } from '../../archive/archive-selection.js';
import type { PruneDecision } from '../../archive/prune/index.js';
import { parseInterval } from '../../archive/prune/interval.js';
import { EXIT_ERROR } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { integer, locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { TerminationSignal } from '../exit-codes.js';
import { formatArchive } from './delete.js';
import { ARCHIVE_FILTER_OPTIONS, openCache, openSession } from './list.js';

type PruneArgs = {
  location: Location;
  dryRun: boolean;
  force: boolean;
  stats: boolean;
  outputList: boolean;
  keepWithin: number | undefined;
  keepSecondly: number;
  keepMinutely: number;
  keepHourly: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  keepYearly: number;
  saveSpace: boolean;
  checkpointInterval: number;
  prefix: string | undefined;
  globArchives: string | undefined;
};


const EPILOG = `Deletes every archive that none of the --keep-* rules keeps. Disk space is only given back by
a later "compact".

Without -P/--prefix or -a/--glob-archives, all archives of the repository are considered together,
whatever they contain: prune each data set (e.g. each machine) on its own with a glob that selects
only its archives. Only the selected archives count towards the rules.

Rules are applied from secondly to yearly: each keeps the newest archive of each of the last N
periods (seconds, minutes, hours, days, ISO weeks from Monday, months, years) that have archives;
an archive kept by an earlier rule does not count again. Periods follow the local time zone. A
negative N means no limit. A rule that finds fewer periods than N also keeps the oldest archive,
so that it can age into the rule. --keep-last N is --keep-secondly N.

--keep-within INTERVAL keeps everything newer than INTERVAL, written as a whole number and a unit:
H (hours), d (days), w (weeks), m (31 days) or y (365 days), e.g. "2d" for the last 48 hours. What
it keeps does not count towards the other rules.

Checkpoints (archives of interrupted backups, named *.checkpoint or *.checkpoint.N) never count;
they are all deleted except the newest one while no complete archive is newer.

Try --dry-run --list first. With --stats, "Deleted data" tells how much the deleted archives held;
its deduplicated size is about what "compact" will give back. The "All archives" numbers describe
the repository after pruning.

--save-space is accepted for compatibility with borg, which no longer uses it: prune does not
compact, so there is nothing to save.`;

const count = (flags: string, description: string) => ({ flags, description, parse: integer, default: 0 });

export const pruneCommand = defineCommand<PruneArgs>({
  name: 'prune',
  summary: 'prune archives',
  description: 'Prune repository archives according to specified rules',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository to prune', archive: 'forbidden', optional: true })],
  options: [
    { flags: '-n, --dry-run', description: 'do not change repository' },
    { flags: '--force', description: 'force pruning of corrupted archives' },
    { flags: '-s, --stats', description: 'print statistics for the deleted archive' },
    { flags: '--list', key: 'outputList', description: 'output verbose list of archives it keeps/prunes' },
    { flags: '--keep-within <INTERVAL>', description: 'keep all archives within this time interval', parse: (text) => parseInterval(text) },
    { ...count('--keep-last, --keep-secondly <SECONDLY>', 'number of secondly archives to keep'), key: 'keepSecondly' },
    count('--keep-minutely <MINUTELY>', 'number of minutely archives to keep'),
    count('-H, --keep-hourly <HOURLY>', 'number of hourly archives to keep'),
    count('-d, --keep-daily <DAILY>', 'number of daily archives to keep'),
    count('-w, --keep-weekly <WEEKLY>', 'number of weekly archives to keep'),
    count('-m, --keep-monthly <MONTHLY>', 'number of monthly archives to keep'),
    count('-y, --keep-yearly <YEARLY>', 'number of yearly archives to keep'),
    { flags: '--save-space', description: 'work slower, but using less space (no effect, kept for compatibility)' },
    { flags: '-c, --checkpoint-interval <SECONDS>', description: 'write checkpoint every SECONDS seconds', parse: integer, default: 1800 },
    ...ARCHIVE_FILTER_OPTIONS.filter((o) => o.flags.startsWith('-P,') || o.flags.startsWith('-a,')),
  ],
  async handler(ctx, args) {
    let stats = args.stats;
    if (stats && args.dryRun) {
      ctx.logger.warning('Ignoring --stats. It is not supported when using --dry-run.');
      stats = false;
    }
    const { planPrune, pruneArchives } = await import('../../archive/prune/index.js'); // loaded on use, see index.ts
    const session = await openSession(ctx, args.location, { exclusive: true, operation: 'delete' });
    try {
      const candidates = selectArchives(session.manifest.archives.values(), {
        prefix: args.prefix, glob: args.globArchives, considerCheckpoints: true, includeCheckpointSuffix: true,
      });
      const plan = planPrune(candidates, { ...args, now: ctx.now });
      const cache = await openCache(ctx, session);
      try {
        const list = ctx.getLogger('borg.output.list');
        const result = await pruneArchives(session, cache, plan, {
          dryRun: args.dryRun, forced: args.force, considerPartFiles: ctx.common.considerPartFiles,
          checkpointInterval: args.checkpointInterval, log: ctx.logger, signal: ctx.signal,
          ...(ctx.common.progress ? { progress: ctx.progress } : {}),
          onDecision: (decision, position) => list.info(listLine(decision, args.dryRun, position)),
        });
        if (result.interrupted) return interrupted(ctx);
        if (stats) await (await import('../deleted-stats-report.js')).reportDeletedStats(ctx, session, cache, result.stats);
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});

/** The `--list` line of one decision, in borg's words (scripts read these). */
function listLine(decision: PruneDecision, dryRun: boolean, position?: { index: number; total: number }): string {
  let message: string;
  if (decision.action === 'prune') message = dryRun ? 'Would prune:' : `Pruning archive (${position!.index}/${position!.total}):`;
  else if (decision.checkpoint) message = 'Keeping checkpoint archive:';
  else message = `Keeping archive (rule: ${decision.rule} #${decision.number}):`;
  return `${message.padEnd(40)} ${formatArchive(decision.archive)}`;
}

/** After Ctrl-C the deletions so far are committed and the run ends with borg's error. */
function interrupted(ctx: CommandContext): number | void {
  const reason: unknown = ctx.signal.reason;
  if (!(reason instanceof TerminationSignal && reason.signal === 'SIGINT')) return undefined;
  reason.handled = true;
  ctx.logger.error('Got Ctrl-C / SIGINT.');
  return EXIT_ERROR;
}

