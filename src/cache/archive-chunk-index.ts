// One archive's contribution to the chunk index (spec §7.4): its metadata object, its item-stream
// chunks and every chunk its items reference, each counted once per reference. Cache sync keeps
// these per-archive indexes in `chunks.archive.d/` as "compact" hash index files
// (`<archive id hex>.compact` + `.compact.integrity`), so an archive is fetched and parsed once.
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveTAMInvalid, unpackAndVerify, type Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import { FileIntegrityError, IndexCorrupted } from '../format/errors.js';
import { ChunkIndex, KEY_SIZE } from '../format/hashindex.js';
import { encodeHashIndexHeader } from '../format/hashindex-header.js';
import { integrityToJson, parseIntegrityJson, type IntegrityData } from '../format/integrity-file.js';
import { isMap } from '../format/msgpack.js';
import { saveFile } from '../platform/save-file.js';
import type { LogSink, WarningSink } from '../progress.js';
import type { Repository } from '../repository/repository.js';
import { CacheSyncError } from './cache-errors.js';
import { readChunkIndexFile, writeHashIndexFile } from './integrity-checked-file.js';
import { ItemChunkScanner, ItemScanError } from './item-chunk-scanner.js';

export interface ArchiveSource {
  repository: Repository;
  /** Opens objects (MAC, decompression, id check). */
  codec: ObjectCodec;
  key: Key;
  log: LogSink;
}

/**
 * Adds the references of archive `id` to `index`: the metadata object (1, plaintext length,
 * stored length), each item-stream chunk likewise, then the chunk lists of its items as they are
 * read (borg's order, so the table comes out as borg's).
 *
 * The archive TAM is checked but an invalid one does not stop the count: the manifest, itself
 * authenticated, lists the archive, and under-counting its references would let a later delete
 * free chunks it still uses. borg 1.2.4 does not check at all; borg >= 1.2.5 refuses such archives
 * (until `borg upgrade --archives-tam`), which is why we warn.
 */
export async function addArchiveReferences(src: ArchiveSource, id: Buffer, name: string, index: ChunkIndex): Promise<void> {
  const envelope = await src.repository.get(id);
  const data = src.codec.unpack(id, envelope);
  index.add(id, 1, data.length, envelope.length);
  const items = archiveItemIds(src, data, name);
  const scanner = new ItemChunkScanner(index);
  let i = 0;
  for await (const itemEnvelope of src.repository.getMany(items)) {
    const itemId = items[i++]!;
    const plain = src.codec.unpack(itemId, itemEnvelope);
    index.add(itemId, 1, plain.length, itemEnvelope.length);
    try {
      scanner.feed(plain);
    } catch (e) {
      if (e instanceof ItemScanError) throw new CacheSyncError(name, e.message);
      throw e;
    }
  }
}

function archiveItemIds(src: ArchiveSource, data: Buffer, name: string): Buffer[] {
  let unpacked;
  try {
    unpacked = unpackAndVerify(src.key, data, 'archive', { required: false });
  } catch (e) {
    if (!(e instanceof ArchiveTAMInvalid)) throw e;
    src.log.log('warning', `Archive '${name}' has an invalid archive TAM; its chunks are counted anyway (borg >= 1.2.5 would refuse it)`);
    unpacked = unpackAndVerify(src.key, data, 'archive', { required: false, ignoreInvalidArchiveTam: true });
  }
  const meta = unpacked.value;
  if (!isMap(meta) || meta['version'] !== 1) throw new CacheSyncError(name, 'unknown archive metadata version');
  const items = meta['items'];
  if (!Array.isArray(items) || !items.every((x) => Buffer.isBuffer(x) && x.length === KEY_SIZE)) throw new CacheSyncError(name, 'archive metadata has no list of item ids');
  return items as Buffer[];
}

/** The bytes of `index` as a compact hash index: no empty buckets, entries in bucket order. */
export function* compactIndexParts(index: ChunkIndex): IterableIterator<Uint8Array> {
  const n = index.count;
  const bucket = KEY_SIZE + ChunkIndex.VALUE_SIZE;
  yield encodeHashIndexHeader({ numEntries: n, numBuckets: Math.max(n, 1), keySize: KEY_SIZE, valueSize: ChunkIndex.VALUE_SIZE });
  if (n === 0) {
    // borg keeps one EMPTY bucket in a compacted empty index.
    const empty = new Uint8Array(bucket);
    empty.fill(0xff, KEY_SIZE, KEY_SIZE + 4);
    yield empty;
    return;
  }
  const table = index.table;
  const words = new Uint32Array(table.buffer);
  const wordsPerBucket = bucket / 4;
  const out = new Uint32Array(wordsPerBucket * 4096);
  let fill = 0;
  for (let s = table.nextUsedSlot(0); s >= 0; s = table.nextUsedSlot(s + 1)) {
    out.set(words.subarray(s * wordsPerBucket, (s + 1) * wordsPerBucket), fill);
    fill += wordsPerBucket;
    if (fill === out.length) {
      yield new Uint8Array(out.buffer, 0, fill * 4);
      fill = 0;
    }
  }
  if (fill > 0) yield new Uint8Array(out.buffer, 0, fill * 4);
}

/** The per-archive index files of one cache (`chunks.archive.d/`). */
export class ArchiveIndexDir {
  constructor(readonly path: string, private readonly log: LogSink, private readonly warnings: WarningSink) {}

  /** Whether per-archive indexes are kept: a plain file of that name switches caching off (borg's escape hatch). */
  enabled(): boolean {
    try {
      return statSync(this.path).isDirectory();
    } catch {
      return false;
    }
  }

  /** Hex ids of the archives that have an index file (compact or legacy). */
  cachedIds(): Set<string> {
    const ids = new Set<string>();
    for (const name of readdirSync(this.path)) {
      const hex = name.length === 64 ? name : name.length === 72 && name.endsWith('.compact') ? name.slice(0, 64) : null;
      if (hex !== null && /^[0-9a-fA-F]{64}$/.test(hex)) ids.add(hex.toLowerCase());
    }
    return ids;
  }

  /**
   * The cached index of an archive, or null when there is none or it is damaged (then it is
   * removed, reported, and the caller builds it again). A legacy non-compact file is converted.
   */
  read(idHex: string, archiveName: string): ChunkIndex | null {
    const compact = join(this.path, `${idHex}.compact`);
    const legacy = join(this.path, idHex);
    try {
      if (existsSync(compact)) {
        const index = this.#readFile(compact, `${idHex}.compact`, true);
        this.#unlink(legacy);
        return index;
      }
      if (!existsSync(legacy)) return null;
      const index = this.#readFile(legacy, idHex, false);
      this.log.log('debug', `Found non-compact index for ${archiveName}, converting to compact.`);
      this.remove(idHex);
      this.write(idHex, index);
      return index;
    } catch (e) {
      if (!(e instanceof FileIntegrityError || e instanceof IndexCorrupted)) throw e;
      this.log.log('error', `Cached archive chunk index of ${archiveName} is corrupted: ${e.message}`);
      this.warnings.warn({ code: 'BorgWarning', message: `Cached archive chunk index of ${archiveName} was corrupted and is rebuilt` });
      this.remove(idHex);
      return null;
    }
  }

  /** Stores an archive's index compactly; a failure only costs a rebuild next time, so it is reported, not thrown. */
  write(idHex: string, index: ChunkIndex): void {
    const name = `${idHex}.compact`;
    const path = join(this.path, name);
    try {
      writeHashIndexFile(path, name, compactIndexParts(index), {
        beforeRename: (integrity) => saveFile(`${path}.integrity`, integrityToJson(integrity)),
      });
    } catch (e) {
      this.log.log('warning', `Cannot store the chunk index of archive ${idHex}: ${(e as Error).message}`);
    }
  }

  /** Removes an archive's index files (the legacy ones only, with `compact: false`). */
  remove(idHex: string, options: { compact?: boolean } = {}): void {
    this.#unlink(join(this.path, idHex));
    if (options.compact ?? true) this.#unlink(join(this.path, `${idHex}.compact`));
  }

  #readFile(path: string, name: string, permitCompact: boolean): ChunkIndex {
    let integrity: IntegrityData | undefined;
    let text: string | undefined;
    try {
      text = readFileSync(`${path}.integrity`, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileIntegrityError(name, `unreadable integrity file (${(e as Error).message})`);
    }
    if (text !== undefined) integrity = parseIntegrityJson(text, name);
    return readChunkIndexFile(path, name, integrity, { permitCompact });
  }

  #unlink(path: string): void {
    for (const p of [path, `${path}.integrity`]) {
      try {
        unlinkSync(p);
      } catch {
        // not there
      }
    }
  }
}
