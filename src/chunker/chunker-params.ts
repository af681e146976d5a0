// Chunker parameters (spec §4.1): the `--chunker-params` syntax, borg's limits, and the form stored in
// archive metadata as `chunker_params`.

import { InvalidChunkerParams, MalformedChunkerParams } from './errors.js';

/** Largest plaintext of one repository object (borg's MAX_DATA_SIZE): 20 MiB minus envelope overhead. */
export const MAX_DATA_SIZE = 20971479;

export interface BuzhashParams {
  algorithm: 'buzhash';
  /** Minimum chunk size is 2**minExp. */
  minExp: number;
  /** Maximum chunk size is 2**maxExp. */
  maxExp: number;
  /** A cut happens where the window hash has this many low zero bits. */
  maskBits: number;
  windowSize: number;
}

export interface FixedParams {
  algorithm: 'fixed';
  blockSize: number;
  /** Size of a first chunk cut before the regular blocks (0 = none). */
  headerSize: number;
}

export type ChunkerParams = BuzhashParams | FixedParams;

/** borg's default for file content: `buzhash,19,23,21,4095`. */
export const DEFAULT_CHUNKER_PARAMS: Readonly<BuzhashParams> = Object.freeze({
  algorithm: 'buzhash', minExp: 19, maxExp: 23, maskBits: 21, windowSize: 4095,
});

/** Always used for the item metadata stream, whatever `--chunker-params` says. */
export const ITEMS_CHUNKER_PARAMS: Readonly<BuzhashParams> = Object.freeze({
  algorithm: 'buzhash', minExp: 15, maxExp: 19, maskBits: 17, windowSize: 4095,
});

const INTEGER = /^[+-]?\d+$/;

function parseInteger(text: string, what: string, spec: string): number {
  const trimmed = text.trim();
  const value = INTEGER.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InvalidChunkerParams(`Invalid chunker params '${spec}': ${what} '${text}' is not an integer`);
  }
  return value;
}

/**
 * Checks the limits borg enforces, plus the ones its C chunker asserts at run time
 * (window of at least one byte, and room for a window after the minimum chunk).
 */
export function validateChunkerParams(p: ChunkerParams, spec = describeChunkerParams(p)): void {
  const fail = (why: string): never => {
    throw new InvalidChunkerParams(`Invalid chunker params '${spec}': ${why}`);
  };
  const values = p.algorithm === 'fixed' ? [p.blockSize, p.headerSize] : [p.minExp, p.maxExp, p.maskBits, p.windowSize];
  if (!values.every(Number.isSafeInteger)) fail('all values must be integers');
  if (p.algorithm === 'fixed') {
    if (p.blockSize < 64) fail('the block size must be at least 64 bytes');
    if (p.blockSize > MAX_DATA_SIZE || p.headerSize > MAX_DATA_SIZE) {
      fail(`block and header size must not exceed ${MAX_DATA_SIZE} bytes`);
    }
    if (p.headerSize < 0) fail('the header size must not be negative');
    return;
  }
  if (!(p.minExp <= p.maskBits && p.maskBits <= p.maxExp)) fail('required: min exponent <= mask bits <= max exponent');
  if (p.minExp < 6) fail('the min chunk size exponent must be at least 6 (64 bytes)');
  if (p.maxExp > 23) fail('the max chunk size exponent must be at most 23 (8 MiB)');
  if (p.windowSize < 1) fail('the hash window must be at least 1 byte');
  if (p.windowSize + 2 ** p.minExp + 1 > 2 ** p.maxExp) fail('the max chunk size must exceed min chunk size + window');
}

/**
 * Parses `--chunker-params`: `default`, `[buzhash,]MIN_EXP,MAX_EXP,MASK_BITS,WINDOW` or
 * `fixed,BLOCK_SIZE[,HEADER_SIZE]` (the algorithm name is case-insensitive, like borg's).
 */
export function parseChunkerParams(text: string): ChunkerParams {
  const parts = text.trim().split(',');
  const algorithm = parts[0]!.toLowerCase();
  let params: ChunkerParams;
  if (algorithm === 'fixed' && (parts.length === 2 || parts.length === 3)) {
    params = {
      algorithm: 'fixed',
      blockSize: parseInteger(parts[1]!, 'block size', text),
      headerSize: parts.length === 3 ? parseInteger(parts[2]!, 'header size', text) : 0,
    };
  } else if (algorithm === 'default' && parts.length === 1) {
    return { ...DEFAULT_CHUNKER_PARAMS };
  } else if ((algorithm === 'buzhash' && parts.length === 5) || parts.length === 4) {
    const [minExp, maxExp, maskBits, windowSize] = parts.slice(-4).map((part, i) =>
      parseInteger(part, ['min exponent', 'max exponent', 'mask bits', 'window size'][i]!, text)) as
      [number, number, number, number];
    params = { algorithm: 'buzhash', minExp, maxExp, maskBits, windowSize };
  } else {
    throw new InvalidChunkerParams(
      `Invalid chunker params '${text}': expected 'default', '[buzhash,]MIN_EXP,MAX_EXP,MASK_BITS,WINDOW' ` +
      `or 'fixed,BLOCK_SIZE[,HEADER_SIZE]'`);
  }
  validateChunkerParams(params, text);
  return params;
}

/** The canonical text form, e.g. `buzhash,19,23,21,4095` or `fixed,4194304,0`. */
export function describeChunkerParams(p: ChunkerParams): string {
  return chunkerParamsToArchive(p).join(',');
}

export type ArchiveChunkerParams = ['buzhash', number, number, number, number] | ['fixed', number, number];

/** The value borg 1.2 stores as the archive's `chunker_params` (the name packs as a raw string). */
export function chunkerParamsToArchive(p: ChunkerParams): ArchiveChunkerParams {
  return p.algorithm === 'fixed'
    ? ['fixed', p.blockSize, p.headerSize]
    : ['buzhash', p.minExp, p.maxExp, p.maskBits, p.windowSize];
}

function archiveInteger(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new MalformedChunkerParams(`Cannot read the archive's chunker params: '${String(value)}' is not an integer`);
  }
  return n;
}

function archiveName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  return undefined;
}

/**
 * Reads an archive's `chunker_params`: `[name, ...ints]` with the name as a string or raw bytes
 * (Buffer), or the 4-int form of archives written before borg 1.2 (always buzhash).
 * Limits are not re-checked: borg wrote the value and may have allowed it at the time.
 */
export function chunkerParamsFromArchive(value: unknown): ChunkerParams {
  if (!Array.isArray(value)) throw new MalformedChunkerParams("Cannot read the archive's chunker params: not a list");
  const name = archiveName(value[0]);
  const ints = (name === undefined ? value : value.slice(1)).map(archiveInteger);
  if ((name === undefined || name === 'buzhash') && ints.length === 4) {
    const [minExp, maxExp, maskBits, windowSize] = ints as [number, number, number, number];
    return { algorithm: 'buzhash', minExp, maxExp, maskBits, windowSize };
  }
  if (name === 'fixed' && ints.length === 2) {
    return { algorithm: 'fixed', blockSize: ints[0]!, headerSize: ints[1]! };
  }
  throw new MalformedChunkerParams(
    `Cannot read the archive's chunker params: unknown form '${name ?? ''}' with ${ints.length} numbers`);
}
