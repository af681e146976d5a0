// The files cache (spec §7.3): what borg remembers about each regular file it backed up (inode,
// size, ctime or mtime, chunk ids), keyed by the id hash of its absolute path, so that an unchanged
// file is not read and chunked again. Rules are borg 1.2's: entries age by one per load and are
// dropped at BORG_FILES_CACHE_TTL; files seen in this run are kept only if their time is older
// than the newest one seen (coarse timestamps could hide a change made in the same tick).
import { FileIntegrityError } from '../format/errors.js';
import { encodeFsString } from '../format/surrogate-escape.js';
import type { IntegrityData } from '../format/integrity-file.js';
import type { LogSink } from '../progress.js';
import { UsageError } from '../errors.js';
import type { Env } from './paths.js';
import { CheckedFileReader, CheckedFileWriter } from './integrity-checked-file.js';
import { FilesCacheEncoder, FilesCacheFormatError, FilesCacheParser } from './files-cache-codec.js';
import { FilesCacheTable } from './files-cache-table.js';
import type { FilesCacheMode } from './files-cache-mode.js';

export { FILES_CACHE_MODE_DISABLED, FILES_CACHE_MODE_UI_DEFAULT, parseFilesCacheMode, type FilesCacheMode } from './files-cache-mode.js';

/** `files`, or `files.<BORG_FILES_CACHE_SUFFIX>` to keep separate caches for separate backup sets. */
export function filesCacheName(env: Env = process.env): string {
  const suffix = env['BORG_FILES_CACHE_SUFFIX'] ?? '';
  return suffix ? `files.${suffix}` : 'files';
}

/** BORG_FILES_CACHE_TTL: after how many backups without a file its entry is dropped (default 20). */
export function filesCacheTtl(env: Env = process.env): number {
  const text = env['BORG_FILES_CACHE_TTL'];
  if (text === undefined) return 20;
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new UsageError(`Invalid BORG_FILES_CACHE_TTL '${text}': not an integer`);
  return Number(text);
}

/**
 * The files cache key of `path`: id hash of the path joined to `cwd` like Python's os.path.join (an
 * absolute path stays as it is; nothing is normalised), in borg's surrogate-escaped bytes.
 */
export function filesCachePathHash(key: { idHash(data: Uint8Array): Buffer }, path: string, cwd = process.cwd()): Buffer {
  const joined = path.startsWith('/') ? path : cwd.endsWith('/') ? cwd + path : `${cwd}/${path}`;
  return key.idHash(encodeFsString(joined));
}

/** The stat fields the files cache compares; node's fs.BigIntStats fits. */
export interface FileStatLike {
  mode: number | bigint;
  ino: number | bigint;
  size: number | bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
}

export interface FileLookup {
  /** The path is in the files cache. */
  known: boolean;
  /** Its chunk ids if the file is unchanged (and every chunk still exists), else null. */
  chunkIds: Buffer[] | null;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
/** borg clamps stored times to [0, (2**31 - 1 - 48 h) s] (safe_ns). */
const MAX_NS = BigInt(2 ** 31 - 1 - 48 * 3600) * 1_000_000_000n;
const NEVER = (1n << 63n) - 1n;

function isRegular(st: FileStatLike): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFREG;
}

export class FilesCache {
  readonly table = new FilesCacheTable();
  /** Newest ctime/mtime memorized in this run; borg pins it to "never" at a commit that saw none. */
  #newestCmtime: bigint | null = null;

  constructor(readonly mode: FilesCacheMode) {}

  /**
   * Reads the files cache, every entry one backup older. A missing, damaged or invalid file is
   * reported and the run continues with an empty files cache (files are then read again), like borg.
   */
  static load(path: string, name: string, integrity: IntegrityData | undefined, mode: FilesCacheMode, log: LogSink): FilesCache {
    const cache = new FilesCache(mode);
    const parser = new FilesCacheParser((e) => {
      cache.table.set(e.pathHash, { age: e.age + 1, inode: e.inode, size: e.size, cmtime: e.cmtime }, e.chunkIds);
    });
    let reader: CheckedFileReader | undefined;
    try {
      reader = new CheckedFileReader(path, name, integrity);
      for (let block = reader.read(); block.length > 0; block = reader.read()) parser.feed(block);
      parser.end();
      reader.close();
      return cache;
    } catch (e) {
      reader?.abandon();
      const what = e instanceof FileIntegrityError ? 'is corrupted' : e instanceof FilesCacheFormatError ? 'seems invalid' : "can't be read";
      log.log('warning', `The files cache ${what}. [${(e as Error).message}]`);
      log.log('warning', 'Continuing without files cache - expect lower performance.');
      return new FilesCache(mode);
    }
  }

  /**
   * Whether `pathHash` is known and unchanged under this mode. On a hit the entry becomes current
   * (age 0) and takes the file's inode, so a one-time inode change (new file system, restore)
   * ignored by the mode does not make every later run with inode checks re-read everything.
   * `hasChunk` rejects hits whose chunks are gone from the repository.
   */
  knownAndUnchanged(pathHash: Uint8Array, st: FileStatLike, hasChunk?: (id: Buffer) => boolean): FileLookup {
    const mode = this.mode;
    if (!isRegular(st) || mode.includes('d') || mode.includes('r')) return { known: false, chunkIds: null };
    const r = this.table.find(pathHash);
    if (r < 0) return { known: false, chunkIds: null };
    const row = this.table.row(r);
    if (mode.includes('s') && row.size !== Number(st.size)) return { known: true, chunkIds: null };
    if (mode.includes('i') && row.inode !== BigInt(st.ino)) return { known: true, chunkIds: null };
    if (mode.includes('c') && row.cmtime !== st.ctimeNs) return { known: true, chunkIds: null };
    if (!mode.includes('c') && mode.includes('m') && row.cmtime !== st.mtimeNs) return { known: true, chunkIds: null };
    this.table.touch(r, 0, BigInt(st.ino));
    const ids = this.table.chunkIds(r);
    if (hasChunk && !ids.every(hasChunk)) return { known: true, chunkIds: null };
    return { known: true, chunkIds: ids };
  }

  /** Remembers a regular file backed up in this run with its chunk ids. */
  memorize(pathHash: Uint8Array, st: FileStatLike, chunkIds: readonly Uint8Array[]): void {
    if (!isRegular(st) || this.mode.includes('d')) return;
    // 'm' modes remember the mtime; the others (also 's', where borg 1.2.4 fails) the ctime.
    const raw = !this.mode.includes('c') && this.mode.includes('m') ? st.mtimeNs : st.ctimeNs;
    const cmtime = raw < 0n ? 0n : raw > MAX_NS ? MAX_NS : raw;
    this.table.set(pathHash, { age: 0, inode: BigInt(st.ino), size: Number(st.size), cmtime }, chunkIds);
    if (this.#newestCmtime === null || cmtime > this.#newestCmtime) this.#newestCmtime = cmtime;
  }

  /** Writes the entries worth keeping to `path` (stored under `name`) and returns their integrity data. */
  save(path: string, name: string, ttl: number, fileMode?: number): IntegrityData {
    this.#newestCmtime ??= NEVER;
    const newest = this.#newestCmtime;
    const t = this.table;
    const writer = new CheckedFileWriter(path, name, fileMode);
    try {
      const encoder = new FilesCacheEncoder((block) => writer.write(block));
      for (let r = 0; r < t.count; r++) {
        const row = t.row(r);
        if ((row.age === 0 && row.cmtime < newest) || (row.age > 0 && row.age < ttl)) {
          encoder.entry(t.pathHashView(r), row.age, row.inode, row.size, row.cmtime, t.chunkIdsView(r));
        }
      }
      encoder.end();
      return writer.commit();
    } catch (e) {
      writer.abort();
      throw e;
    }
  }
}
