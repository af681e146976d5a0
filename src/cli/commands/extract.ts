// `borg-ts extract [options] REPO::ARCHIVE [PATH...]`: restores an archive's items into the
// current directory, or only reads them (--dry-run), or writes file contents to stdout (--stdout).

import { removeSurrogates } from '../../archive/display-text.js';
import type { Location } from '../../remote/location.js';
import { locationArgument, positiveInteger } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { Writer } from '../context.js';
import { EXCLUSION_OPTIONS, openSession, pathMatcher, STRIP_COMPONENTS_OPTION, type PatternSource } from './list.js';

type ExtractArgs = {
  location: Location;
  paths: string[];
  outputList: boolean;
  dryRun: boolean;
  numericIds: boolean;
  noflags: boolean;
  noacls: boolean;
  noxattrs: boolean;
  stdout: boolean;
  sparse: boolean;
  patternSources: PatternSource[];
  stripComponents: number;
  workers: number | undefined;
};

const EPILOG = `This command extracts the contents of an archive. By default the entire archive
is extracted, but a subset of files and directories can be selected by passing a list of
PATHs as arguments (patterns are supported). The selection can be restricted further with
the --exclude and --pattern options; see "borg-ts help patterns".

--dry-run does every step except writing: chunks are read from the repository, checked
(MAC/hash), decrypted and decompressed.

--progress can be slower than no progress display, since it makes one additional pass
over the archive metadata.

Note: extract always writes into the current working directory ("."), so cd to the
right place first. When parent directories are not extracted (because of the file
selection or other reasons), their metadata (owner, group, mode, ...) cannot be restored.

Items whose path could leave the current directory (absolute paths, ".." components,
paths below a symbolic link) and hard links to files outside the extracted set are
skipped with a warning.

--workers N decrypts, decompresses and verifies chunks with N threads while this one reads ahead
and writes (default: BORG_TS_WORKERS, else the number of cores; 1 = on the main thread, like borg).`;

/** Writes to the command's stdout, waiting when a pipe is full instead of buffering the archive. */
function stdoutSink(stdout: Writer): (data: Buffer) => Promise<void> | void {
  const stream = stdout as Writer & { once?: (event: 'drain', listener: () => void) => unknown };
  return (data) => {
    if (stream.write(data) === false && typeof stream.once === 'function') {
      return new Promise<void>((resolve) => void stream.once!('drain', resolve));
    }
    return undefined;
  };
}

export const extractCommand = defineCommand<ExtractArgs>({
  name: 'extract',
  summary: 'extract archive contents',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'ARCHIVE', description: 'archive to extract', archive: 'required' }),
    { name: 'paths', metavar: 'PATH', description: 'paths to extract; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--list', key: 'outputList', description: 'output verbose list of items (files, dirs, ...)' },
    { flags: '-n, --dry-run', description: 'do not actually change any files' },
    { flags: '--numeric-owner', key: 'numericIds', description: 'deprecated, use --numeric-ids instead', deprecated: 'Warning: "--numeric-owner" has been deprecated. Use --numeric-ids instead.' },
    { flags: '--numeric-ids', description: 'only obey numeric user and group identifiers' },
    { flags: '--nobsdflags', key: 'noflags', description: 'deprecated, use --noflags instead', deprecated: 'Warning: "--nobsdflags" has been deprecated. Use --noflags instead.' },
    { flags: '--noflags', description: 'do not extract/set flags (e.g. NODUMP, IMMUTABLE)' },
    { flags: '--noacls', description: 'do not extract/set ACLs' },
    { flags: '--noxattrs', description: 'do not extract/set xattrs' },
    { flags: '--stdout', description: 'write all extracted data to stdout' },
    { flags: '--sparse', description: 'create holes in output sparse file from all-zero chunks' },
    ...EXCLUSION_OPTIONS,
    STRIP_COMPONENTS_OPTION,
    { flags: '--workers <N>', description: 'decrypt and decompress with N threads (default: BORG_TS_WORKERS, else the number of cores; 1 = on the main thread, like borg)', parse: positiveInteger },
  ],
  async handler(ctx, args) {
    const matcher = await pathMatcher(args.patternSources, args.paths);
    // loaded on use, see index.ts
    const [{ openArchive }, { extractArchive }, { defaultWorkerCount }] = await Promise.all([
      import('../../archive/archive-reader.js'), import('../../archive/extract/index.js'), import('../../archive/create/chunk-pool.js'),
    ]);
    const session = await openSession(ctx, args.location);
    try {
      const archive = await openArchive(session, args.location.archive!);
      const list = ctx.getLogger('borg.output.list');
      await extractArchive(session, archive, {
        destination: ctx.cwd,
        matcher,
        stripComponents: args.stripComponents,
        dryRun: args.dryRun,
        ...(args.stdout ? { output: stdoutSink(ctx.stdout) } : {}),
        sparse: args.sparse,
        numericIds: args.numericIds,
        noAcls: args.noacls,
        noXattrs: args.noxattrs,
        noFlags: args.noflags,
        considerPartFiles: ctx.common.considerPartFiles,
        ...(args.outputList ? { onItem: (path: string) => list.info(removeSurrogates(path)) } : {}),
        ...(ctx.common.progress ? { progress: ctx.progress } : {}),
        warnings: ctx.warnings,
        signal: ctx.signal,
        workers: args.workers ?? defaultWorkerCount(ctx.env),
      });
    } finally {
      await session.close();
    }
  },
});
