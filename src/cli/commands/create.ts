// `borg-ts create [options] ARCHIVE [PATH...]`: borg create's options, output (--list, --stats,
// --json, --progress) and exit codes, on top of createArchive. Beyond borg: --workers (default:
// BORG_TS_WORKERS, else one per core) and a percentage with ETA in --progress.
// The create pipeline is imported in the handler (see index.ts); top-level imports serve the options.
import { statSync } from 'node:fs';
import type { CreatedArchive } from '../../archive/create/create-archive.js';
import { CREATE_DEFAULTS, type CreateInput, type CreateOptions } from '../../archive/create/create-options.js';
import type { PatternArguments } from '../../archive/patterns/index.js';
import { replacePlaceholders } from '../../archive/placeholders.js';
import type { RepositorySession } from '../../archive/repository-session.js';
import { formatUtcIso } from '../../archive/timestamps.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import { parseFilesCacheMode, type FilesCacheMode } from '../../cache/files-cache-mode.js';
import { cacheRoot } from '../../cache/paths.js';
import { parseChunkerParams, type ChunkerParams } from '../../chunker/chunker-params.js';
import { parseCompressionSpec } from '../../compress/compression-spec.js';
import { UsageError } from '../../errors.js';
import { fsPath } from '../../format/surrogate-escape.js';
import { gid2group, uid2user } from '../../platform/users.js';
import type { Location } from '../../remote/location.js';
import { integer, locationArgument, positiveInteger } from '../arg-types.js';
import { defineCommand, type ValueParser } from '../command.js';
import type { CommandContext } from '../context.js';
import { TerminationSignal } from '../exit-codes.js';
import { EXCLUSION_OPTIONS, type PatternSource } from './list.js';
import { repositoryAccess } from './repository-access.js';

type CreateArgs = {
  location: Location; paths: string[]; dryRun: boolean; stats: boolean; outputList: boolean; filter: string | undefined;
  json: boolean; noCacheSync: boolean; stdinName: string; stdinUser: string | undefined; stdinGroup: string | undefined;
  stdinMode: number; contentFromCommand: boolean; pathsFromStdin: boolean; pathsFromCommand: boolean;
  pathsDelimiter: string | undefined; patternSources: PatternSource[] | undefined; excludeCaches: boolean;
  excludeIfPresent: string[] | undefined; keepExcludeTags: boolean; excludeNodump: boolean; oneFileSystem: boolean;
  numericOwner: boolean; numericIds: boolean; noatime: boolean; atime: boolean; noctime: boolean; nobirthtime: boolean;
  nobsdflags: boolean; noflags: boolean; noacls: boolean; noxattrs: boolean; sparse: boolean; filesCache: FilesCacheMode;
  readSpecial: boolean; comment: string; timestamp: bigint | undefined; checkpointInterval: number;
  chunkerParams: ChunkerParams; compression: string; workers: number | undefined;
};


/** Python's unicode-escape decoding of --paths-delimiter ("\\n", "\\0", "\\x1e", ...). */
export function evalEscapes(text: string): string {
  const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (all, esc: string) => {
    if (esc in simple) return simple[esc]!;
    if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    if (/^[xuU]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return all;
  });
}

/** borg's --timestamp formats (UTC): [pattern, has time of day]. */
const TIMESTAMP_FORMATS: RegExp[] = [
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:Z|\+00:00)?$/,
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})()$/,
  /^(\d{4})-(\d{2})-(\d{2})()()()$/,
];

/** Microseconds of a valid UTC date and time; null for impossible dates (Feb 30), which Python refuses. */
function utcMicros(y: number, mo: number, d: number, h: number, mi: number, s: number): bigint | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d) return null;
  return BigInt(ms) * 1000n;
}

/** --timestamp: a reference file's mtime, or a UTC time in one of borg's formats; in microseconds. */
const timestampArg: ValueParser = (text) => {
  try {
    const st = statSync(fsPath(text), { bigint: true });
    return st.mtimeNs < 0n ? 0n : st.mtimeNs / 1000n;
  } catch {
    // not a file: a time
  }
  for (const pattern of TIMESTAMP_FORMATS) {
    const m = pattern.exec(text);
    if (m === null) continue;
    const n = (i: number) => Number(m[i] || 0);
    const micros = utcMicros(n(1), n(2), n(3), n(4), n(5), n(6));
    if (micros !== null) return micros;
  }
  const dayOfYear = /^(\d{4})-(\d{3})$/.exec(text);
  if (dayOfYear !== null) {
    const day = Number(dayOfYear[2]);
    const start = utcMicros(Number(dayOfYear[1]), 1, 1, 0, 0, 0)!;
    const micros = start + BigInt(day - 1) * 86_400_000_000n;
    if (day >= 1 && day <= 366 && formatUtcIso(micros).startsWith(dayOfYear[1]!)) return micros;
  }
  throw new UsageError(`invalid timestamp value: '${text}'`);
};

const chunkerParamsArg: ValueParser = (text) => {
  try {
    return parseChunkerParams(text);
  } catch (e) {
    throw new UsageError(`invalid ChunkerParams value: '${text}' (${(e as Error).message})`);
  }
};

const compressionArg: ValueParser = (text) => {
  try {
    parseCompressionSpec(text);
  } catch (e) {
    throw new UsageError(`invalid CompressionSpec value: '${text}' (${(e as Error).message})`);
  }
  return text;
};

const octal: ValueParser = (text) => {
  if (!/^\s*[0-7]+\s*$/.test(text)) throw new UsageError(`invalid <lambda> value: '${text}'`);
  return parseInt(text, 8);
};

const EPILOG = `Creates an archive of the PATHs (files and directories, recursively), stored
deduplicated, compressed and encrypted as the repository's key says. PATHs are stored as given:
run from the right directory to get relative paths. '-' reads stdin into a file named by
--stdin-name (see also --content-from-command).

Placeholders such as {now}, {utcnow}, {hostname}, {fqdn} and {user} may be used in the archive
name and the comment (see "borg-ts help placeholders"). The name must be unique; names ending in
".checkpoint" or ".checkpoint.N" are used for checkpoints.

Unchanged files are not read again: the files cache remembers each file's size, inode and ctime
(--files-cache selects: ctime,size,inode (default), mtime,size,inode, ctime,size, mtime,size,
rechunk,ctime, rechunk,mtime, or disabled). It is keyed by the absolute path, so back up from
stable mount points. borg's files cache is used as it is.

--list prints one line per object: A added, M modified, U unchanged (files), C changed while
read, E error (a warning; exit code 1), d directory, s symlink, h hard link, f fifo, b/c block or
char device, i stdin, x excluded, - dry run. --filter=AME shows only the given letters.

--progress shows the original (O), compressed (C) and deduplicated (D) size so far, the number of
files (N) and the current path; borg-ts adds a percentage and ETA, estimated from the previous
archive of the same name series (e.g. "host-{now}") or from a quick size scan.

A checkpoint archive (NAME.checkpoint) is saved every --checkpoint-interval seconds and when the
backup is interrupted (Ctrl-C); the final archive replaces it.

--workers N reads, chunks, compresses and encrypts with N threads (default: BORG_TS_WORKERS, else
one per core; 1 works like borg, on one thread). The archive is the same with any number.`;

export const createCommand = defineCommand<CreateArgs>({
  name: 'create',
  summary: 'create backup',
  description: 'Create new archive',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'ARCHIVE', description: 'name of archive to create (must be also a valid directory name)', archive: 'required' }),
    { name: 'paths', metavar: 'PATH', description: 'paths to archive', variadic: true },
  ],
  options: [
    { flags: '-n, --dry-run', description: 'do not create a backup archive' },
    { flags: '-s, --stats', description: 'print statistics for the created archive' },
    { flags: '--list', description: 'output verbose list of items (files, dirs, ...)', key: 'outputList' },
    { flags: '--filter <STATUSCHARS>', description: 'only display items with the given status characters (see description)' },
    { flags: '--json', description: 'output stats as JSON. Implies --stats.' },
    { flags: '--no-cache-sync', description: 'experimental: do not synchronize the cache. Implies not using the files cache.' },
    { flags: '--stdin-name <NAME>', description: "use NAME in archive for stdin data (default: 'stdin')", default: 'stdin' },
    { flags: '--stdin-user <USER>', description: 'set user USER in archive for stdin data (default: the name of uid 0)' },
    { flags: '--stdin-group <GROUP>', description: 'set group GROUP in archive for stdin data (default: the name of gid 0)' },
    { flags: '--stdin-mode <M>', description: 'set mode to M in archive for stdin data (default: 0660)', parse: octal, default: 0o660 },
    { flags: '--content-from-command', description: 'interpret PATH as command and store its stdout' },
    { flags: '--paths-from-stdin', description: 'read DELIM-separated list of paths to backup from stdin; will not recurse into directories' },
    { flags: '--paths-from-command', description: 'interpret PATH as command and treat its output as --paths-from-stdin' },
    { flags: '--paths-delimiter <DELIM>', description: 'set path delimiter for --paths-from-stdin and --paths-from-command (default: \\n)' },
    ...EXCLUSION_OPTIONS,
    { flags: '--exclude-caches', description: 'exclude directories that contain a CACHEDIR.TAG file (http://www.bford.info/cachedir/spec.html)' },
    { flags: '--exclude-if-present <NAME>', description: 'exclude directories that are tagged by containing a filesystem object with the given NAME', repeatable: true },
    { flags: '--keep-exclude-tags', description: "if tag objects are specified with --exclude-if-present, don't omit the tag objects themselves from the backup archive" },
    { flags: '--exclude-nodump', description: 'exclude files flagged NODUMP' },
    { flags: '-x, --one-file-system', description: 'stay in the same file system and do not store mount points of other file systems' },
    { flags: '--numeric-owner', description: 'deprecated, use --numeric-ids instead', deprecated: 'Warning: "--numeric-owner" has been deprecated. Use --numeric-ids instead.' },
    { flags: '--numeric-ids', description: 'only store numeric user and group identifiers' },
    { flags: '--noatime', description: 'do not store atime into archive', deprecated: 'Warning: "--noatime" has been deprecated because it is the default now.' },
    { flags: '--atime', description: 'do store atime into archive' },
    { flags: '--noctime', description: 'do not store ctime into archive' },
    { flags: '--nobirthtime', description: 'do not store birthtime (creation date) into archive' },
    { flags: '--nobsdflags', description: 'deprecated, use --noflags instead', deprecated: 'Warning: "--nobsdflags" has been deprecated. Use --noflags instead.' },
    { flags: '--noflags', description: 'do not read and store flags (e.g. NODUMP, IMMUTABLE) into archive' },
    { flags: '--noacls', description: 'do not read and store ACLs into archive' },
    { flags: '--noxattrs', description: 'do not read and store xattrs into archive' },
    { flags: '--sparse', description: 'detect sparse holes in input (supported only by fixed chunker)' },
    { flags: '--files-cache <MODE>', description: 'operate files cache in MODE. default: ctime,size,inode', parse: (text) => parseFilesCacheMode(text), default: 'cis' },
    { flags: '--read-special', description: 'open and read block and char device files as well as FIFOs as if they were regular files; also follows symlinks pointing to these kinds of files' },
    { flags: '--comment <COMMENT>', description: 'add a comment text to the archive', parse: (text, env) => replacePlaceholders(text, { now: env.now }), default: '' },
    { flags: '--timestamp <TIMESTAMP>', description: 'manually specify the archive creation date/time (UTC, yyyy-mm-ddThh:mm:ss format); alternatively, give a reference file/directory', parse: timestampArg },
    { flags: '-c, --checkpoint-interval <SECONDS>', description: 'write checkpoint every SECONDS seconds (Default: 1800)', parse: integer, default: 1800 },
    { flags: '--chunker-params <PARAMS>', description: 'specify the chunker parameters (ALGO, CHUNK_MIN_EXP, CHUNK_MAX_EXP, HASH_MASK_BITS, HASH_WINDOW_SIZE). default: buzhash,19,23,21,4095', parse: chunkerParamsArg, default: CREATE_DEFAULTS.chunkerParams },
    { flags: '-C, --compression <COMPRESSION>', description: 'select compression algorithm, see the output of the "borg-ts help compression" command for details', parse: compressionArg, default: 'lz4' },
    { flags: '--workers <N>', description: 'chunk, compress and encrypt with N threads (default: BORG_TS_WORKERS, else the number of cores; 1 = on the main thread, like borg)', parse: positiveInteger },
  ],
  async handler(ctx, args) {
    const [{ createArchive, dryRunCreate }, { RepositorySession }, { openCache }] = await Promise.all([
      import('../../archive/create/create-archive.js'), import('../../archive/repository-session.js'), import('../../cache/cache.js'),
    ]);
    const options = await createOptions(ctx, args);
    if (args.dryRun) {
      if (args.stats || args.json) ctx.logger.warning('Ignoring --stats. It is not supported when using --dry-run.');
      await dryRunCreate(options);
      return;
    }
    // The chunk workers load while the repository and the cache open.
    if (options.workers > 1) (await import('../../archive/create/chunk-pool.js')).warmUpChunkWorkers(options.workers);
    const access = repositoryAccess(ctx);
    const session = await RepositorySession.open(args.location, {
      env: access.env, exclusive: true, lockWait: access.lockWait, umask: access.umask, operations: ['write'],
      passphrase: access.passphrase, confirm: access.confirm, remote: access.remote,
    });
    try {
      ctx.logger.info(`Creating archive at "${args.location.processed}"`);
      const cache = await openCache(session, {
        env: access.env, lockWait: access.lockWait, confirm: access.confirm, log: ctx.logger, warnings: ctx.warnings,
        progress: ctx.progress, filesCacheMode: args.noCacheSync ? 'd' : args.filesCache, permitAdhocCache: args.noCacheSync,
        sharedChunkIndex: options.workers > 1,
      });
      try {
        const result = await createArchive(session, cache, { ...options, skipPaths: [cacheRoot(access.env), ...localRepository(args.location)] });
        if (result.interrupted) return interrupted(ctx);
        // Ctrl-C during the final save: the archive is complete, as in borg the run ends normally.
        if (ctx.signal.reason instanceof TerminationSignal && ctx.signal.reason.signal === 'SIGINT') ctx.signal.reason.handled = true;
        await report(ctx, session, cache, result.archive!, args);
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});

/** The repository directory, which a local backup must not store. */
function localRepository(location: Location): string[] {
  return location.proto === 'file' ? [location.path] : [];
}

/** After Ctrl-C the checkpoint is saved and the run ends with borg's error; other signals end as signals. */
function interrupted(ctx: CommandContext): number | void {
  const reason: unknown = ctx.signal.reason;
  if (reason instanceof TerminationSignal && reason.signal === 'SIGINT') {
    reason.handled = true;
    ctx.logger.error('Got Ctrl-C / SIGINT.');
    return 2;
  }
}

async function createOptions(ctx: CommandContext, args: CreateArgs): Promise<CreateOptions> {
  const { addPatternOption, loadExcludeFile, loadPatternFile, parseExcludePattern, readPatternFile } = await import('../../archive/patterns/index.js');
  const patterns: PatternArguments = { paths: [], patterns: [] };
  for (const { kind, text } of args.patternSources ?? []) {
    if (kind === 'exclude') patterns.patterns.push(parseExcludePattern(text));
    else if (kind === 'pattern') addPatternOption(text, patterns);
    else if (kind === 'exclude-from') loadExcludeFile(await readPatternFile(text), patterns);
    else loadPatternFile(await readPatternFile(text), patterns);
  }
  const inputs = [args.contentFromCommand, args.pathsFromStdin, args.pathsFromCommand].filter(Boolean).length;
  if (inputs > 1) throw new UsageError('borg-ts create: error: --content-from-command, --paths-from-stdin and --paths-from-command exclude each other');
  const input: CreateInput = args.contentFromCommand ? 'content-from-command' : args.pathsFromStdin ? 'paths-from-stdin' : args.pathsFromCommand ? 'paths-from-command' : 'paths';
  const paths = [...args.paths, ...patterns.paths];
  if ((input === 'content-from-command' || input === 'paths-from-command') && paths.length === 0) {
    throw new UsageError('borg-ts create: error: No command given.');
  }
  if (input === 'paths' && paths.length === 0) throw new UsageError('borg-ts create: error: Need at least one PATH argument.');
  const workers = args.workers ?? (await import('../../archive/create/chunk-pool.js')).defaultWorkerCount(ctx.env);
  return {
    ...CREATE_DEFAULTS,
    name: args.location.archive!, paths, input, patterns: patterns.patterns, stdin: ctx.stdin,
    pathsDelimiter: args.pathsDelimiter === undefined ? '\n' : evalEscapes(args.pathsDelimiter),
    stdinItem: { name: args.stdinName, user: args.stdinUser ?? uid2user(0) ?? 'root', group: args.stdinGroup ?? gid2group(0) ?? 'root', mode: args.stdinMode },
    comment: args.comment, ...(args.timestamp !== undefined ? { timestamp: args.timestamp } : {}),
    compression: args.compression, chunkerParams: args.chunkerParams, cmdline: process.argv.slice(1), cwd: ctx.cwd,
    excludeCaches: args.excludeCaches, excludeIfPresent: args.excludeIfPresent ?? [], keepExcludeTags: args.keepExcludeTags,
    excludeNodump: args.excludeNodump, oneFileSystem: args.oneFileSystem, numericIds: args.numericIds || args.numericOwner,
    atime: args.atime, noctime: args.noctime, nobirthtime: args.nobirthtime, noflags: args.noflags || args.nobsdflags,
    noacls: args.noacls, noxattrs: args.noxattrs, sparse: args.sparse, readSpecial: args.readSpecial,
    checkpointInterval: args.checkpointInterval, workers, estimate: true,
    ...(ctx.common.progress ? { progress: ctx.progress } : {}),
    ...(args.outputList ? { fileStatus: fileStatusPrinter(ctx, args.filter) } : {}),
    warnings: ctx.warnings, log: ctx.logger, signal: ctx.signal,
  };
}

/** --list lines, --filter applied; undecodable bytes of names print as "?" (borg's remove_surrogates). */
function fileStatusPrinter(ctx: CommandContext, filter: string | undefined): (status: string, path: string) => void {
  return (status, path) => {
    if (filter !== undefined && !filter.includes(status)) return;
    ctx.fileStatus.emit({ type: 'file_status', status, path: path.replace(/[\udc80-\udcff]/g, '?') });
  };
}

async function report(ctx: CommandContext, session: RepositorySession, cache: ChunkCache, archive: CreatedArchive, args: CreateArgs): Promise<void> {
  if (!args.stats && !args.json) return;
  const { reportCreatedArchive } = await import('../created-archive-report.js');
  await reportCreatedArchive(ctx, session, cache, archive, args.json);
}
