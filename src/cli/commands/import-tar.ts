// `borg-ts import-tar [options] REPO::ARCHIVE TARFILE`: a new archive from a tar file (or stdin
// with "-"), decompressed by a filter program chosen from the file name or --tar-filter. The
// archive options (--comment, --timestamp, --chunker-params, -C, -c) and the output options are
// create's, parsed by the very same specs.

import type { ChunkerParams } from '../../chunker/index.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand, type OptionSpec } from '../command.js';
import type { CommandContext } from '../context.js';
import { createCommand } from './create.js';
import { openCache, openSession } from './list.js';

type ImportTarArgs = {
  location: Location;
  tarfile: string;
  tarFilter: string;
  stats: boolean;
  outputList: boolean;
  filter: string | undefined;
  json: boolean;
  ignoreZeros: boolean;
  comment: string;
  timestamp: bigint | undefined;
  checkpointInterval: number;
  chunkerParams: ChunkerParams;
  compression: string;
};

/** An option of `create` (by its long name), shared unchanged: same flags, parser and default. */
function createOption(long: string): OptionSpec {
  const spec = createCommand.options?.find((o) => o.flags.split(/[ ,]+/).includes(long));
  if (spec === undefined) throw new Error(`create has no option ${long} to share with import-tar`);
  return spec;
}

const EPILOG = `Creates an archive from a tar file. With "-" as TARFILE the tar stream is read from
standard input.

By default (--tar-filter=auto) the file name decides whether the stream is decompressed first,
by a filter program:

- .tar.gz or .tgz: gzip -d
- .tar.bz2 or .tbz: bzip2 -d
- .tar.xz or .txz: xz -d
- .tar.zstd or .tar.zst: zstd -d
- .tar.lz4: lz4 -d

--tar-filter names another program (with arguments): it reads the compressed data on its
standard input and writes the plain tar stream to its standard output.

Most of what "borg-ts help create" says applies; there is no way to exclude members.

The archive does not get everything a tar file can carry: BSD flags, ACLs, extended attributes,
atime and ctime are left out, and times keep only what the tar has (whole seconds, or the
fractions of a pax mtime). Sparse members are stored in full.

ustar, pax, GNU, V7 and SunOS tar files are read. Tar files concatenated into one (e.g. with
"cat") are imported as one archive with --ignore-zeros, which skips the end markers between them.`;

export const importTarCommand = defineCommand<ImportTarArgs>({
  name: 'import-tar',
  summary: 'create a backup archive from a tarball',
  description: 'Create a backup archive from a tarball',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'ARCHIVE', description: 'name of archive to create (must be also a valid directory name)', archive: 'required' }),
    { name: 'tarfile', metavar: 'TARFILE', description: 'input tar file. "-" to read from stdin instead.' },
  ],
  options: [
    { flags: '--tar-filter <TAR_FILTER>', description: 'filter program to pipe data through', default: 'auto' },
    createOption('--stats'),
    createOption('--list'),
    createOption('--filter'),
    createOption('--json'),
    { flags: '--ignore-zeros', description: 'ignore zero-filled blocks in the input tarball' },
    createOption('--comment'),
    createOption('--timestamp'),
    createOption('--checkpoint-interval'),
    createOption('--chunker-params'),
    createOption('--compression'),
  ],
  async handler(ctx, args) {
    // loaded on use, see index.ts
    const [{ importTar }, { openTarInput, tarFilterFor }, { reportCreatedArchive }] = await Promise.all([
      import('../../archive/import-tar.js'), import('../../archive/tar/tar-filter.js'), import('../created-archive-report.js'),
    ]);
    const session = await openSession(ctx, args.location, { exclusive: true, operation: 'write' });
    try {
      const cache = await openCache(ctx, session);
      try {
        const filter = args.tarFilter === 'auto' ? tarFilterFor(args.tarfile, true) : args.tarFilter || null;
        const input = await openTarInput(args.tarfile, ctx.stdin, filter, { env: { ...ctx.env }, log: ctx.logger });
        let result;
        try {
          result = await importTar(session, cache, input.stream, {
            name: args.location.archive!, cmdline: process.argv.slice(1), comment: args.comment,
            ...(args.timestamp !== undefined ? { timestamp: args.timestamp } : {}),
            chunkerParams: args.chunkerParams, compression: args.compression, checkpointInterval: args.checkpointInterval,
            ignoreZeros: args.ignoreZeros, drain: input.filtered, warnings: ctx.warnings, signal: ctx.signal,
            ...(args.outputList ? { fileStatus: statusPrinter(ctx, args.filter) } : {}),
            ...(ctx.common.progress ? { progress: ctx.progress } : {}),
          });
        } catch (e) {
          await input.abort();
          throw e;
        }
        await input.finish();
        if (result.archive !== null && (args.stats || args.json)) await reportCreatedArchive(ctx, session, cache, result.archive, args.json);
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});

/** --list lines with --filter applied; undecodable name bytes print as "?". */
function statusPrinter(ctx: CommandContext, filter: string | undefined): (status: string, path: string) => void {
  return (status, path) => {
    if (filter !== undefined && !filter.includes(status)) return;
    ctx.fileStatus.emit({ type: 'file_status', status, path: path.replace(/[\udc80-\udcff]/g, '?') });
  };
}
