// --exclude-caches and --exclude-if-present for recreate: the tags are looked for among the
// archive's items (not on the file system), and every tagged directory becomes an exclusion added
// after the user's patterns, as borg's recreate does (spec §5.4 for hard link slaves, whose
// content lives in their master item).
//
// A CACHEDIR.TAG counts only if it is a regular file starting with the cache tag signature; a tag
// stored as a hard link slave is read through its master, which may have any name, so a first
// pass over the archive collects the masters of such slaves.
import { fetchChunks, type ArchiveSource, type OpenedArchive } from '../archive-reader.js';
import { archiveItems } from '../archive-reader.js';
import { isRegular, type Item } from '../item.js';
import { FnmatchPattern, PathPrefixPattern, type Pattern } from '../patterns/pattern.js';
import type { PatternMatcher } from '../patterns/index.js';

const CACHE_TAG_NAME = 'CACHEDIR.TAG';
const CACHE_TAG_SIGNATURE = Buffer.from('Signature: 8a477f597d28d172789f06886806bc55');

export interface TagOptions {
  excludeCaches: boolean;
  excludeIfPresent: readonly string[];
  keepExcludeTags: boolean;
}

/** Python's os.path.split for archive paths. */
function splitPath(path: string): [dir: string, name: string] {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return ['', path];
  const dir = path.slice(0, slash).replace(/\/+$/, '');
  return [dir === '' ? path.slice(0, slash + 1) : dir, path.slice(slash + 1)];
}

const baseName = (path: string): string => splitPath(path)[1];

/** Whether `item`'s content starts with the cache tag signature. */
async function hasCacheSignature(source: ArchiveSource, item: Item): Promise<boolean> {
  const parts: Buffer[] = [];
  let length = 0;
  const ids = (item.chunks ?? []).map((c) => c.id);
  // Only the first chunks holding the signature's bytes are read.
  for await (const data of fetchChunks(source, ids.slice(0, CACHE_TAG_SIGNATURE.length))) {
    parts.push(data);
    length += data.length;
    if (length >= CACHE_TAG_SIGNATURE.length) break;
  }
  const head = Buffer.concat(parts).subarray(0, CACHE_TAG_SIGNATURE.length);
  return head.equals(CACHE_TAG_SIGNATURE);
}

/** Adds the exclusions for the tagged directories of `archive` to `matcher`. */
export async function addTaggedDirExclusions(source: ArchiveSource, archive: OpenedArchive, matcher: PatternMatcher, options: TagOptions): Promise<void> {
  const keepTags: Pattern[] = [];
  const taggedDirs: Pattern[] = [];
  const exclude = (dir: string, tag: Item): void => {
    if (options.keepExcludeTags) {
      // The directory and its tag stay; everything else below the directory goes.
      keepTags.push(new PathPrefixPattern(tag.path, false));
      taggedDirs.push(new FnmatchPattern(`${dir}/`, false));
    } else {
      taggedDirs.push(new PathPrefixPattern(dir, false));
    }
  };

  // Master paths of CACHEDIR.TAG hard link slaves, and later their items.
  const masters = new Map<string, Item | null>();
  if (options.excludeCaches) {
    for await (const item of archiveItems(source, archive, { filter: (i) => baseName(i.path) === CACHE_TAG_NAME })) {
      if (isRegular(item) && item.chunks === undefined && item.source !== undefined) masters.set(item.source, null);
    }
  }
  const wanted = (item: Item): boolean => baseName(item.path) === CACHE_TAG_NAME || matcher.match(item.path);
  for await (const item of archiveItems(source, archive, { filter: wanted })) {
    if (masters.has(item.path)) masters.set(item.path, item);
    const [dir, name] = splitPath(item.path);
    if (options.excludeIfPresent.includes(name)) {
      exclude(dir, item);
    } else if (options.excludeCaches && name === CACHE_TAG_NAME && isRegular(item)) {
      const content = item.chunks !== undefined ? item : masters.get(item.source ?? '') ?? null;
      // A slave whose master was not stored cannot be read: it tags nothing.
      if (content !== null && await hasCacheSignature(source, content)) exclude(dir, item);
    }
  }
  matcher.add(keepTags, 'Include');
  matcher.add(taggedDirs, 'ExcludeNoRecurse');
}
