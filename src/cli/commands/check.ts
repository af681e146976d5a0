// `borg-ts check [--repository-only | --archives-only] [--verify-data] [--repair] REPOSITORY[::ARCHIVE]`:
// the repository part (segments, index) and the archive part (manifest, archives, items, chunks,
// orphans) of borg's check, with borg 1.2's option rules and exit codes: 0 all fine (or repaired),
// 1 problems found and not repaired, 2 errors. The library reports typed findings; the wording is here.

import type { ArchiveFinding } from '../../archive/check/index.js';
import { EXIT_ERROR, EXIT_SUCCESS, EXIT_WARNING } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import type { SegmentScanner } from '../../repository/repository-check.js';
import type { Repository } from '../../repository/repository.js';
import { integer, locationArgument, positiveInteger } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { ARCHIVE_FILTER_OPTIONS, type ArchiveFilterArgs } from './list.js';
import { repositoryAccess, type RepositoryAccess } from './repository-access.js';

type CheckArgs = ArchiveFilterArgs & {
  location: Location;
  repoOnly: boolean;
  archivesOnly: boolean;
  verifyData: boolean;
  repair: boolean;
  saveSpace: boolean;
  maxDuration: number;
  workers: number | undefined;
};

const EPILOG = `Checks the consistency of a repository and its archives, and with --repair repairs what it can.

The repository part reads every segment and checks the CRC of every object, then rebuilds the
index from the segments and compares it with the stored index. It needs no key, so it also runs on
the server of a remote repository. --archives-only skips it. --max-duration SECONDS (only with
--repository-only, not with --repair) checks segments for at most that long and continues where it
stopped on the next run; such a partial check only verifies CRCs, not the index.

The archive part needs the key: the manifest must be there (with --repair it is rebuilt from the
archive metadata found in the repository), every archive's metadata must be present and
authenticated (archives whose archive TAM does not verify are removed, as borg >= 1.2.5 does), the
item metadata readable and valid, and every chunk a file refers to present. --repair replaces a
missing file chunk by zeros of the same length and remembers the original; when a later backup
stores that chunk again, the next --repair puts it back ("heals" the file). When all archives were
checked, objects that nothing refers to are reported, and deleted by --repair.
--repository-only skips this part; REPOSITORY::ARCHIVE, --glob-archives, --first and --last check
only some archives (then orphaned objects cannot be detected).

--verify-data decrypts and authenticates every object, which finds damage that the CRCs miss; it is
slow. With --repair, damaged objects are deleted, so that the files using them are repaired like
files with missing chunks.

--repair asks for confirmation (type YES; BORG_CHECK_I_KNOW_WHAT_I_AM_DOING=YES answers for you).
Copy the repository before repairing it if you can: damage it cannot understand, it may drop.

--save-space is accepted like borg accepts it: check never compacts, so it changes nothing.

--workers N verifies objects (--verify-data) with N threads while this one reads (default:
BORG_TS_WORKERS, else the number of cores; 1 = on the main thread, like borg).`;

const REPAIR_QUESTION = `check --repair changes the repository to make it consistent again. Damage it cannot make
sense of may be removed along with what it holds, so data can be lost.

Type 'YES' to repair anyway: `;

export const checkCommand = defineCommand<CheckArgs>({
  name: 'check',
  summary: 'verify the repository and its archives',
  description: 'Checks the consistency of a repository and its archives',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'the repository to check, or one archive of it', archive: 'optional', optional: true }),
  ],
  options: [
    { flags: '--repository-only', key: 'repoOnly', description: 'check only the repository part (segments and index)' },
    { flags: '--archives-only', description: 'check only the archive part (skip segments and index)' },
    { flags: '--verify-data', description: 'also decrypt and authenticate every object (not with --repository-only)' },
    { flags: '--repair', description: 'repair what can be repaired' },
    { flags: '--save-space', description: 'accepted for compatibility; check never compacts, so it has no effect' },
    { flags: '--max-duration <SECONDS>', description: 'check segments for at most SECONDS seconds, resuming there next time (needs --repository-only; 0: no limit)', parse: integer, default: 0 },
    ...ARCHIVE_FILTER_OPTIONS,
    { flags: '--workers <N>', description: 'verify data with N threads (default: BORG_TS_WORKERS, else the number of cores; 1 = on the main thread, like borg)', parse: positiveInteger },
  ],
  async handler(ctx, args) {
    const access = repositoryAccess(ctx);
    const { openStore } = await import('../../archive/repository-session.js'); // loaded on use, see index.ts
    const repository = await openStore(args.location, {
      env: access.env, exclusive: true, lockWait: access.lockWait, umask: access.umask, confirm: access.confirm, remote: access.remote,
      onWarning: (message) => ctx.logger.warning(message),
    });
    try {
      return await check(ctx, args, repository, access);
    } finally {
      await repository.close();
    }
  },
});

async function check(ctx: CommandContext, args: CheckArgs, repository: Repository, access: RepositoryAccess): Promise<number> {
  if (args.repair && !(await confirmRepair(ctx))) return EXIT_ERROR;
  if (args.repoOnly && (args.verifyData || args.first || args.last || args.prefix !== undefined || args.globArchives)) {
    ctx.logger.error('--repository-only cannot be combined with --first, --last, --glob-archives, --prefix or --verify-data');
    return EXIT_ERROR;
  }
  if (args.repair && args.maxDuration) {
    ctx.logger.error('--repair cannot be combined with --max-duration');
    return EXIT_ERROR;
  }
  if (args.maxDuration && !args.repoOnly) {
    // A partial check verifies CRCs only, so the index it leaves unchecked must not be trusted by an archive check.
    ctx.logger.error('--max-duration needs --repository-only');
    return EXIT_ERROR;
  }
  const workers = args.workers ?? (await import('../../archive/create/chunk-pool.js')).defaultWorkerCount(ctx.env);
  // Where the workers will read the segments themselves (a local repository, no repair), they load
  // while the repository is checked, and take that check's pass over the segments.
  let segmentScanner: SegmentScanner | undefined;
  if (args.verifyData && !args.repair && !args.archivesOnly && workers > 1 && repository.objectLayout !== undefined) {
    const pool = await import('../../archive/check/segment-verify-pool.js');
    pool.warmUpVerifyWorkers(workers);
    segmentScanner = pool.warmSegmentScanner();
  }
  if (!args.archivesOnly && !(await checkRepositoryPart(ctx, repository, args, segmentScanner))) return EXIT_WARNING;
  if (args.repoOnly) return EXIT_SUCCESS;
  const location = args.location;
  const archiveLog = ctx.getLogger('borg.archive');
  const { checkArchives } = await import('../../archive/check/index.js');
  const result = await checkArchives(repository, {
    repair: args.repair,
    verifyData: args.verifyData,
    archive: location.archive,
    filter: { glob: args.prefix !== undefined ? `${args.prefix}*` : args.globArchives, first: args.first, last: args.last, sortBy: args.sortBy },
    keyAccess: {
      location: location.canonicalPath(),
      locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
      env: access.env,
      passphrase: access.passphrase,
    },
    ignoreInvalidArchiveTam: (ctx.env['BORG_WORKAROUNDS'] ?? '').split(',').includes('ignore_invalid_archive_tam'),
    workers,
    progress: ctx.progress,
    signal: ctx.signal,
    onFinding: (finding) => {
      archiveLog.log(finding.severity, describeFinding(finding, args.repair));
      if (finding.kind === 'orphans-found') for (const id of finding.ids) archiveLog.debug(`orphaned object ${hex(id)}`);
      if (finding.kind === 'defect-objects') for (const id of finding.ids) archiveLog.debug(`damaged object ${hex(id)}`);
    },
  });
  return result.ok ? EXIT_SUCCESS : EXIT_WARNING;
}

function confirmRepair(ctx: CommandContext): Promise<boolean> {
  return ctx.yes({
    message: REPAIR_QUESTION, falseMessage: 'Aborting.', invalidMessage: 'Invalid answer, aborting.', truish: ['YES'], retry: false,
    envVar: 'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING',
  });
}

async function checkRepositoryPart(ctx: CommandContext, repository: Repository, args: CheckArgs, segmentScanner: SegmentScanner | undefined): Promise<boolean> {
  // A server checks and reports on its own; its log lines arrive as "Remote: ...".
  const { RemoteRepository } = await import('../../remote/remote-repository.js');
  if (repository instanceof RemoteRepository) return repository.check({ repair: args.repair, maxDuration: args.maxDuration });
  const log = ctx.getLogger('borg.repository');
  log.info('Starting repository check');
  let errors = false;
  const ok = await repository.check({
    repair: args.repair,
    maxDuration: args.maxDuration,
    ...(ctx.common.progress ? { progress: ctx.progress } : {}),
    ...(segmentScanner ? { segmentScanner } : {}),
    onFinding: (finding) => {
      if (finding.level === 'error') errors = true;
      log.log(finding.level, finding.message);
    },
  });
  const mode = args.maxDuration ? 'partial' : 'full';
  if (!errors) log.info(`Finished ${mode} repository check: no problems found`);
  else if (args.repair) log.info(`Finished ${mode} repository check: errors found and repaired`);
  else log.error(`Finished ${mode} repository check: errors found`);
  return ok;
}

const hex = (id: Buffer): string => id.toString('hex');

/** "archive: path: chunk ID (bytes A-B)". */
function fileChunk(f: { archive: string; path: string; offset: number; size: number; id: Buffer }): string {
  return `${f.archive}: ${f.path}: chunk ${hex(f.id)} (bytes ${f.offset}-${f.offset + f.size})`;
}

/** The position borg's debug dump-archive-items uses for item-stream chunks: 000003_<id>. */
function streamChunk(f: { archive: string; index: number; id: Buffer }): string {
  return `${f.archive}: item metadata chunk ${String(f.index).padStart(6, '0')}_${hex(f.id)}`;
}

/** One log line per finding, in our own words. */
export function describeFinding(f: ArchiveFinding, repair: boolean): string {
  switch (f.kind) {
    case 'check-started': return 'Starting archive consistency check';
    case 'check-finished': return `Archive consistency check finished: ${f.problems ? 'problems found' : 'no problems found'}`;
    case 'no-data': return 'Cannot check the archives: the repository holds no data at all';
    case 'manifest-missing': return 'Repository manifest is missing';
    case 'manifest-corrupted': return `Repository manifest is damaged: ${f.reason}`;
    case 'manifest-rebuild-started': return 'Rebuilding the manifest from the archive metadata found in the repository, this can take a while';
    case 'object-skipped': return `Skipping damaged object ${hex(f.id)}: ${f.reason}`;
    case 'archive-found': return `Found archive ${f.name}`;
    case 'archive-name-duplicate': return `Archive name ${f.name} is taken, listing this archive as ${f.storedAs}`;
    case 'archive-tam-rejected': return `Archive ${f.name} is not authenticated (${f.reason}): it stays out of the rebuilt manifest and will be deleted`;
    case 'manifest-rebuilt': return 'Manifest rebuilt';
    case 'verify-started': return 'Starting cryptographic verification of all objects';
    case 'object-unreadable': return `Object ${hex(f.id)} cannot be read: ${f.reason}`;
    case 'object-corrupted': return `Object ${hex(f.id)} fails verification: ${f.reason}`;
    case 'object-count-mismatch': return `Object count mismatch: the index lists ${f.index} objects, the segments hold ${f.segments}`;
    case 'defect-objects': return f.repair
      ? `Deleting ${f.ids.length} damaged objects, so that the files using them can be repaired now and healed later`
      : `Found ${f.ids.length} damaged objects; --repair would delete them, so that the files using them could be repaired and healed later`;
    case 'defect-object-deleted': return `Deleted damaged object ${hex(f.id)}`;
    case 'defect-object-kept': return `Object ${hex(f.id)} was read correctly on a second try: kept`;
    case 'verify-finished': return `Cryptographic verification finished: ${f.verified} objects verified, ${f.errors} integrity errors`;
    case 'archive-not-found': return `Archive ${f.name} does not exist`;
    case 'glob-no-match': return `No archive matches --glob-archives ${f.glob}`;
    case 'too-few-archives': return `--${f.option} ${f.wanted}: only ${f.found} archives found`;
    case 'archive-started': return `Checking archive ${f.name} (${f.position}/${f.total})`;
    case 'archive-metadata-missing': return `Archive ${f.name}: its metadata object ${hex(f.id)} is missing`;
    case 'archive-metadata-corrupted': return `Archive ${f.name}: its metadata object ${hex(f.id)} is damaged: ${f.reason}`;
    case 'archive-tam-invalid': return `Archive ${f.name} is not authenticated (${f.reason}): it is removed from the manifest and will be deleted`;
    case 'item-chunk-missing': return `${streamChunk(f)} is missing`;
    case 'item-chunk-corrupted': return `${streamChunk(f)} is damaged: ${f.reason}`;
    case 'item-invalid': return `${streamChunk(f)}: invalid item (${f.reason})`;
    case 'item-stream-resync': return `${streamChunk(f)} cannot be unpacked, resynchronizing`;
    case 'file-chunk-missing': return `${fileChunk(f)} is missing, ${repair ? 'replacing it' : 'it would be replaced'} by zeros`;
    case 'file-chunk-still-missing': return `${fileChunk(f)} is still missing; its all-zero replacement stays`;
    case 'replacement-chunk-missing': return `${fileChunk(f)}: the all-zero replacement is missing too, making a new one`;
    case 'file-chunk-healed': return `${fileChunk(f)} is back: healed`;
    case 'file-healed': return `${f.archive}: ${f.path}: all lost chunks are back, the file is healed`;
    case 'chunks-healthy-invalid': return `${f.archive}: ${f.path}: removed an invalid chunks_healthy list`;
    case 'size-inconsistent': return `${f.archive}: ${f.path}: size ${f.size} differs from the size of its chunks ${f.chunksSize}`;
    case 'orphans-found': return `${f.ids.length} orphaned objects found`;
    case 'orphans-deleting': return `Deleting ${f.orphaned} orphaned and ${f.superseded} superseded objects`;
    case 'orphans-deleted': return 'Orphaned and superseded objects deleted';
    case 'orphans-check-skipped': return 'Orphaned objects not checked: not all archives were checked';
    case 'manifest-writing': return 'Writing the manifest';
    case 'committing': return 'Committing the repository';
  }
}
