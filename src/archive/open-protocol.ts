// Messages between the main thread and the workers that open objects (extract, check --verify-data).
// A batch of
// jobs travels as one transferred buffer (ids and envelopes back to back) and a table of numbers:
// structured cloning of many small objects would cost more than opening small chunks.
import type { KeyMaterial, KeyMode } from '../crypto/index.js';
import type { BorgErrorJSON } from '../errors.js';

/** Numbers per job in `jobs`: task, offset of the 32-byte id in `data`, envelope offset, envelope length. */
export const JOB_FIELDS = 4;
/** Numbers per result in `results`: task, index in `buffers`, plaintext offset there, plaintext length. */
export const RESULT_FIELDS = 4;

export type ToOpenWorker =
  | { type: 'init'; mode: KeyMode; material: KeyMaterial }
  /** `keep`: send the plaintexts back (extract); false: only verify (check --verify-data). */
  | { type: 'open'; jobs: Float64Array; data: ArrayBuffer; keep: boolean };

/** The jobs that failed, with the error opening raised (`integrity`: an IntegrityError). */
export type OpenFailure =
  | { task: number; error: BorgErrorJSON; integrity: boolean }
  | { task: number; bug: string };

/**
 * `buffers` are transferred: a plaintext that owns its memory travels as it is, small ones are
 * packed together into one buffer.
 */
export type FromOpenWorker = {
  results: Float64Array; buffers: ArrayBuffer[]; failures: OpenFailure[];
  /** Without `keep`: the batch's input buffer, handed back for the next batch (fresh memory costs page faults). */
  input?: ArrayBuffer;
};
