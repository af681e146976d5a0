// Sizing rules of borg's hash index (spec §1.7): bucket counts from a fixed table, grow above 75 %
// load, shrink below 25 %, and rebuild in place when tombstones leave too few EMPTY buckets.

/** Bucket counts borg uses; a new index has the first one. */
export const HASH_SIZES: readonly number[] = Object.freeze([
  1031, 2053, 4099, 8209, 16411, 32771, 65537, 131101, 262147, 445649, 757607, 1287917, 2189459, 3065243,
  4291319, 6007867, 8410991, 11775359, 16485527, 23079703, 27695653, 33234787, 39881729, 47858071,
  57429683, 68915617, 82698751, 99238507, 119086189, 144378011, 157223263, 173476439, 190253911,
  209915011, 230493629, 253169431, 278728861, 306647623, 337318939, 370742809, 408229973, 449387209,
  493428073, 543105119, 596976533, 657794869, 722676499, 795815791, 874066969, 962279771, 1057701643,
  1164002657, 1280003147, 1407800297, 1548442699, 1703765389, 1873768367, 2062383853,
]);

/** Largest value of a first value word; above it are the bucket states (and a reserved range). */
export const MAX_VALUE = 0xfffffbff;
export const KEY_SIZE = 32;

const MIN_LOAD = 0.25;
const MAX_LOAD = 0.75;
const MAX_EFF_LOAD = 0.93;
const LAST = HASH_SIZES.length - 1;

/** Index of the first table size >= n (the last one if none is). */
function sizeIndex(n: number): number {
  for (let i = 0; i < LAST; i++) if (HASH_SIZES[i]! >= n) return i;
  return LAST;
}

export function fitSize(n: number): number {
  return HASH_SIZES[sizeIndex(n)]!;
}

export function growSize(n: number): number {
  return HASH_SIZES[Math.min(sizeIndex(n) + 1, LAST)]!;
}

export function shrinkSize(n: number): number {
  return HASH_SIZES[Math.max(sizeIndex(n) - 1, 0)]!;
}

/** Fewer entries than this after a delete shrinks the table (never below the first size). */
export function lowerLimit(numBuckets: number): number {
  return numBuckets <= HASH_SIZES[0]! ? 0 : Math.trunc(numBuckets * MIN_LOAD);
}

/** Inserting a new key while holding more entries than this grows the table. */
export function upperLimit(numBuckets: number): number {
  return numBuckets >= HASH_SIZES[LAST]! ? numBuckets : Math.trunc(numBuckets * MAX_LOAD);
}

/** A table with this many EMPTY buckets or fewer is rebuilt (same double arithmetic as borg). */
export function minEmpty(numBuckets: number): number {
  return Math.trunc(numBuckets * (1.0 - MAX_EFF_LOAD));
}
