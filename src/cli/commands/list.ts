// `borg-ts list [REPOSITORY_OR_ARCHIVE] [PATH...]`: the archives of a repository, or the items of
// an archive, as text (--format, --short) or JSON (--json for archives, --json-lines for items).
// Also home of what list shares with info and diff: the archive filter and exclusion options and
// opening the repository for reading.
// Implementation modules are imported where they are used (see index.ts); keep top-level imports cheap.

import { ARCHIVE_FORMAT_KEYS, DEFAULT_ITEM_FORMAT, ITEM_FORMAT_KEYS, SHORT_ITEM_FORMAT, formatNeedsChunkIndex } from '../../archive/list/format-keys.js';
import type { ArchiveFilter, ArchiveSortKey } from '../../archive/archive-selection.js';
import { parseSortKeys } from '../../archive/archive-selection.js';
import type { PatternArguments, PatternMatcher } from '../../archive/patterns/index.js';
import { removeSurrogates } from '../../archive/display-text.js';
import { replacePlaceholders } from '../../archive/placeholders.js';
import type { RepositorySession } from '../../archive/repository-session.js';
import type { LocalCache } from '../../cache/local-cache.js';
import { BorgError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { integer, locationArgument, positiveInteger } from '../arg-types.js';
import { defineCommand, type OptionSpec, type ValueParser } from '../command.js';
import type { CommandContext } from '../context.js';
import { pythonJsonDumps } from '../json.js';
import { repositoryAccess } from './repository-access.js';

// --- shared with info and diff -----------------------------------------------------------------

const placeholders: ValueParser = (text, environment) => replacePlaceholders(text, { now: environment.now });

/** -P/--prefix, -a/--glob-archives, --sort-by, --first, --last (borg's archive filter group). */
export const ARCHIVE_FILTER_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '-P, --prefix <PREFIX>', description: 'only consider archive names starting with this prefix (deprecated)', parse: placeholders,
    conflicts: ['globArchives'], deprecated: 'Warning: "--prefix" has been deprecated. Use "--glob-archives \'yourprefix*\'" (-a) instead.',
  },
  { flags: '-a, --glob-archives <GLOB>', description: 'only consider archive names matching the glob (sh: rules, see "help patterns")', parse: placeholders, conflicts: ['prefix'] },
  {
    flags: '--sort-by <KEYS>', description: 'comma-separated list of sorting keys; valid keys are: timestamp, name, id; default is: timestamp',
    parse: (text) => parseSortKeys(text),
  },
  { flags: '--first <N>', description: 'consider first N archives after other filters were applied', parse: positiveInteger, conflicts: ['last'] },
  { flags: '--last <N>', description: 'consider last N archives after other filters were applied', parse: positiveInteger, conflicts: ['first'] },
];

export type ArchiveFilterArgs = {
  prefix: string | undefined;
  globArchives: string | undefined;
  sortBy: ArchiveSortKey[] | undefined;
  first: number | undefined;
  last: number | undefined;
};

export function archiveFilter(args: ArchiveFilterArgs, considerCheckpoints: boolean): ArchiveFilter {
  return { prefix: args.prefix, glob: args.globArchives, sortBy: args.sortBy, first: args.first, last: args.last, considerCheckpoints };
}

/** A pattern option's text, tagged, so that all four keep their command-line order in one list. */
export interface PatternSource {
  kind: 'exclude' | 'exclude-from' | 'pattern' | 'patterns-from';
  text: string;
}

const tagged = (kind: PatternSource['kind']): ValueParser => (text) => ({ kind, text });

/** -e/--exclude, --exclude-from, --pattern, --patterns-from, all collected into `patternSources`. */
/** `--strip-components N` of extract and export-tar. */
export const STRIP_COMPONENTS_OPTION: OptionSpec = {
  flags: '--strip-components <NUMBER>', default: 0, parse: integer,
  description: 'Remove the specified number of leading path elements. Paths with fewer elements will be silently skipped.',
};

export const EXCLUSION_OPTIONS: readonly OptionSpec[] = [
  { flags: '-e, --exclude <PATTERN>', description: 'exclude paths matching PATTERN', key: 'patternSources', repeatable: true, parse: tagged('exclude') },
  { flags: '--exclude-from <EXCLUDEFILE>', description: 'read exclude patterns from EXCLUDEFILE, one per line', key: 'patternSources', repeatable: true, parse: tagged('exclude-from') },
  { flags: '--pattern <PATTERN>', description: 'include/exclude paths matching PATTERN', key: 'patternSources', repeatable: true, parse: tagged('pattern') },
  { flags: '--patterns-from <PATTERNFILE>', description: 'read include/exclude patterns from PATTERNFILE, one per line', key: 'patternSources', repeatable: true, parse: tagged('patterns-from') },
];

/** The matcher for PATHs and the pattern options (pattern files are read here). */
export async function pathMatcher(sources: readonly PatternSource[], paths: readonly string[]): Promise<PatternMatcher> {
  const { addPatternOption, buildMatcher, loadExcludeFile, loadPatternFile, parseExcludePattern, readPatternFile } = await import('../../archive/patterns/index.js'); // loaded on use, see index.ts
  const into: PatternArguments = { paths: [], patterns: [] };
  for (const { kind, text } of sources) {
    if (kind === 'exclude') into.patterns.push(parseExcludePattern(text));
    else if (kind === 'pattern') addPatternOption(text, into);
    else if (kind === 'exclude-from') loadExcludeFile(await readPatternFile(text), into);
    else loadPatternFile(await readPatternFile(text), into);
  }
  return buildMatcher(into.patterns, [...paths, ...into.paths]);
}

/** Opens the repository of `location` (shared lock unless `exclusive`), as borg's commands do. */
export async function openSession(ctx: CommandContext, location: Location, options: { exclusive?: boolean; operation?: 'read' | 'check' | 'write' | 'delete' } = {}): Promise<RepositorySession> {
  const access = repositoryAccess(ctx);
  const { RepositorySession } = await import('../../archive/repository-session.js'); // loaded on use, see index.ts
  return RepositorySession.open(location, {
    env: access.env, exclusive: options.exclusive ?? false, lockWait: access.lockWait, bypassLock: ctx.common.bypassLock,
    umask: access.umask, operations: [options.operation ?? 'read'], passphrase: access.passphrase, confirm: access.confirm,
    remote: access.remote,
  });
}

/** Opens (and if needed synchronises) the client cache of an open session. */
export async function openCache(ctx: CommandContext, session: RepositorySession): Promise<LocalCache> {
  const access = repositoryAccess(ctx);
  const { LocalCache } = await import('../../cache/local-cache.js'); // loaded on use, see index.ts
  return LocalCache.open(session, {
    env: access.env, lockWait: access.lockWait, confirm: access.confirm, log: ctx.logger, warnings: ctx.warnings, progress: ctx.progress,
  });
}

/**
 * Writes text in large pieces (listings can have millions of lines). Like borg, whose stdout
 * replaces what it cannot encode, an undecodable byte of a name (a lone surrogate) prints as "?".
 */
export class OutputBuffer {
  #parts: Buffer[] = [];
  #size = 0;

  constructor(private readonly ctx: CommandContext) {}

  write(text: string): void {
    const bytes = Buffer.from(removeSurrogates(text), 'utf8');
    this.#parts.push(bytes);
    this.#size += bytes.length;
    if (this.#size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.#size === 0) return;
    this.ctx.stdout.write(Buffer.concat(this.#parts));
    this.#parts = [];
    this.#size = 0;
  }
}

// --- the command ---------------------------------------------------------------------------------

type ListArgs = ArchiveFilterArgs & {
  location: Location;
  paths: string[];
  considerCheckpoints: boolean;
  short: boolean;
  format: string | undefined;
  json: boolean;
  jsonLines: boolean;
  patternSources: PatternSource[];
};

const EPILOG = `Lists the archives of a repository (REPOSITORY) or the contents of an archive
(REPOSITORY::ARCHIVE), optionally only the PATHs given (patterns are supported).

Keys available for --format when listing archives:
${ARCHIVE_FORMAT_KEYS.join(', ')}

Keys available for --format when listing archive contents:
${ITEM_FORMAT_KEYS.join(', ')}

Fields are written as {key} or {key:spec} with a Python format spec, e.g. {size:>10} or
{mtime:%Y-%m-%d}; {NL} is a newline, {NUL} a zero byte.`;

export const listCommand = defineCommand<ListArgs>({
  name: 'list',
  summary: 'list archive or repository contents',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive to list contents of', archive: 'optional', optional: true }),
    { name: 'paths', metavar: 'PATH', description: 'paths to list; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--consider-checkpoints', description: 'show checkpoint archives in the repository contents list (default: hidden)' },
    { flags: '--short', description: 'only print file/directory names, nothing else' },
    { flags: '--format <FORMAT>', description: 'specify format for file or archive listing (default for files: "{mode} {user:6} {group:6} {size:8} {mtime} {path}{extra}{NL}"; for archives: "{archive:<36} {time} [{id}]{NL}")' },
    { flags: '--json', description: 'only valid for listing repository contents: format output as JSON (keys used in --format are added)' },
    { flags: '--json-lines', description: 'only valid for listing archive contents: format output as JSON Lines (keys used in --format are added)' },
    ...ARCHIVE_FILTER_OPTIONS,
    ...EXCLUSION_OPTIONS,
  ],
  async handler(ctx, args) {
    const archive = args.location.archive;
    if (archive !== undefined && args.json) throw new BorgError('The --json option is only valid for listing archives, not archive contents.', { code: 'Error' });
    if (archive === undefined && args.jsonLines) throw new BorgError('The --json-lines option is only valid for listing archive contents, not archives.', { code: 'Error' });
    const matcher = archive !== undefined ? await pathMatcher(args.patternSources, args.paths) : undefined;
    const session = await openSession(ctx, args.location);
    try {
      if (archive !== undefined) await listContents(ctx, session, archive, args, matcher!);
      else await listArchives(ctx, session, args);
    } finally {
      await session.close();
    }
  },
});

async function listContents(ctx: CommandContext, session: RepositorySession, archive: string, args: ListArgs, matcher: PatternMatcher): Promise<void> {
  const format = args.format ?? (args.short ? SHORT_ITEM_FORMAT : DEFAULT_ITEM_FORMAT);
  // dsize, dcsize and unique_chunks need the repository-wide refcounts of the cache.
  const cache = formatNeedsChunkIndex(format) ? await openCache(ctx, session) : undefined;
  const { listArchiveContents } = await import('../../archive/list/list-archives.js');
  const out = new OutputBuffer(ctx);
  try {
    const entries = listArchiveContents(session, archive, {
      format, json: args.jsonLines, filter: (path) => matcher.match(path),
      considerPartFiles: ctx.common.considerPartFiles, ...(cache !== undefined ? { refcounts: cache.chunks } : {}),
    });
    for await (const entry of entries) out.write(typeof entry === 'string' ? entry : `${pythonJsonDumps(entry)}\n`);
  } finally {
    out.flush();
    await cache?.close();
  }
}

async function listArchives(ctx: CommandContext, session: RepositorySession, args: ListArgs): Promise<void> {
  const [{ listRepositoryArchives }, { repositoryJson }] = await Promise.all([
    import('../../archive/list/list-archives.js'), import('../../archive/repository-json.js'),
  ]);
  const entries = listRepositoryArchives(session, { format: args.format, short: args.short, json: args.json, filter: archiveFilter(args, args.considerCheckpoints) });
  if (args.json) {
    const archives = [];
    for await (const entry of entries) archives.push(entry);
    ctx.printJson({ ...repositoryJson(session), archives });
    return;
  }
  const out = new OutputBuffer(ctx);
  try {
    for await (const entry of entries) out.write(entry as string);
  } finally {
    out.flush();
  }
}
