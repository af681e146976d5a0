// `borg-ts export-tar [options] REPO::ARCHIVE FILE [PATH...]`: an archive as a GNU tar file (or on
// stdout with "-"), compressed by a filter program chosen from the file name or --tar-filter.

import { removeSurrogates } from '../../archive/display-text.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { EXCLUSION_OPTIONS, openSession, pathMatcher, STRIP_COMPONENTS_OPTION, type PatternSource } from './list.js';

type ExportTarArgs = {
  location: Location;
  tarfile: string;
  paths: string[];
  tarFilter: string;
  outputList: boolean;
  patternSources: PatternSource[];
  stripComponents: number;
};

const EPILOG = `Writes an archive, or the items selected by PATHs and patterns, as a tar file. With "-"
as FILE the tar stream goes to standard output.

By default (--tar-filter=auto) the file name decides whether the stream is compressed, by
piping it through a filter program:

- .tar.gz or .tgz: gzip
- .tar.bz2 or .tbz: bzip2
- .tar.xz or .txz: xz
- .tar.zstd or .tar.zst: zstd
- .tar.lz4: lz4

--tar-filter names another program (with arguments): it reads the plain tar stream on its
standard input and writes the filtered stream to its standard output.

The tar file uses the GNU format. It does not carry everything an archive holds: BSD flags,
ACLs, extended attributes, atime and ctime are left out, and times have whole seconds only.
Sparse files are written in full (there is no --sparse).

PATHs and the exclusion options select items as for extract (see "borg-ts help patterns").

--progress costs one more pass over the archive's items (to know the total size).`;

export const exportTarCommand = defineCommand<ExportTarArgs>({
  name: 'export-tar',
  summary: 'create tarball from archive',
  description: 'Export archive contents as a tarball',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'ARCHIVE', description: 'archive to export', archive: 'required' }),
    { name: 'tarfile', metavar: 'FILE', description: 'output tar file. "-" to write to stdout instead.' },
    { name: 'paths', metavar: 'PATH', description: 'paths to extract; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--tar-filter <TAR_FILTER>', description: 'filter program to pipe data through', default: 'auto' },
    { flags: '--list', key: 'outputList', description: 'output verbose list of items (files, dirs, ...)' },
    ...EXCLUSION_OPTIONS,
    STRIP_COMPONENTS_OPTION,
  ],
  async handler(ctx, args) {
    const matcher = await pathMatcher(args.patternSources, args.paths);
    // loaded on use, see index.ts
    const [{ openArchive }, { exportTar }, { openTarOutput, tarFilterFor }] = await Promise.all([
      import('../../archive/archive-reader.js'), import('../../archive/export-tar.js'), import('../../archive/tar/tar-filter.js'),
    ]);
    const session = await openSession(ctx, args.location);
    try {
      const archive = await openArchive(session, args.location.archive!);
      const filter = args.tarFilter === 'auto' ? tarFilterFor(args.tarfile, false) : args.tarFilter || null;
      const output = await openTarOutput(args.tarfile, ctx.stdout, filter, { env: { ...ctx.env }, log: ctx.logger });
      const list = ctx.getLogger('borg.output.list');
      try {
        await exportTar(session, archive, (data) => output.write(data), {
          matcher, stripComponents: args.stripComponents, considerPartFiles: ctx.common.considerPartFiles,
          warnings: ctx.warnings, signal: ctx.signal,
          ...(args.outputList ? { onItem: (path: string) => list.info(removeSurrogates(path)) } : {}),
          ...(ctx.common.progress ? { progress: ctx.progress } : {}),
        });
      } catch (e) {
        await output.abort();
        throw e;
      }
      await output.finish();
    } finally {
      await session.close();
    }
  },
});
