// The archive browser: directory listings and path lookups from the archive's item index (no
// repository access once it is built), item details read from the item stream, file contents
// (preview, download) and whole directories as a streamed tar or zip.
import { buildMatcher } from '../../archive/patterns/index.js';
import { exportTar } from '../../archive/export-tar.js';
import { fetchChunks } from '../../archive/archive-reader.js';
import { fileMode } from '../../archive/file-mode.js';
import { isRegular, isSymlink, type Item } from '../../archive/item.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import { WebError } from '../errors.js';
import { FLAG_HARDLINK, FLAG_IMPLICIT, type ArchiveIndex } from '../item-index/index-format.js';
import { entryType } from '../item-index/search.js';
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

/** The archive's index, or (202) the job building it. */
async function indexOf(ctx: Ctx): Promise<ArchiveIndex | typeof HANDLED> {
  // Bad paths are refused before anything else happens.
  archivePath(ctx.url.searchParams.get('path'));
  const repository = repositoryOf(ctx);
  const name = ctx.params['archive']!;
  const entry = await repository.handle.archiveEntry(name);
  const index = repository.indexes.load(entry.id.toString('hex'));
  if (index !== null) return index;
  return pending(ctx, repository.buildIndexes([name]));
}

function entryJson(index: ArchiveIndex, e: number, path: string) {
  const { cols } = index;
  return {
    name: index.name(e), path, type: entryType(cols.mode[e]!), mode: fileMode(cols.mode[e]!), size: cols.size[e]!,
    mtime: cols.flags[e]! & FLAG_IMPLICIT ? null : isoFromMs(cols.mtime[e]!),
    children: index.isDir(e) ? cols.childCount[e]! : 0,
    implicit: (cols.flags[e]! & FLAG_IMPLICIT) !== 0, hardlink: (cols.flags[e]! & FLAG_HARDLINK) !== 0,
  };
}

export async function listDirectory(ctx: Ctx): Promise<unknown> {
  const index = await indexOf(ctx);
  if (index === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(index, path);
  if (entry >= 0 && !index.isDir(entry)) throw new WebError(400, `Not a directory: ${path}`);
  const sort = oneOf(ctx.url.searchParams, 'sort', ['name', 'size', 'mtime', 'type'] as const, 'name');
  const descending = oneOf(ctx.url.searchParams, 'order', ['asc', 'desc'] as const, 'asc') === 'desc';
  const offset = optionalNumber(ctx.url.searchParams, 'offset') ?? 0;
  const limit = Math.min(optionalNumber(ctx.url.searchParams, 'limit') ?? 1000, 10000);
  const { start, count } = index.children(entry);
  const { cols } = index;
  // Children are stored sorted by name; directories first, then the chosen key.
  const order = Array.from({ length: count }, (_, i) => start + i);
  const dirFirst = (a: number, b: number) => Number(index.isDir(b)) - Number(index.isDir(a));
  const key = sort === 'size' ? (a: number, b: number) => cols.size[a]! - cols.size[b]!
    : sort === 'mtime' ? (a: number, b: number) => cols.mtime[a]! - cols.mtime[b]!
      : sort === 'type' ? (a: number, b: number) => (cols.mode[a]! & 0o170000) - (cols.mode[b]! & 0o170000)
        : (a: number, b: number) => a - b;
  order.sort((a, b) => dirFirst(a, b) || (descending ? key(b, a) : key(a, b)) || a - b);
  const prefix = path === '' ? '' : `${path}/`;
  return {
    archive: index.header.archive, path, total: count, offset, limit,
    entries: order.slice(offset, offset + limit).map((e) => entryJson(index, e, prefix + index.name(e))),
  };
}

function itemJson(item: Item | null, index: ArchiveIndex, entry: number, path: string) {
  const base = entry < 0 ? { name: '', path: '', type: 'dir', mode: 'drwxr-xr-x', size: 0, mtime: null, children: index.roots().count, implicit: true, hardlink: false } : entryJson(index, entry, path);
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
  const index = await indexOf(ctx);
  if (index === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(index, path);
  return repository.handle.read(async (source) => {
    const archive = await repository.handle.archive(source, ctx.params['archive']!);
    return itemJson(await repository.item(source, archive, index, entry), index, entry, path);
  });
}

/** Runs `fn` with the item holding the contents of the file at `path`. */
async function withFile<T>(ctx: Ctx, index: ArchiveIndex, fn: (item: Item, run: { source: Parameters<typeof fetchChunks>[0] }) => Promise<T>): Promise<T> {
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const entry = repository.entry(index, path);
  return repository.handle.read(async (source) => {
    const archive = await repository.handle.archive(source, ctx.params['archive']!);
    const item = await repository.contentItem(source, archive, index, entry);
    if (item === null || !isRegular(item)) throw new WebError(400, `Not a regular file: ${path}`);
    return fn(item, { source });
  });
}

export async function preview(ctx: Ctx): Promise<unknown> {
  const index = await indexOf(ctx);
  if (index === HANDLED) return HANDLED;
  return withFile(ctx, index, async (item, { source }) => {
    const name = item.path.slice(item.path.lastIndexOf('/') + 1);
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
  const index = await indexOf(ctx);
  if (index === HANDLED) return HANDLED;
  const inline = ctx.url.searchParams.get('inline') === '1';
  return withFile(ctx, index, async (item, { source }) => {
    const name = item.path.slice(item.path.lastIndexOf('/') + 1);
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
  const index = await indexOf(ctx);
  if (index === HANDLED) return HANDLED;
  const repository = repositoryOf(ctx);
  const path = archivePath(ctx.url.searchParams.get('path'));
  const format = oneOf(ctx.url.searchParams, 'format', ['tar', 'zip'] as const, 'tar');
  const entry = repository.entry(index, path);
  if (entry >= 0 && !index.isDir(entry)) throw new WebError(400, `Not a directory: ${path}`);
  const archiveName = ctx.params['archive']!;
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
