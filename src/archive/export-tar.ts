// `export-tar`: an archive (or the items PATHs and patterns select) as a GNU tar stream, the same
// bytes borg's export-tar writes. Regular files carry their contents, hard link slaves become tar
// hard links to their master, symlinks, directories, fifos and devices are plain members; owner
// names and ids, permission bits and the mtime (whole seconds) are kept. xattrs, ACLs, flags,
// atime and ctime have no place in the GNU format and are left out, as in borg.
//
// When only part of the archive is exported, a hard link slave whose master is not exported gets
// the master's contents itself, and later slaves of the group link to it.
import { encodeFsString } from '../format/surrogate-escape.js';
import { PercentProgress, type ProgressSink, type WarningSink } from '../progress.js';
import { archiveItems, type ArchiveSource } from './archive-reader.js';
import type { LoadedArchiveMeta } from './archive-meta.js';
import { BorgError } from '../errors.js';
import { removeSurrogates } from './display-text.js';
import { codecOpener, readChunks } from './extract/chunk-reader.js';
import { isBlk, isChr, isDir, isFifo, isHardlinkSlave, isRegular, isSymlink, type ChunkRef, type Item } from './item.js';
import type { PatternMatcher } from './patterns/index.js';
import { encodeGnuHeader, tarTrailer, TarType, type TarHeaderFields } from './tar/tar-header.js';

export interface ExportTarOptions {
  /** Selects items (PATHs and patterns); default: all. */
  matcher?: PatternMatcher;
  /** Leading path components to remove; items with none left are skipped. */
  stripComponents?: number;
  /** Also export the `.borg_part_N` items of checkpoints. */
  considerPartFiles?: boolean;
  /** Called with the archived path of each exported item (--list). */
  onItem?: (path: string) => void;
  /** Receives "unsupported file type" and "never matched" warnings. */
  warnings?: WarningSink;
  /** Percent of content bytes written; costs one more pass over the items. */
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface ExportTarResult {
  items: number;
  warnings: number;
}

/** Receives the tar stream; may wait (backpressure). */
export type TarSink = (data: Buffer) => Promise<void> | void;

/** Linux's major()/minor() of a device number. */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function strip(path: string, count: number): string {
  return count ? path.split('/').slice(count).join('/') : path;
}

function chunkSize(chunks: readonly ChunkRef[]): number {
  return chunks.reduce((sum, c) => sum + c.size, 0);
}

/** Writes the tar stream of `archive`'s selected items to `sink`. */
export async function exportTar(source: ArchiveSource, archive: LoadedArchiveMeta, sink: TarSink, options: ExportTarOptions = {}): Promise<ExportTarResult> {
  const stripCount = options.stripComponents ?? 0;
  const matcher = options.matcher;
  const partial = (matcher !== undefined && !matcher.empty()) || stripCount !== 0;
  // Partial exports: masters left out (their chunks), and where their first exported slave went.
  const masters = new Map<string, { chunks: ChunkRef[] | null; linkTo: string | null }>();
  const result: ExportTarResult = { items: 0, warnings: 0 };
  const warn = (code: string, message: string) => {
    result.warnings += 1;
    options.warnings?.warn({ code, message });
  };
  const selects = (item: Item): boolean => {
    const matched = (matcher === undefined || matcher.match(item.path)) && strip(item.path, stripCount) !== '';
    const hardlinkable = isRegular(item) || isFifo(item) || isChr(item) || isBlk(item);
    if (partial && !matched && hardlinkable && item.hardlinkMaster !== false && item.source === undefined) {
      masters.set(item.path, { chunks: item.chunks ?? null, linkTo: null });
    }
    return matched;
  };
  const items = () => archiveItems(source, archive, { considerPartFiles: options.considerPartFiles ?? false, filter: selects });

  let progress: PercentProgress | null = null;
  if (options.progress) {
    let total = 0;
    for await (const item of items()) total += item.size ?? chunkSize(item.chunks ?? masters.get(item.source ?? '')?.chunks ?? []);
    masters.clear();
    progress = new PercentProgress(options.progress, { total, msgid: 'extract', step: 0.1, format: (p, info) => `${p.toFixed(1).padStart(5)}% Processing: ${info?.[0] ?? ''}` });
  }

  // Headers and small files are gathered into larger writes (one system call per piece is slow).
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await sink(data);
  };
  const write = async (data: Buffer) => {
    written += data.length;
    pending.push(data);
    pendingBytes += data.length;
    if (pendingBytes >= 1 << 18) await flush();
  };
  const openChunk = codecOpener(source.codec);
  let processed = 0;
  const writeContent = async (item: Item, chunks: ChunkRef[], size: number) => {
    let left = size;
    const info = [removeSurrogates(item.path)];
    for await (const data of readChunks({ repository: source.repository, openChunk }, chunks.map((c) => c.id))) {
      options.signal?.throwIfAborted();
      const piece = data.length > left ? data.subarray(0, left) : data;
      if (piece.length > 0) await write(piece);
      left -= piece.length;
      processed += piece.length;
      progress?.show(processed, info);
      if (left === 0) break;
    }
    if (left > 0) throw new BorgError(`Cannot export ${removeSurrogates(item.path)}: its chunks hold less data than its size`, { code: 'Error' });
    const tail = size % 512;
    if (tail) await write(Buffer.alloc(512 - tail));
  };

  for await (const item of items()) {
    options.signal?.throwIfAborted();
    const originalPath = item.path;
    const path = strip(originalPath, stripCount);
    const fields: TarHeaderFields = {
      name: encodeFsString(path), mode: item.mode & 0o7777, uid: item.uid ?? 0, gid: item.gid ?? 0, size: 0,
      mtime: Math.trunc(Number(item.mtime) / 1e9), type: TarType.REG, linkname: Buffer.alloc(0),
      uname: encodeFsString(item.user ?? ''), gname: encodeFsString(item.group ?? ''), devmajor: 0, devminor: 0,
    };
    let content: ChunkRef[] | null = null;
    if (isRegular(item)) {
      if (isHardlinkSlave(item)) {
        const target = strip(item.source!, stripCount);
        const master = partial ? masters.get(item.source!) : undefined;
        const linkTo = master === undefined ? target : master.linkTo;
        if (linkTo) {
          fields.type = TarType.LNK;
          fields.linkname = encodeFsString(linkTo);
        } else if (master!.chunks !== null) {
          // The master was not exported: this slave carries the contents, later ones link here.
          content = master!.chunks;
          masters.set(item.source!, { chunks: null, linkTo: path });
        }
      } else {
        content = item.chunks ?? [];
      }
      if (content !== null) fields.size = content === item.chunks && item.size !== undefined ? item.size : chunkSize(content);
    } else if (isDir(item)) {
      fields.type = TarType.DIR;
    } else if (isSymlink(item)) {
      fields.type = TarType.SYM;
      fields.linkname = encodeFsString(item.source ?? '');
    } else if (isBlk(item) || isChr(item)) {
      fields.type = isBlk(item) ? TarType.BLK : TarType.CHR;
      const { major, minor } = deviceNumbers(item.rdev ?? 0);
      fields.devmajor = major;
      fields.devminor = minor;
    } else if (isFifo(item)) {
      fields.type = TarType.FIFO;
    } else {
      warn('BorgWarning', `${removeSurrogates(path)}: unsupported file type ${(item.mode & 0o170000).toString(8)} for tar export`);
      continue;
    }
    options.onItem?.(originalPath);
    result.items += 1;
    await write(encodeGnuHeader(fields));
    if (content !== null && fields.size > 0) await writeContent(item, content, fields.size);
  }
  progress?.finish();
  await write(tarTrailer(written));
  await flush();
  for (const pattern of matcher?.getUnmatchedIncludePatterns() ?? []) warn('IncludePatternNeverMatchedWarning', `Include pattern '${pattern}' never matched.`);
  return result;
}
