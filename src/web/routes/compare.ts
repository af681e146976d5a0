// Across archives: search (scanning each archive's tree), the history of one path, the diff of two
// versions of a text file, and the diff of two archives (the library's `diff`, as borg-ts diff
// --json-lines reports it).
import { diffArchives } from '../../archive/diff.js';
import { fetchChunks, type ArchiveSource } from '../../archive/archive-reader.js';
import { isRegular } from '../../archive/item.js';
import { selectArchives } from '../../archive/archive-selection.js';
import type { DiffChange } from '../../archive/item-diff.js';
import { WebError } from '../errors.js';
import { archivePath, oneOf, optionalNumber, optionalTime, required } from '../http/request-params.js';
import { NO_ENTRY } from '../../archive/tree/index.js';
import { entryType, mtimeMs, searchTrees, type EntryType } from '../search.js';
import { archivesByTime } from '../repository-summary.js';
import { diffHunks } from '../text-diff.js';
import { isoFromMs, pending, repositoryOf, type Ctx } from './context.js';

const MAX_DIFF_BYTES = 2 * 1024 * 1024;
const MAX_ARCHIVE_DIFF = 10000;

/** Archive names in time order, optionally narrowed by a glob on their names. */
function archiveNames(source: ArchiveSource, glob: string | null): string[] {
  const ordered = archivesByTime(source);
  if (glob === null || glob === '') return ordered.map((a) => a.name);
  const selected = new Set(selectArchives(ordered, { glob }).map((a) => a.name));
  return ordered.filter((a) => selected.has(a.name)).map((a) => a.name);
}

export async function search(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  const q = ctx.url.searchParams;
  const query = {
    pattern: required(q, 'q'),
    mode: oneOf(q, 'mode', ['glob', 'regex'] as const, 'glob'),
    ignoreCase: q.get('icase') === '1',
    minSize: optionalNumber(q, 'minSize'),
    maxSize: optionalNumber(q, 'maxSize'),
    after: optionalTime(q, 'after'),
    before: optionalTime(q, 'before'),
    type: q.get('type') ? oneOf(q, 'type', ['file', 'dir', 'link', 'other'] as const, 'file') as EntryType : undefined,
    limit: Math.min(optionalNumber(q, 'limit') ?? 1000, 100000),
  };
  return repository.handle.read(async (source) => {
    const { trees, job } = await repository.allTrees(source, archiveNames(source, q.get('archives')));
    if (job !== undefined) return pending(ctx, job);
    const started = performance.now();
    const result = searchTrees(trees, query);
    return {
      ...result,
      hits: result.hits.map((h) => ({ ...h, mtime: isoFromMs(h.mtime) })),
      archives: Object.keys(result.perArchive),
      searched: trees.length,
      milliseconds: Math.round(performance.now() - started),
    };
  });
}

export async function history(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  const path = archivePath(required(ctx.url.searchParams, 'path'));
  return repository.handle.read(async (source) => {
    const names = archiveNames(source, ctx.url.searchParams.get('archives'));
    const { trees, job } = await repository.allTrees(source, names);
    if (job !== undefined) return pending(ctx, job);
    let previous: string | null = null;
    const versions = trees.map(({ archive, time, tree }) => {
      const entry = tree.find(path);
      const base = { archive, time: `${time}Z` };
      if (entry === NO_ENTRY || entry === tree.root || tree.isSynthetic(entry)) {
        const changed = previous !== null;
        previous = null;
        return { ...base, present: false, changed };
      }
      const r = tree.resolve(entry);
      const type = entryType(tree.mode(r));
      const size = tree.isDir(r) ? 0 : tree.size(r);
      const digest = tree.contentDigest(entry);
      const signature = `${type} ${size} ${digest}`;
      const changed = signature !== previous;
      previous = signature;
      return { ...base, present: true, changed, type, size, mtime: isoFromMs(mtimeMs(tree, entry)), digest };
    });
    return { path, versions };
  });
}

/** Contents of regular file `path` in archive `name`, for text diffs. */
async function fileText(ctx: Ctx, source: ArchiveSource, name: string, path: string): Promise<string | null> {
  const repository = repositoryOf(ctx);
  const lookup = await repository.tree(source, name);
  if (lookup.job !== undefined) throw new WebError(409, `Archive ${name} is still being indexed`);
  const entry = lookup.tree.find(path);
  if (entry === NO_ENTRY || entry === lookup.tree.root) return null;
  const item = await lookup.tree.item(entry);
  if (item === null || !isRegular(item)) throw new WebError(400, `Not a regular file in ${name}: ${path}`);
  const size = (item.chunks ?? []).reduce((s, c) => s + c.size, 0);
  if (size > MAX_DIFF_BYTES) throw new WebError(413, `${path} is too large to compare as text (more than ${MAX_DIFF_BYTES} bytes)`);
  const parts: Buffer[] = [];
  for await (const data of fetchChunks(source, (item.chunks ?? []).map((c) => c.id))) parts.push(data);
  const bytes = Buffer.concat(parts);
  try {
    if (bytes.includes(0)) throw new Error('binary');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new WebError(415, `${path} in ${name} is not a text file`);
  }
}

export async function fileDiff(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  const q = ctx.url.searchParams;
  const path = archivePath(required(q, 'path'));
  const from = required(q, 'from');
  const to = required(q, 'to');
  return repository.handle.read(async (source) => {
    for (const name of [from, to]) {
      const lookup = await repository.tree(source, name);
      if (lookup.job !== undefined) return pending(ctx, lookup.job);
    }
    const oldText = await fileText(ctx, source, from, path);
    const newText = await fileText(ctx, source, to, path);
    return { path, from, to, oldPresent: oldText !== null, newPresent: newText !== null, hunks: diffHunks(oldText ?? '', newText ?? '') };
  });
}

function changeJson(change: DiffChange): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change)) out[k] = typeof v === 'object' && v !== null ? String(v) : v;
  return out;
}

export async function archiveDiff(ctx: Ctx): Promise<unknown> {
  const repository = repositoryOf(ctx);
  const q = ctx.url.searchParams;
  const from = required(q, 'from');
  const to = required(q, 'to');
  const contentOnly = q.get('contentOnly') === '1';
  const limit = Math.min(optionalNumber(q, 'limit') ?? MAX_ARCHIVE_DIFF, MAX_ARCHIVE_DIFF);
  return repository.handle.read(async (source) => {
    const changes: Array<{ path: string; changes: Record<string, unknown>[] }> = [];
    let truncated = false;
    for await (const diff of diffArchives(source, from, to, { sort: true, contentOnly })) {
      if (changes.length >= limit) {
        truncated = true;
        break;
      }
      changes.push({ path: diff.path, changes: diff.changes.map(changeJson) });
    }
    return { from, to, changes, truncated };
  });
}
