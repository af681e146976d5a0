// Messages between the main thread and the workers that open objects (extract, check --verify-data).
// A batch of jobs travels as one transferred buffer (ids and envelopes back to back, and the paths of
// files to write) and tables of numbers: structured cloning of many small objects would cost more
// than opening small chunks.
import type { KeyMaterial, KeyMode } from '../crypto/index.js';
import type { BorgErrorJSON } from '../errors.js';

/** Numbers per job in `jobs`: task, offset of the 32-byte id in `data`, envelope offset, envelope length. */
export const JOB_FIELDS = 4;
/** Numbers per result in `results`: task, index in `buffers`, plaintext offset there, plaintext length. */
export const RESULT_FIELDS = 4;

/**
 * Numbers per file in `files` (extract: a small file the worker writes itself from the plaintexts of
 * its jobs): task, index of its first job, number of jobs, offset and length of its path in `data`,
 * mode, uid, gid (-1: leave), atime and mtime each as seconds and nanoseconds.
 */
export const FILE_FIELDS = 12;
/** Numbers per written file in `written`: task, bytes of content. */
export const WRITTEN_FIELDS = 2;
/**
 * Numbers per job in `targets` (extract, a big file): the open file descriptor to write the
 * plaintext to (-1: send it back as usual), the offset, the length the item records for the chunk
 * (a plaintext of another length is sent back unwritten), and 1 to leave an all-zero chunk a hole.
 * A written job's result has buffer index -1.
 */
export const TARGET_FIELDS = 4;
/**
 * Numbers per job in `locations` (a local repository): where the worker reads the envelope itself —
 * offset and length of the segment file's path in `data`, the segment number and the entry's offset
 * (path offset -1: the envelope is in `data`).
 */
export const LOCATION_FIELDS = 4;

export type ToOpenWorker =
  | { type: 'init'; mode: KeyMode; material: KeyMaterial }
  /**
   * `keep`: send the plaintexts back (extract); false: only verify (check --verify-data). The jobs of
   * `files` are not answered one by one: their file is written, and reported once.
   */
  | { type: 'open'; jobs: Float64Array; data: ArrayBuffer; keep: boolean; files?: Float64Array; targets?: Float64Array; locations?: Float64Array };

/**
 * The jobs (or files) that failed, with the error opening raised (`integrity`: an IntegrityError),
 * or for a file the system call that failed writing it (errno as node:fs gives it: negative).
 */
export type OpenFailure =
  | { task: number; error: BorgErrorJSON; integrity: boolean }
  | { task: number; errno: number; syscall: string }
  | { task: number; bug: string };

/**
 * `buffers` are transferred: a plaintext that owns its memory travels as it is, small ones are
 * packed together into one buffer.
 */
export type FromOpenWorker = {
  results: Float64Array; buffers: ArrayBuffer[]; failures: OpenFailure[];
  /** The files written (WRITTEN_FIELDS each). */
  written?: Float64Array;
  /** Without `keep`: the batch's input buffer, handed back for the next batch (fresh memory costs page faults). */
  input?: ArrayBuffer;
};
