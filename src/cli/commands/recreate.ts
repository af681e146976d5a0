// `borg-ts recreate [options] [REPOSITORY_OR_ARCHIVE] [PATH...]`: archives rebuilt with items
// excluded, contents recompressed or re-chunked, or a new comment, on top of the library's
// Recreater. Without an archive name every archive of the repository is processed (oldest first),
// or those the archive filter options select (an addition to borg 1.2.4's recreate).
// The archive options are create's, parsed by the very same specs.

import { selectArchives } from '../../archive/archive-selection.js';
import type { RecompressMode } from '../../archive/recreate/recreate-archive.js';
import { checkArchiveName } from '../../archive/archive-name.js';
import type { PatternArguments } from '../../archive/patterns/index.js';
import type { ChunkerParams } from '../../chunker/index.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand, type OptionSpec } from '../command.js';
import type { CommandContext } from '../context.js';
import { TerminationSignal } from '../exit-codes.js';
import { createCommand } from './create.js';
import { ARCHIVE_FILTER_OPTIONS, archiveFilter, EXCLUSION_OPTIONS, openCache, openSession, type ArchiveFilterArgs, type PatternSource } from './list.js';

type RecreateArgs = ArchiveFilterArgs & {
  location: Location;
  paths: string[];
  outputList: boolean;
  filter: string | undefined;
  dryRun: boolean;
  stats: boolean;
  patternSources: PatternSource[] | undefined;
  excludeCaches: boolean;
  excludeIfPresent: string[] | undefined;
  keepExcludeTags: boolean;
  target: string | undefined;
  checkpointInterval: number;
  comment: string | undefined;
  timestamp: bigint | undefined;
  compression: string;
  /** true when given without a MODE. */
  recompress: RecompressMode | true | undefined;
  chunkerParams: ChunkerParams | undefined;
};

/** An option of `create` (by its long name), shared with its flags, parser and default. */
function createOption(long: string, changes: Partial<OptionSpec> = {}): OptionSpec {
  const spec = createCommand.options?.find((o) => o.flags.split(/[ ,]+/).includes(long));
  if (spec === undefined) throw new Error(`create has no option ${long} to share with recreate`);
  const shared: OptionSpec = { ...spec, ...changes };
  if ('default' in changes && changes.default === undefined) delete shared.default;
  return shared;
}

const EPILOG = `Recreates archives: items excluded by the patterns or outside the PATHs are dropped,
contents can be recompressed (--recompress with -C) or re-chunked (--chunker-params), and the
comment replaced. Patterns and PATHs match archive paths (which are relative), not the file system;
--exclude-caches and --exclude-if-present look for the tags inside the archive.

The new archive is built as ARCHIVE.recreate and then replaces the original (it gets a new
archive ID); with --target the original stays and the new archive gets that name. Without an
archive name all archives are processed. Space is only freed by "borg-ts compact".

--recompress if-different (the default MODE) stores a chunk again when -C would use another
compressor than the stored one (levels are not compared); --recompress always also changes levels.
Recompressed chunks keep their IDs, so every archive using them sees the new compression.

Archives with nothing to change (no pattern, PATH, --comment, --target, recompression or
re-chunking) are skipped. Use --dry-run --list to see what would be kept (-) and dropped (x).`;

export const recreateCommand = defineCommand<RecreateArgs>({
  name: 'recreate',
  summary: 'recreate archive',
  description: 'Re-create archives',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive to recreate', archive: 'optional', optional: true }),
    { name: 'paths', metavar: 'PATH', description: 'paths to recreate; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--list', description: 'output verbose list of items (files, dirs, ...)', key: 'outputList' },
    { flags: '--filter <STATUSCHARS>', description: 'only display items with the given status characters (listed in borg create --help)' },
    { flags: '-n, --dry-run', description: 'do not change anything' },
    { flags: '-s, --stats', description: 'print statistics at end' },
    ...EXCLUSION_OPTIONS,
    createOption('--exclude-caches'),
    createOption('--exclude-if-present'),
    createOption('--keep-exclude-tags'),
    ...ARCHIVE_FILTER_OPTIONS,
    { flags: '--target <TARGET>', description: 'create a new archive with the name ARCHIVE, do not replace existing archive (only applies for a single archive)' },
    createOption('--checkpoint-interval'),
    createOption('--comment', { default: undefined }),
    createOption('--timestamp'),
    createOption('--compression'),
    {
      flags: '--recompress [MODE]', choices: ['if-different', 'always', 'never'],
      description: 'recompress data chunks according to MODE and --compression: if-different (the default MODE) when the compression algorithm differs (the level is not considered), always (to change the level), never (the default)',
    },
    createOption('--chunker-params', { default: undefined, description: 'rechunk using given chunker parameters (ALGO, CHUNK_MIN_EXP, CHUNK_MAX_EXP, HASH_MASK_BITS, HASH_WINDOW_SIZE) or `default` to use the chunker defaults. default: do not rechunk' }),
  ],
  async handler(ctx, args) {
    if (args.target !== undefined) checkArchiveName(args.target);
    // loaded on use, see index.ts
    const [{ isTemporaryArchive, Recreater }, { reportCreatedArchive }, patternParsers] = await Promise.all([
      import('../../archive/recreate/recreate-archive.js'), import('../created-archive-report.js'), import('../../archive/patterns/index.js'),
    ]);
    const { addPatternOption, buildMatcher, loadExcludeFile, loadPatternFile, parseExcludePattern, readPatternFile } = patternParsers;
    const patterns: PatternArguments = { paths: [], patterns: [] };
    for (const { kind, text } of args.patternSources ?? []) {
      if (kind === 'exclude') patterns.patterns.push(parseExcludePattern(text));
      else if (kind === 'pattern') addPatternOption(text, patterns);
      else if (kind === 'exclude-from') loadExcludeFile(await readPatternFile(text), patterns);
      else loadPatternFile(await readPatternFile(text), patterns);
    }
    const paths = [...args.paths, ...patterns.paths];
    const name = args.location.archive;
    if (name !== undefined && isTemporaryArchive(name)) {
      ctx.logger.error(`Refusing to work on temporary archive of prior recreate: ${name}`);
      return 2;
    }
    if (name === undefined && args.target !== undefined) {
      ctx.logger.error('--target: Need to specify single archive');
      return 2;
    }
    const session = await openSession(ctx, args.location, { exclusive: true, operation: 'write' });
    try {
      const cache = await openCache(ctx, session);
      try {
        const recreater = new Recreater(session, cache, {
          matcher: () => buildMatcher(patterns.patterns, paths),
          excludeCaches: args.excludeCaches, excludeIfPresent: args.excludeIfPresent ?? [], keepExcludeTags: args.keepExcludeTags,
          ...(args.chunkerParams !== undefined ? { chunkerParams: args.chunkerParams } : {}),
          compression: args.compression, recompress: args.recompress === true ? 'if-different' : args.recompress ?? 'never',
          dryRun: args.dryRun, checkpointInterval: args.checkpointInterval, cmdline: process.argv.slice(1),
          ...(args.timestamp !== undefined ? { timestamp: args.timestamp } : {}),
          ...(args.comment !== undefined ? { comment: args.comment } : {}),
          ...(args.outputList ? { fileStatus: statusPrinter(ctx, args.filter) } : {}),
          ...(ctx.common.progress ? { progress: ctx.progress } : {}),
          signal: ctx.signal,
          onWarning: (message) => ctx.logger.warning(message),
        });
        /** Recreates one archive; false ends the run (interrupted). */
        const run = async (archive: string, onUnchanged: () => void): Promise<boolean> => {
          const outcome = await recreater.recreate(archive, args.target);
          if (outcome.status === 'unchanged') onUnchanged();
          if (outcome.status === 'interrupted') return false;
          if (outcome.status === 'done' && args.stats) await reportCreatedArchive(ctx, session, cache, outcome.archive, false);
          return true;
        };
        let exitCode = 0;
        if (name !== undefined) {
          const complete = await run(name, () => {
            ctx.logger.error('Nothing to do. Archive was not processed.\nSpecify at least one pattern, PATH, --comment, re-compression or re-chunking option.');
            exitCode = 2;
          });
          if (!complete) return interrupted(ctx);
          return exitCode;
        }
        const selected = selectArchives(session.manifest.archives.values(), archiveFilter(args, true));
        for (const entry of selected) {
          if (isTemporaryArchive(entry.name)) continue;
          ctx.print(`Processing ${entry.name}\n`);
          const complete = await run(entry.name, () => ctx.logger.info(`Skipped archive ${entry.name}: Nothing to do. Archive was not processed.`));
          if (!complete) return interrupted(ctx);
        }
        return exitCode;
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});

/** After Ctrl-C the checkpoint is saved and the run ends with borg's error; other signals end as signals. */
function interrupted(ctx: CommandContext): number | void {
  const reason: unknown = ctx.signal.reason;
  if (reason instanceof TerminationSignal && reason.signal === 'SIGINT') {
    reason.handled = true;
    ctx.logger.error('Got Ctrl-C / SIGINT.');
    return 2;
  }
}

/** --list lines with --filter applied; undecodable name bytes print as "?". */
function statusPrinter(ctx: CommandContext, filter: string | undefined): (status: string, path: string) => void {
  return (status, path) => {
    if (filter !== undefined && !filter.includes(status)) return;
    ctx.fileStatus.emit({ type: 'file_status', status, path: path.replace(/[\udc80-\udcff]/g, '?') });
  };
}
