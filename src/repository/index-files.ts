// The per-transaction files `index.<T>`, `hints.<T>` and `integrity.<T>` (spec §1.6–§1.9): finding
// the newest, loading with integrity verification, and writing all three in borg's crash-safe order.
import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashIndex, HEADER_SIZE, NSIndex, parseHashIndexHeader } from '../format/hashindex.js';
import {
  computeIntegrity, HASH_INDEX_PARTS, hashIndexIntegrity, IntegrityHasher, integrityToJson, parseIntegrityJson, verifyDigests, verifyIntegrity,
} from '../format/integrity-file.js';
import { decode, encode, isMap } from '../format/msgpack.js';
import { syncDir } from '../platform/save-file.js';
import { IntegrityError } from './errors.js';
import { decodeHints, encodeHints, type DecodedHints, type Hints } from './hints.js';

const INTEGRITY_VERSION = 2;

/** Highest T with a non-empty `index.T`, or undefined. */
export function indexTransactionId(repoPath: string): number | undefined {
  let best: number | undefined;
  for (const name of readdirSync(repoPath)) {
    if (!/^index\.\d+$/.test(name)) continue;
    const t = Number(name.slice(6));
    if (best !== undefined && t <= best) continue;
    if (statSync(join(repoPath, name)).size !== 0) best = t;
  }
  return best;
}

/**
 * The integrity JSON text recorded for `index` or `hints` of transaction T; undefined when there is no
 * integrity file or it has an unknown version (then borg skips verification too).
 */
function readIntegrityText(repoPath: string, tid: number, key: 'index' | 'hints'): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(repoPath, `integrity.${tid}`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const d = decode(bytes);
  if (!isMap(d) || d['version'] !== INTEGRITY_VERSION) return undefined;
  const text = d[key];
  if (!Buffer.isBuffer(text)) throw new IntegrityError(`integrity.${tid} has no entry for ${key}`);
  return text.toString('utf8');
}

function verify(repoPath: string, name: string, tid: number, key: 'index' | 'hints', data: Buffer): void {
  const text = readIntegrityText(repoPath, tid, key);
  if (text === undefined) return;
  const expected = parseIntegrityJson(text, name);
  // An unknown algorithm cannot be verified; borg reads the file unchecked then, so do we.
  if (expected) verifyIntegrity(name, data, expected, key === 'index' ? HASH_INDEX_PARTS : []);
}

/** Bytes of `index.T` read at a time: the table is filled piece by piece, never holding the file twice. */
const INDEX_READ_PIECE = 8 * 1024 * 1024;

function readAt(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Loads and verifies `index.T`; throws (IntegrityError, ENOENT, format errors) when unusable. The
 * header's digest is checked before it is parsed and the whole file's before its buckets are.
 */
export function readIndex(repoPath: string, tid: number): NSIndex {
  const name = `index.${tid}`;
  const fd = openSync(join(repoPath, name), 'r');
  try {
    const text = readIntegrityText(repoPath, tid, 'index');
    const expected = text === undefined ? undefined : parseIntegrityJson(text, name);
    const length = fstatSync(fd).size;
    const hasher = expected ? new IntegrityHasher(name) : undefined;
    const head = Buffer.alloc(Math.min(HEADER_SIZE, length));
    readAt(fd, head, 0);
    if (hasher && expected) {
      hasher.update(head);
      const digest = hasher.part(HASH_INDEX_PARTS[0]!.name);
      if (head.length < HEADER_SIZE || expected.digests[HASH_INDEX_PARTS[0]!.name] !== digest) verifyDigests(name, hasher.finish(), expected);
    }
    const header = parseHashIndexHeader(head, { valueSize: NSIndex.VALUE_SIZE, fileLength: length });
    function* pieces(): Generator<Uint8Array> {
      for (let at = HEADER_SIZE; at < length; at += INDEX_READ_PIECE) {
        const piece = Buffer.allocUnsafe(Math.min(INDEX_READ_PIECE, length - at));
        const got = readAt(fd, piece, at);
        hasher?.update(piece.subarray(0, got));
        yield piece.subarray(0, got);
        if (got < piece.length) break;
      }
      if (hasher && expected) verifyDigests(name, hasher.finish(), expected);
    }
    return new NSIndex(HashIndex.fromParts(header, pieces(), { valueSize: NSIndex.VALUE_SIZE }));
  } finally {
    closeSync(fd);
  }
}

/** Loads and verifies `hints.T`; throws (ENOENT when missing) when unusable. */
export function readHints(repoPath: string, tid: number): DecodedHints {
  const name = `hints.${tid}`;
  const data = readFileSync(join(repoPath, name));
  verify(repoPath, name, tid, 'hints', data);
  return decodeHints(data);
}

function writeSynced(path: string, data: Uint8Array, mode: number): void {
  const fd = openSync(path, 'w', mode);
  try {
    let off = 0;
    while (off < data.byteLength) off += writeSync(fd, data, off, data.byteLength - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function utcTimestamp(): string {
  // borg's ISO_FORMAT: %Y-%m-%dT%H:%M:%S.%f (microseconds; we only have milliseconds).
  return new Date().toISOString().replace('Z', '000');
}

export interface WriteIndexOptions {
  appendOnly: boolean;
  fileMode: number;
}

/**
 * Writes hints.T, index.T and integrity.T. Order matters for crash safety: temp files first (each
 * fsynced), then integrity.T is renamed into place before the files it describes, and only then are
 * the files of older transactions removed.
 */
export function writeIndexFiles(repoPath: string, tid: number, index: NSIndex, hints: Hints, options: WriteIndexOptions): void {
  if (options.appendOnly) {
    appendFileSync(join(repoPath, 'transactions'), `transaction ${tid}, UTC time ${utcTimestamp()}\n`, { mode: options.fileMode });
  }
  const hintsName = `hints.${tid}`;
  const indexName = `index.${tid}`;
  const integrityName = `integrity.${tid}`;
  const hintsBytes = encodeHints(hints);
  writeSynced(join(repoPath, `${hintsName}.tmp`), hintsBytes, options.fileMode);
  const indexBytes = index.toBytes();
  writeSynced(join(repoPath, `${indexName}.tmp`), indexBytes, options.fileMode);
  const integrity = encode({
    version: INTEGRITY_VERSION,
    hints: integrityToJson(computeIntegrity(hintsName, hintsBytes)),
    index: integrityToJson(hashIndexIntegrity(indexName, indexBytes)),
  });
  writeSynced(join(repoPath, `${integrityName}.tmp`), integrity, options.fileMode);
  renameSync(join(repoPath, `${integrityName}.tmp`), join(repoPath, integrityName));
  syncDir(repoPath);
  renameSync(join(repoPath, `${hintsName}.tmp`), join(repoPath, hintsName));
  renameSync(join(repoPath, `${indexName}.tmp`), join(repoPath, indexName));
  syncDir(repoPath);
  removeOtherIndexFiles(repoPath, tid);
}

/** Deletes every index.*, hints.* and integrity.* file that does not belong to transaction `tid`. */
export function removeOtherIndexFiles(repoPath: string, tid: number): void {
  const current = `.${tid}`;
  for (const name of readdirSync(repoPath)) {
    if (!/^(index|hints|integrity)\./.test(name) || name.endsWith(current)) continue;
    unlinkSync(join(repoPath, name));
  }
}

/** Removes a file if present (used when a broken index or hints file is discarded). */
export function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
