// `borg-ts diff REPO::ARCHIVE1 ARCHIVE2 [PATH...]`: what changed between two archives, one line per
// path (borg's text columns, or --json-lines objects).

import { checkArchiveName } from '../../archive/archive-name.js';
import type { PathDiff } from '../../archive/diff.js';
import type { DiffChange } from '../../archive/item-diff.js';
import { formatValue, replacePlaceholders } from '../../archive/placeholders.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { formatFileSize } from '../file-size.js';
import { pythonJsonDumps } from '../json.js';
import { EXCLUSION_OPTIONS, openSession, OutputBuffer, pathMatcher, type PatternSource } from './list.js';

type DiffArgs = {
  location: Location;
  archive2: string;
  paths: string[];
  numericIds: boolean;
  sameChunkerParams: boolean;
  sort: boolean;
  contentOnly: boolean;
  jsonLines: boolean;
  patternSources: PatternSource[];
};

const EPILOG = `Finds the differences (file contents, user/group/mode, ctime/mtime) between archives.

A file's content is compared by its chunk ids when both archives were made with the same
--chunker-params (then the sizes of added and removed chunks are shown), else by reading both
contents, which is slow; --same-chunker-params skips that check. Extended attributes, ACLs and
atime are not compared. Give PATHs (patterns supported) to compare only those.`;

export const diffCommand = defineCommand<DiffArgs>({
  name: 'diff',
  summary: 'find differences in archive contents',
  epilog: EPILOG,
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'REPO::ARCHIVE1', description: 'repository location and ARCHIVE1 name', archive: 'required' }),
    {
      name: 'archive2', metavar: 'ARCHIVE2', description: 'ARCHIVE2 name (no repository location allowed)',
      parse: (text, environment) => checkArchiveName(replacePlaceholders(text, { now: environment.now })),
    },
    { name: 'paths', metavar: 'PATH', description: 'paths of items inside the archives to compare; patterns are supported', variadic: true },
  ],
  options: [
    { flags: '--numeric-owner', description: 'deprecated, use --numeric-ids instead', key: 'numericIds', deprecated: 'Warning: "--numeric-owner" has been deprecated. Use --numeric-ids instead.' },
    { flags: '--numeric-ids', description: 'only consider numeric user and group identifiers' },
    { flags: '--same-chunker-params', description: 'override check of chunker parameters' },
    { flags: '--sort', description: 'sort the output lines by file path' },
    { flags: '--content-only', description: 'only compare differences in content (exclude metadata differences)' },
    { flags: '--json-lines', description: 'format output as JSON Lines' },
    ...EXCLUSION_OPTIONS,
  ],
  async handler(ctx, args) {
    const matcher = await pathMatcher(args.patternSources, args.paths);
    const { diffArchives } = await import('../../archive/diff.js'); // loaded on use, see index.ts
    const session = await openSession(ctx, args.location);
    const out = new OutputBuffer(ctx);
    try {
      const diffs = diffArchives(session, args.location.archive!, args.archive2, {
        filter: (path) => matcher.match(path), numericIds: args.numericIds, sameChunkerParams: args.sameChunkerParams,
        contentOnly: args.contentOnly, considerPartFiles: ctx.common.considerPartFiles, sort: args.sort, warnings: ctx.warnings,
      });
      for await (const diff of diffs) out.write(args.jsonLines ? `${pythonJsonDumps(diff, { sortKeys: true })}\n` : textLine(diff));
    } finally {
      out.flush();
      await session.close();
    }
    for (const pattern of matcher.getUnmatchedIncludePatterns()) {
      ctx.warnings.warn({ code: 'IncludePatternNeverMatchedWarning', message: `Include pattern '${pattern}' never matched.` });
    }
  },
});

/** borg's text form: the changes in a 19-wide column, then the path. Sizes are always decimal in borg's diff. */
function textLine({ path, changes }: PathDiff): string {
  return `${formatValue(changes.map(changeText).join(' '), '<19')} ${path}\n`;
}

function changeText(change: DiffChange): string {
  switch (change.type) {
    case 'added': return `added ${formatFileSize(change.size).padStart(13)}`;
    case 'removed': return `removed ${formatFileSize(change.size).padStart(11)}`;
    case 'modified':
      if (change.added === undefined || change.removed === undefined) return 'modified';
      return `${formatFileSize(change.added, { precision: 1, sign: true }).padStart(9)} ${formatFileSize(0 - change.removed, { precision: 1, sign: true }).padStart(9)}`;
    case 'owner': return `[${pyStr(change.old_user)}:${pyStr(change.old_group)} -> ${pyStr(change.new_user)}:${pyStr(change.new_group)}]`;
    case 'mode': return `[${change.old_mode} -> ${change.new_mode}]`;
    case 'ctime': return `[ctime: ${change.old_ctime} -> ${change.new_ctime}]`;
    case 'mtime': return `[mtime: ${change.old_mtime} -> ${change.new_mtime}]`;
    default: return change.type;
  }
}

/** Python's str() of an owner value (None for a name that was not stored). */
function pyStr(value: string | number | null): string {
  return value === null ? 'None' : String(value);
}
