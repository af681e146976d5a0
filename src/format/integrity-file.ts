// borg's integrity-checked files (spec §1.9): one running XXH64 over the file name, the file bytes and
// named "parts", whose intermediate digests are stored as JSON (in `integrity.N`, the cache config, or
// a `<name>.integrity` side file). Repository indexes, hints and the cache's chunks and files use it.
import { FileIntegrityError } from './errors.js';
import { HEADER_SIZE } from './hashindex-header.js';
import { Xxh64Stream } from './wasm-hashes.js';

export interface IntegrityData {
  algorithm: 'XXH64';
  /** Part name -> 16 lowercase hex digits; always has `final`. */
  digests: Record<string, string>;
}

/** A named point inside the file at which borg records the running digest. */
export interface IntegrityPart {
  name: string;
  offset: number;
}

/** Hash index files record one part, `HashHeader`, right after their 18-byte header. */
export const HASH_INDEX_PARTS: readonly IntegrityPart[] = Object.freeze([{ name: 'HashHeader', offset: HEADER_SIZE }]);

/** `'%10d' % len(text) || text` as borg feeds names into the hash (length in characters, as Python's len). */
function lengthPrefixed(text: string): string {
  return String([...text].length).padStart(10, ' ') + text;
}

/**
 * The running hash of one integrity-checked file, fed in file order: its name first, then bytes,
 * with named parts at their positions and `final` at the end. Streams files of any size.
 */
export class IntegrityHasher {
  readonly #hash = new Xxh64Stream();
  readonly digests: Record<string, string> = {};
  position = 0;

  /** `name` is the file's final base name (e.g. `index.5`, not `index.5.tmp`). */
  constructor(name: string) {
    this.#hash.update(lengthPrefixed(name));
  }

  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
    this.position += bytes.byteLength;
  }

  /** Hashes the marker of part `name` at the current position and records its digest. */
  part(name: string): string {
    const digest = this.#hash.update(lengthPrefixed(name) + String(this.position)).hexdigest();
    this.digests[name] = digest;
    return digest;
  }

  /** Ends the file with the `final` part and returns all digests. */
  finish(): IntegrityData {
    this.part('final');
    return { algorithm: 'XXH64', digests: { ...this.digests } };
  }
}

/** Digests of `data` stored under the file name `name` (the final base name, e.g. `index.5`, not `index.5.tmp`). */
export function computeIntegrity(name: string, data: Uint8Array, parts: readonly IntegrityPart[] = []): IntegrityData {
  const hasher = new IntegrityHasher(name);
  for (const part of [...parts].sort((a, b) => a.offset - b.offset)) {
    if (!Number.isInteger(part.offset) || part.offset < 0 || part.offset > data.byteLength) {
      throw new RangeError(`Invalid integrity part '${part.name}' at offset ${part.offset} of ${data.byteLength} bytes`);
    }
    hasher.update(data.subarray(hasher.position, part.offset));
    hasher.part(part.name);
  }
  hasher.update(data.subarray(hasher.position));
  return hasher.finish();
}

export function hashIndexIntegrity(name: string, data: Uint8Array): IntegrityData {
  return computeIntegrity(name, data, HASH_INDEX_PARTS);
}

/** JSON text exactly as Python's json.dumps writes it (", " and ": " separators, ASCII only). */
export function integrityToJson(d: IntegrityData): string {
  const digests = Object.entries(d.digests).map(([k, v]) => `${pyJsonString(k)}: ${pyJsonString(v)}`);
  return `{"algorithm": ${pyJsonString(d.algorithm)}, "digests": {${digests.join(', ')}}}`;
}

/**
 * Parses stored integrity JSON (any valid JSON layout). Returns undefined for an algorithm other than
 * XXH64, which borg skips with a warning; malformed data or a missing `final` digest is an error.
 */
export function parseIntegrityJson(text: string, name = 'integrity data'): IntegrityData | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FileIntegrityError(name, `unreadable integrity data (${(e as Error).message})`);
  }
  if (!isRecord(parsed) || typeof parsed['algorithm'] !== 'string' || !isRecord(parsed['digests'])) {
    throw new FileIntegrityError(name, 'integrity data lacks an algorithm or digests');
  }
  if (parsed['algorithm'] !== 'XXH64') return undefined;
  const digests: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed['digests'])) {
    if (typeof v !== 'string') throw new FileIntegrityError(name, `digest '${k}' is not a string`);
    digests[k] = v;
  }
  if (digests['final'] === undefined) throw new FileIntegrityError(name, "integrity data has no 'final' digest");
  return { algorithm: 'XXH64', digests };
}

/** Throws FileIntegrityError unless every part computed over `data` matches `expected`. */
export function verifyIntegrity(name: string, data: Uint8Array, expected: IntegrityData, parts: readonly IntegrityPart[] = []): void {
  verifyDigests(name, computeIntegrity(name, data, parts), expected);
}

/** Throws FileIntegrityError unless every part of `actual` (e.g. from an IntegrityHasher) matches `expected`. */
export function verifyDigests(name: string, actual: IntegrityData, expected: IntegrityData): void {
  for (const [part, digest] of Object.entries(actual.digests)) {
    const want = expected.digests[part];
    if (want === undefined) throw new FileIntegrityError(name, `no recorded digest for part '${part}'`);
    if (want !== digest) throw new FileIntegrityError(name, `digest mismatch in part '${part}'`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A JSON string literal with Python's ensure_ascii escaping. */
function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}
