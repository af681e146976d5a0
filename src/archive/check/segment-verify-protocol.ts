// Messages between `check --verify-data` and the workers that read and verify segment ranges
// themselves (segment-verify-pool.ts): the main thread only says where the objects lie.
import type { KeyMaterial, KeyMode } from '../../crypto/index.js';
import type { PartScan, ScanPart } from './segment-scan.js';

/** A run of objects in one segment: their entry offsets (ascending) and ids, 32 bytes each. */
export interface RangeJob {
  task: number;
  segment: number;
  path: string;
  offsets: Float64Array;
  ids: Uint8Array;
}

export type ToVerifyWorker =
  | { type: 'init'; mode: KeyMode; material: KeyMaterial }
  | ({ type: 'range' } & RangeJob)
  // Before the key is known: the repository check's pass over (a part of) a segment.
  | ({ type: 'scan'; task: number } & ScanPart);

/** Per object: intact, its opening failed (an IntegrityError), or its entry could not be read. */
export const OBJECT_OK = 0;
export const OBJECT_CORRUPTED = 1;
export const OBJECT_UNREADABLE = 2;

/**
 * `status[i]` and `sizes[i]` (its envelope's length, 0 if unreadable) for the i-th object of the job;
 * `messages` holds the reason for each object that is not OBJECT_OK, in order. `failure`: anything
 * else that went wrong (an I/O error), which fails the check.
 */
export type FromVerifyWorker =
  | { task: number; status: Uint8Array; sizes: Float64Array; messages: string[] }
  | { task: number; scan: PartScan }
  | { task: number; failure: { message: string; code?: string } };
