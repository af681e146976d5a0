// `--compression` specs (spec §3.2): none, lz4, zstd[,L], zlib[,L], lzma[,L], auto,C[,L] and
// obfuscate,SPEC,C[,L] (C may itself be auto,...).
//
// Stricter than borg 1.2 where borg silently accepts nonsense: `lz4,5` / `none,x` (borg ignores the
// extra value), `auto,auto,...` and obfuscate inside obfuscate are refused here.

import { InvalidCompressionSpec } from './errors.js';

export type LeveledSpec = { name: 'zstd' | 'zlib' | 'lzma'; level: number };
export type BasicSpec = { name: 'none' } | { name: 'lz4' } | LeveledSpec;
export type AutoSpec = { name: 'auto'; inner: BasicSpec };
export type ObfuscateSpec = { name: 'obfuscate'; level: number; inner: BasicSpec | AutoSpec };
export type CompressionSpec = BasicSpec | AutoSpec | ObfuscateSpec;

/** What borg uses when no `--compression` is given. */
export const DEFAULT_COMPRESSION_SPEC: CompressionSpec = Object.freeze({ name: 'lz4' });

/** Level ranges and defaults of borg 1.2. */
export const COMPRESSION_LEVELS = {
  zstd: { min: 1, max: 22, default: 3 },
  zlib: { min: 0, max: 9, default: 6 },
  lzma: { min: 0, max: 9, default: 6 },
} as const;

/** Levels 1..6: padding relative to the size; 110..123: up to 2**(level-100) bytes. */
export function isObfuscateLevel(level: number): boolean {
  return (level >= 1 && level <= 6) || (level >= 110 && level <= 123);
}

const INTEGER = /^[+-]?\d+$/;

function parseLevel(text: string, what: string, fail: (why: string) => never): number {
  const trimmed = text.trim();
  const value = INTEGER.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value)) fail(`${what} '${text}' is not an integer`);
  return value;
}

function parseBasic(parts: string[], fail: (why: string) => never): BasicSpec {
  const [name, ...args] = parts as [string, ...string[]];
  if (name === 'none' || name === 'lz4') {
    if (args.length > 0) fail(`${name} takes no level`);
    return { name };
  }
  if (name === 'zstd' || name === 'zlib' || name === 'lzma') {
    if (args.length > 1) fail(`${name} takes at most one level`);
    const range = COMPRESSION_LEVELS[name];
    const level = args.length === 0 ? range.default : parseLevel(args[0]!, `${name} level`, fail);
    if (level < range.min || level > range.max) fail(`${name} level must be ${range.min}..${range.max}`);
    return { name, level };
  }
  if (name === 'auto' || name === 'obfuscate') fail(`${name} cannot be nested here`);
  return fail(`unknown compression '${name}' (expected none, lz4, zstd, zlib, lzma, auto or obfuscate)`);
}

function parseAutoOrBasic(parts: string[], fail: (why: string) => never): BasicSpec | AutoSpec {
  if (parts[0] !== 'auto') return parseBasic(parts, fail);
  if (parts.length < 2) fail('auto needs a compression to use, e.g. auto,zstd');
  return { name: 'auto', inner: parseBasic(parts.slice(1), fail) };
}

export function parseCompressionSpec(text: string): CompressionSpec {
  const fail = (why: string): never => {
    throw new InvalidCompressionSpec(`Invalid compression spec '${text}': ${why}`);
  };
  const parts = text.split(',');
  if (parts[0] !== 'obfuscate') return parseAutoOrBasic(parts, fail);
  if (parts.length < 3) fail('obfuscate needs a level and a compression, e.g. obfuscate,3,zstd');
  const level = parseLevel(parts[1]!, 'obfuscate level', fail);
  if (!isObfuscateLevel(level)) fail('obfuscate level must be 1..6 or 110..123');
  return { name: 'obfuscate', level, inner: parseAutoOrBasic(parts.slice(2), fail) };
}

/** The canonical text of a spec, e.g. `auto,zstd,3` (parses back to the same spec). */
export function describeCompressionSpec(spec: CompressionSpec): string {
  switch (spec.name) {
    case 'none':
    case 'lz4':
      return spec.name;
    case 'zstd':
    case 'zlib':
    case 'lzma':
      return `${spec.name},${spec.level}`;
    case 'auto':
      return `auto,${describeCompressionSpec(spec.inner)}`;
    case 'obfuscate':
      return `obfuscate,${spec.level},${describeCompressionSpec(spec.inner)}`;
  }
}
