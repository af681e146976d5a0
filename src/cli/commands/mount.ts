// `borg-ts mount [options] REPOSITORY_OR_ARCHIVE MOUNTPOINT [PATH...]`: an archive, or every
// archive of a repository, as a read-only FUSE file system. In the background by default (the
// command returns once the file system is mounted), in the foreground with -f, where Ctrl-C
// unmounts. The serving process holds the repository lock until it ends.
import { BorgError } from '../../errors.js';
import { redirectStdioToDevNull } from '../../platform/native.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { TerminationSignal } from '../exit-codes.js';
import { startInBackground } from '../background.js';
import {
  ARCHIVE_FILTER_OPTIONS, archiveFilter, EXCLUSION_OPTIONS, openSession, pathMatcher, STRIP_COMPONENTS_OPTION,
  type ArchiveFilterArgs, type PatternSource,
} from './list.js';

type MountArgs = ArchiveFilterArgs & {
  location: Location;
  mountpoint: string;
  paths: string[];
  considerCheckpoints: boolean;
  foreground: boolean;
  options: string | undefined;
  numericIds: boolean;
  patternSources: PatternSource[];
  stripComponents: number;
};

/** Set in the environment of the background process the command starts. */
const DAEMON_ENV = 'BORG_TS_MOUNT_DAEMON';
/**
 * The serving process keeps its data in typed arrays outside the JS heap and makes mostly
 * short-lived garbage: a young generation of 2 MiB semi-spaces (V8's default grows to 16) keeps
 * ~30 MiB less resident for a few more, cheap, scavenges.
 */
const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2'];

const EPILOG = `Shows an archive, or the archives of a repository, as a read-only file system at
MOUNTPOINT, to browse them or copy single files out. The command returns as soon as the file
system is ready and keeps serving it in the background until "borg-ts umount MOUNTPOINT";
with -f it stays in the foreground, and Ctrl-C unmounts.

For a repository, MOUNTPOINT holds a directory per archive (choose them with the archive
filter options); an archive's items are read when its directory is first listed or entered.
PATHs, patterns and --strip-components select and shorten paths as in extract.

Owners: the archived user and group names are looked up on this system, falling back to
the archived ids; --numeric-ids shows the archived ids as they are.

Options for -o (comma-separated), besides the FUSE options allow_other, allow_root,
fsname=NAME and subtype=NAME:

- versions: with a repository, one merged tree of all selected archives in which every
  file is a directory holding each distinct content it had, numbered in archive order
  before the extension: notes.txt/notes.00001.txt, notes.txt/notes.00002.txt, ...
- allow_damaged_files: files in which borg check --repair replaced missing chunks with
  zeros fail with EIO unless this is given; with it they read with the zeros.
- ignore_permissions: do not let the kernel check permissions against the shown modes
  and owners (it does by default: default_permissions).
- uid=N, gid=N: show every file as owned by this user and group.
- umask=M: take these (octal) mode bits away from every file and directory.

BORG_MOUNT_DATA_CACHE_ENTRIES sets how many decrypted file chunks stay in memory
(default 16).

A background mount that receives a signal stops serving without unmounting: the
mountpoint then fails with "Transport endpoint is not connected" until unmounted, so
that a running mirror job never sees an empty directory.`;

function dataCacheEntries(env: CommandContext['env']): number {
  const text = env['BORG_MOUNT_DATA_CACHE_ENTRIES'];
  if (text === undefined || text === '') return 16;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new BorgError(`BORG_MOUNT_DATA_CACHE_ENTRIES must be a positive integer, not "${text}"`, { code: 'Error' });
  return value;
}

export const mountCommand = defineCommand<MountArgs>({
  name: 'mount',
  summary: 'mount repository',
  description: 'Mount archive or an entire repository as a FUSE filesystem',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive to mount', archive: 'optional' }),
    { name: 'mountpoint', metavar: 'MOUNTPOINT', description: 'where to mount filesystem' },
    { name: 'paths', metavar: 'PATH', description: 'paths to extract; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--consider-checkpoints', description: 'Show checkpoint archives in the repository contents list (default: hidden).' },
    { flags: '-f, --foreground', description: 'stay in foreground, do not daemonize' },
    { flags: '-o <OPTIONS>', key: 'options', description: 'Extra mount options' },
    { flags: '--numeric-owner', key: 'numericIds', description: 'deprecated, use --numeric-ids instead', deprecated: 'Warning: "--numeric-owner" has been deprecated. Use --numeric-ids instead.' },
    { flags: '--numeric-ids', description: 'use numeric user and group identifiers from archive(s)' },
    ...ARCHIVE_FILTER_OPTIONS,
    ...EXCLUSION_OPTIONS,
    STRIP_COMPONENTS_OPTION,
  ],
  async handler(ctx, args) {
    // loaded on use, see index.ts
    const [{ ArchiveTreeCache }, { parseMountOptions }, { mountArchives }] = await Promise.all([
      import('../../archive/tree/index.js'), import('../../mount/mount-options.js'), import('../../mount/mount-archives.js'),
    ]);
    const options = parseMountOptions(args.options);
    const cacheEntries = dataCacheEntries(ctx.env);
    const matcher = await pathMatcher(args.patternSources, args.paths);
    const daemon = ctx.env[DAEMON_ENV] === '1' && typeof process.send === 'function';
    if (!args.foreground && !daemon) return startInBackground(ctx, DAEMON_ENV, DAEMON_NODE_FLAGS);
    const session = await openSession(ctx, args.location);
    try {
      await mountArchives(session, {
        mountpoint: args.mountpoint,
        archive: args.location.archive,
        filter: archiveFilter(args, args.considerCheckpoints),
        options,
        numericIds: args.numericIds,
        selection: { matcher, stripComponents: args.stripComponents, considerPartFiles: ctx.common.considerPartFiles },
        trees: new ArchiveTreeCache(session.repository.id.toString('hex'), ctx.env),
        dataCacheEntries: cacheEntries,
        log: { warning: (m) => ctx.logger.warning(m), error: (m) => ctx.logger.error(m), debug: (m) => ctx.logger.debug(m) },
        signal: ctx.signal,
        // borg unmounts on Ctrl-C in the foreground only; other signals leave the mount dead but in place.
        unmountOnAbort: (reason) => args.foreground && reason instanceof TerminationSignal && reason.signal === 'SIGINT',
        ...(daemon ? { onMounted: detachFromStarter } : {}),
      });
    } finally {
      await session.close();
    }
    const reason: unknown = ctx.signal.reason;
    if (args.foreground && reason instanceof TerminationSignal && reason.signal === 'SIGINT') reason.handled = true;
    return 0;
  },
});

/** In the background process: tell the starting command we are mounted, then let go of its terminal. */
function detachFromStarter(): void {
  redirectStdioToDevNull();
  process.send!('mounted', undefined, {}, () => process.disconnect?.());
}
