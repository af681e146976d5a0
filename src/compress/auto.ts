// The `auto,C` heuristic (spec §3.2): lz4 is tried first as a cheap estimate of compressibility; C is
// only run on data that lz4 shrinks noticeably, and only kept if it beats lz4 by at least 1 %.

import { compressLz4 } from './lz4.js';

/** lz4 results at or above this share of the input (with header) count as incompressible. */
const INCOMPRESSIBLE_RATIO = 0.97;
/** C must reach at most this share of the lz4 result to be stored instead. */
const BETTER_RATIO = 0.99;

export function compressAuto(data: Buffer, compressInner: (data: Buffer) => Buffer): Buffer {
  const lz4 = compressLz4(data);
  if (lz4.length / (data.length + 2) >= INCOMPRESSIBLE_RATIO) return lz4;
  const inner = compressInner(data);
  return inner.length / lz4.length < BETTER_RATIO ? inner : lz4;
}
