// The archive browser: directory listings and path lookups from the archive's tree (no
// repository access once it is built), item details read from the item stream, file contents
// (preview, download) and whole directories as a streamed tar or zip.
import { buildMatcher } from '../../archive/patterns/index.js';
import { exportTar } from '../../archive/export-tar.js';
import { fetchChunks } from '../../archive/archive-reader.js';
import { fileMode } from '../../archive/file-mode.js';
import { isRegular, isSymlink, type Item } from '../../archive/item.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import { WebError } from '../errors.js';
import type { ArchiveTree } from '../../archive/tree/index.js';
import { entryType, mtimeMs } from '../search.js';
import { archivePath, oneOf, optionalNumber } from '../http/request-params.js';
import { CONTENT_CSP, disposition, responseSink } from '../http/response.js';
import { HANDLED } from '../http/router.js';
import { zipDirectory } from '../directory-zip.js';
import { isoFromMs, isoFromNs, pending, repositoryOf, type Ctx } from './context.js';

const PREVIEW_BYTES = 256 * 1024;
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp', ico: 'image/x-icon', svg: 'image/svg+xml', avif: 'image/avif',
};

function imageType(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : IMAGE_TYPES[name.slice(dot + 1).toLowerCase()];
}

/** The archive's tree, or (202) the job building it. */
async function treeOf(ctx: Ctx): Promise<ArchiveTree | typeof HANDLED> {
  // Bad paths are refused before anything else happens.
  archivePath(ctx.url.searchParams.get('path'));
  const repository = repositoryOf(ctx);
  const name = ctx.params['archive']!;
  const entry = await repository.handle.archiveEntry(name);
  const tree = repository.trees.load(entry.id.toString('hex'));
  if (tree !== null) return tree;
  return pending(ctx, repository.buildTrees([name]));
}

/** What a listing shows of entry `e` (a hard link: with the attributes of the file it links to). */
function entryJson(tree: ArchiveTree, e: number, path: string) {
  const r = tree.resolve(e);
  const implicit = tree.isSynthetic(e);
  const dir = tree.isDir(r);
  return {
    name: tree.nameText(e), path, type: entryType(tree.mode(r)), mode: fileMode(tree.mode(r)), size: dir ? 0 : tree.size(r),
    mtime: implicit ? null : isoFromMs(mtimeMs(tree, e)),
    children: dir ? tree.childCount(r) : 0,
    implicit, hardlink: tree.isLink(e),
  };
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function listDirectory(ctx: Ctx): Promise<unknown> {
  const tree = await treeOf(ctx);
  if (tree === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const archive = ctx.params['archive']!;
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(tree, archive, path);
  if (!tree.isDir(entry)) throw new WebError(400, `Not a directory: ${path}`);
  const sort = oneOf(ctx.url.searchParams, 'sort', ['name', 'size', 'mtime', 'type'] as const, 'name');
  const descending = oneOf(ctx.url.searchParams, 'order', ['asc', 'desc'] as const, 'asc') === 'desc';
  const offset = optionalNumber(ctx.url.searchParams, 'offset') ?? 0;
  const limit = Math.min(optionalNumber(ctx.url.searchParams, 'limit') ?? 1000, 10000);
  // Directories first, then the chosen key, then the name (as bytes); keys read once per entry.
  const rows = [...tree.children(entry)].map((e) => {
    const r = tree.resolve(e);
    const value = sort === 'size' ? tree.size(r) : sort === 'mtime' ? tree.mtimeNs(r) : sort === 'type' ? tree.mode(r) & 0o170000 : 0;
    return { e, dir: tree.isDir(r) ? 1 : 0, value, name: tree.name(e) };
  });
  const key = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
    typeof a.value === 'bigint' ? compareBig(a.value, b.value as bigint) : a.value - (b.value as number);
  rows.sort((a, b) => b.dir - a.dir || (descending ? key(b, a) : key(a, b)) || (descending && sort === 'name' ? b.name.compare(a.name) : a.name.compare(b.name)));
  const prefix = path === '' ? '' : `${path}/`;
  return {
    archive, path, total: rows.length, offset, limit,
    entries: rows.slice(offset, offset + limit).map(({ e }) => entryJson(tree, e, prefix + tree.nameText(e))),
  };
}

function itemJson(item: Item | null, tree: ArchiveTree, entry: number, path: string) {
  const base = entry === tree.root ? { name: '', path: '', type: 'dir', mode: 'drwxr-xr-x', size: 0, mtime: null, children: tree.childCount(tree.root), implicit: true, hardlink: false } : entryJson(tree, entry, path);
  if (item === null) return { ...base, item: null };
  return {
    ...base,
    item: {
      mode: fileMode(item.mode), modeNumber: item.mode, user: item.user ?? null, group: item.group ?? null, uid: item.uid ?? null, gid: item.gid ?? null,
      mtime: isoFromNs(item.mtime), atime: isoFromNs(item.atime), ctime: isoFromNs(item.ctime), birthtime: isoFromNs(item.birthtime),
      size: item.size ?? null,
      source: item.source ?? null,
      linkTarget: isSymlink(item) ? item.source ?? '' : null,
      hardlinkMaster: item.hardlinkMaster ?? null,
      rdev: item.rdev ?? null,
      bsdflags: item.bsdflags ?? null,
      chunkCount: item.chunks?.length ?? 0,
      chunks: (item.chunks ?? []).slice(0, 200).map((c) => ({ id: c.id.toString('hex'), size: c.size, csize: c.csize })),
      xattrs: [...(item.xattrs ?? new Map<string, Buffer | null>())].map(([name, value]) => xattrJson(name, value)),
      acl: { access: item.aclAccess?.toString('utf8') ?? null, default: item.aclDefault?.toString('utf8') ?? null },
    },
  };
}

function xattrJson(name: string, value: Buffer | null) {
  const raw = value ?? Buffer.alloc(0);
  const text = decodeFsBytes(raw);
  const printable = !/[\x00-\x08\x0e-\x1f\udc80-\udcff]/.test(text);
  return { name: decodeFsBytes(Buffer.from(name, 'latin1')), value: printable ? text : raw.toString('base64'), encoding: printable ? 'text' : 'base64' };
}

export async function itemDetails(ctx: Ctx): Promise<unknown> {
  const tree = await treeOf(ctx);
  if (tree === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(tree, ctx.params['archive']!, path);
  // The tree reads the item through its item source (a shared-lock read of the repository); a
  // hard link shows its own item, which names the file it links to.
  return itemJson(await tree.ownItem(entry), tree, entry, path);
}

/** Runs `fn` with the item holding the contents of the file at `path` (a hard link: its file's) and the file's name. */
async function withFile<T>(ctx: Ctx, tree: ArchiveTree, fn: (item: Item, run: { source: Parameters<typeof fetchChunks>[0]; name: string }) => Promise<T>): Promise<T> {
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(tree, ctx.params['archive']!, path);
  const item = await tree.item(entry);
  if (item === null || !isRegular(item)) throw new WebError(400, `Not a regular file: ${path}`);
  const name = path.slice(path.lastIndexOf('/') + 1);
  return repository.handle.read((source) => fn(item, { source, name }));
}

export async function preview(ctx: Ctx): Promise<unknown> {
  const tree = await treeOf(ctx);
  if (tree === HANDLED) return HANDLED;
  return withFile(ctx, tree, async (item, { source, name }) => {
    const size = item.size ?? (item.chunks ?? []).reduce((s, c) => s + c.size, 0);
    const image = imageType(name);
    if (image !== undefined) return { kind: 'image', mime: image, size };
    const parts: Buffer[] = [];
    let length = 0;
    for await (const data of fetchChunks(source, (item.chunks ?? []).map((c) => c.id))) {
      parts.push(data);
      length += data.length;
      if (length >= PREVIEW_BYTES) break;
    }
    const head = Buffer.concat(parts).subarray(0, PREVIEW_BYTES);
    const cut = utf8Boundary(head, length > PREVIEW_BYTES || size > PREVIEW_BYTES);
    const text = head.subarray(0, cut);
    if (text.includes(0) || !isUtf8(text)) return { kind: 'binary', size };
    return { kind: 'text', size, text: text.toString('utf8'), truncated: size > cut };
  });
}

/** Where to cut `data` so that no UTF-8 sequence is split (when it was truncated). */
function utf8Boundary(data: Buffer, truncated: boolean): number {
  if (!truncated) return data.length;
  let end = data.length;
  let back = 0;
  while (end > 0 && back < 4 && (data[end - 1]! & 0xc0) === 0x80) {
    end--;
    back++;
  }
  return end > 0 && data[end - 1]! >= 0xc0 ? end - 1 : data.length;
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

export async function content(ctx: Ctx): Promise<unknown> {
  const tree = await treeOf(ctx);
  if (tree === HANDLED) return HANDLED;
  const inline = ctx.url.searchParams.get('inline') === '1';
  return withFile(ctx, tree, async (item, { source, name }) => {
    const size = item.size ?? (item.chunks ?? []).reduce((s, c) => s + c.size, 0);
    const type = inline ? imageType(name) ?? 'text/plain; charset=utf-8' : 'application/octet-stream';
    ctx.res.writeHead(200, {
      'Content-Type': type, 'Content-Length': size, 'Content-Disposition': disposition(inline ? 'inline' : 'attachment', name),
      'Content-Security-Policy': CONTENT_CSP, 'Cache-Control': 'private, max-age=3600',
    });
    if (ctx.req.method === 'HEAD') {
      ctx.res.end();
      return HANDLED;
    }
    const abort = new AbortController();
    const sink = responseSink(ctx.res, abort);
    for await (const data of fetchChunks(source, (item.chunks ?? []).map((c) => c.id))) await sink(data);
    ctx.res.end();
    return HANDLED;
  });
}

/** A directory (or the whole archive) as a tar (borg's export-tar format) or zip stream. */
export async function downloadDirectory(ctx: Ctx): Promise<unknown> {
  const tree = await treeOf(ctx);
  if (tree === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const format = oneOf(ctx.url.searchParams, 'format', ['tar', 'zip'] as const, 'tar');
  const archiveName = ctx.params['archive']!;
  const entry = repository.entry(tree, archiveName, path);
  if (!tree.isDir(entry)) throw new WebError(400, `Not a directory: ${path}`);
  const base = path === '' ? archiveName : path.slice(path.lastIndexOf('/') + 1);
  return repository.handle.read(async (source) => {
    const archive = await repository.handle.archive(source, archiveName);
    ctx.res.writeHead(200, {
      'Content-Type': format === 'tar' ? 'application/x-tar' : 'application/zip',
      'Content-Disposition': disposition('attachment', `${base}.${format}`), 'Cache-Control': 'no-store',
    });
    const abort = new AbortController();
    const sink = responseSink(ctx.res, abort);
    // Paths in the download start with the directory's own name.
    const strip = path === '' ? 0 : path.split('/').length - 1;
    if (format === 'tar') {
      await exportTar(source, archive, sink, { ...(path === '' ? {} : { matcher: buildMatcher([], [path]) }), stripComponents: strip, signal: abort.signal });
    } else {
      await zipDirectory(source, archive, path, sink, abort.signal);
    }
    ctx.res.end();
    return HANDLED;
  });
}
