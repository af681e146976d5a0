// Messages between the main thread and chunk workers. Files travel in batches and results come
// back in batches: for trees of small files, one message per file would cost more than the work.
// Both directions are mostly binary: cloning an object per file or chunk, and transferring a
// buffer per envelope, cost the main thread more than the copies that pack them (each transferred
// buffer is external memory the main thread's garbage collector must account for).
import { putHeader, PUT_HEADER_SIZE } from '../../repository/segment-format.js';
import type { ByteRange, OpenOptions } from './chunk-processor.js';
import type { ProcessorSetup } from './chunk-processor.js';
import type { SharedTable } from './shared-chunk-lookup.js';

/** One file to read, with the IV range it may seal in. */
export interface FileJobMessage {
  task: number;
  path: string | Uint8Array;
  dev: bigint | null;
  ino: bigint | null;
  ivStart: bigint;
  ivEnd: bigint;
  open: OpenOptions;
  /** A part of a big file (split-file.ts); null: the whole file. */
  range: ByteRange | null;
}

/**
 * A batch of jobs: per job JOB_NUMBERS numbers, JOB_BIGINTS bigints and its path's bytes (UTF-8
 * for a string path, as given for a byte path).
 */
export interface JobBatch {
  numbers: Float64Array;
  bigints: BigInt64Array;
  paths: Uint8Array;
}

const JOB_NUMBERS = 8;
const JOB_BIGINTS = 4;
const FLAG_NOATIME = 1;
const FLAG_SPECIAL = 2;
const FLAG_FOLLOW = 4;
const FLAG_IDENTITY = 8;
const FLAG_RANGE = 16;
const FLAG_SPECULATIVE = 32;
const FLAG_BYTE_PATH = 64;

export function encodeJobs(jobs: readonly FileJobMessage[]): JobBatch {
  const numbers = new Float64Array(jobs.length * JOB_NUMBERS);
  const bigints = new BigInt64Array(jobs.length * JOB_BIGINTS);
  let pathBytes = 0;
  for (const job of jobs) pathBytes += typeof job.path === 'string' ? Buffer.byteLength(job.path) : job.path.byteLength;
  const paths = Buffer.allocUnsafeSlow(pathBytes);
  let at = 0;
  jobs.forEach((job, i) => {
    const n = i * JOB_NUMBERS;
    const start = at;
    if (typeof job.path === 'string') at += paths.write(job.path, at);
    else {
      paths.set(job.path, at);
      at += job.path.byteLength;
    }
    const { open, range } = job;
    const identity = job.dev !== null && job.ino !== null;
    numbers[n] = job.task;
    numbers[n + 1] = (open.noatime ? FLAG_NOATIME : 0) | (open.special ? FLAG_SPECIAL : 0) | (open.follow ? FLAG_FOLLOW : 0)
      | (identity ? FLAG_IDENTITY : 0) | (range ? FLAG_RANGE : 0) | (range?.speculative ? FLAG_SPECULATIVE : 0)
      | (typeof job.path === 'string' ? 0 : FLAG_BYTE_PATH);
    numbers[n + 2] = start;
    numbers[n + 3] = at;
    numbers[n + 4] = range?.start ?? 0;
    numbers[n + 5] = range?.end ?? -1;
    numbers[n + 6] = range?.lookahead ?? 0;
    const b = i * JOB_BIGINTS;
    // BigInt64Array holds the bits; inode and device numbers above 2^63 come back unsigned below.
    bigints[b] = identity ? BigInt.asIntN(64, job.dev!) : 0n;
    bigints[b + 1] = identity ? BigInt.asIntN(64, job.ino!) : 0n;
    bigints[b + 2] = BigInt.asIntN(64, job.ivStart);
    bigints[b + 3] = BigInt.asIntN(64, job.ivEnd);
  });
  return { numbers, bigints, paths: new Uint8Array(paths.buffer, 0, pathBytes) };
}

export function decodeJobs(batch: JobBatch): FileJobMessage[] {
  const { numbers, bigints } = batch;
  const paths = Buffer.from(batch.paths.buffer, batch.paths.byteOffset, batch.paths.byteLength);
  const jobs: FileJobMessage[] = [];
  for (let i = 0; i < numbers.length / JOB_NUMBERS; i++) {
    const n = i * JOB_NUMBERS;
    const b = i * JOB_BIGINTS;
    const flags = numbers[n + 1]!;
    const start = numbers[n + 2]!;
    const end = numbers[n + 3]!;
    const identity = (flags & FLAG_IDENTITY) !== 0;
    jobs.push({
      task: numbers[n]!,
      path: flags & FLAG_BYTE_PATH ? paths.subarray(start, end) : paths.toString('utf8', start, end),
      dev: identity ? BigInt.asUintN(64, bigints[b]!) : null,
      ino: identity ? BigInt.asUintN(64, bigints[b + 1]!) : null,
      ivStart: BigInt.asUintN(64, bigints[b + 2]!),
      ivEnd: BigInt.asUintN(64, bigints[b + 3]!),
      open: { noatime: (flags & FLAG_NOATIME) !== 0, special: (flags & FLAG_SPECIAL) !== 0, follow: (flags & FLAG_FOLLOW) !== 0 },
      range: flags & FLAG_RANGE
        ? { start: numbers[n + 4]!, end: numbers[n + 5]! < 0 ? null : numbers[n + 5]!, lookahead: numbers[n + 6]!, speculative: (flags & FLAG_SPECULATIVE) !== 0 }
        : null,
    });
  }
  return jobs;
}

export type ToWorker =
  | {
      type: 'init';
      setup: ProcessorSetup;
      table: SharedTable | null;
      /**
       * Backpressure: `credits[index]` counts the envelope bytes this worker posted that the main
       * thread has not stored yet; the worker waits while it exceeds `creditLimit`.
       */
      credits: SharedArrayBuffer;
      index: number;
      creditLimit: number;
    }
  | { type: 'table'; table: SharedTable }
  /** Files to read in this order. */
  | { type: 'files'; jobs: JobBatch };

/**
 * A chunk as it crosses threads. A sealed chunk's segment PUT header (crc, size, tag, id: the
 * worker computes the CRC) is in the message's pack at `at`, followed there by its envelope when
 * `envelope` is 0; a big envelope travels in its own transferred buffer, `buffers[envelope - 1]`.
 * A known chunk (not sealed, `envelope` -1) has just its id at `at`.
 */
export interface WireChunk {
  at: number;
  size: number;
  csize: number;
  envelope: number;
}

/** What happened to a file: chunks (in file order), then exactly one done or error. */
export type WireResult =
  | { task: number; kind: 'chunks'; chunks: WireChunk[] }
  | { task: number; kind: 'done'; size: number; ctimeAfter: bigint; truncated: boolean; eof: boolean }
  | { task: number; kind: 'error'; code: string; message: string; errno?: number; syscall?: string };

/** `bytes`: the envelope bytes in this message, counted against the worker's credits. */
export type FromWorker = { type: 'results'; results: WireResult[]; pack: ArrayBuffer; buffers: ArrayBuffer[]; bytes: number };

/** Envelopes at least this big that own their memory travel in their own buffer instead of the pack. */
const OWN_BUFFER_MIN = 64 * 1024;

/** Collects a worker's results for one message: ids, headers and small envelopes in one pack. */
export class ResultPacker {
  results: WireResult[] = [];
  /** Envelope bytes (the worker's credits) and pack bytes so far. */
  bytes = 0;
  #pack: Buffer;
  #used = 0;
  #buffers: ArrayBuffer[] = [];

  constructor(readonly initialBytes: number) {
    this.#pack = Buffer.allocUnsafeSlow(initialBytes);
  }

  get packed(): number {
    return this.#used;
  }

  /** Adds a chunk: `envelope` null for a known chunk. */
  chunk(id: Uint8Array, size: number, csize: number, envelope: Uint8Array | null): WireChunk {
    if (envelope === null) {
      const at = this.#reserve(id.byteLength);
      this.#pack.set(id, at);
      return { at, size, csize, envelope: -1 };
    }
    this.bytes += envelope.byteLength;
    const own = envelope.byteLength >= OWN_BUFFER_MIN;
    const at = this.#reserve(PUT_HEADER_SIZE + (own ? 0 : envelope.byteLength));
    this.#pack.set(putHeader(id, envelope), at);
    if (!own) {
      this.#pack.set(envelope, at + PUT_HEADER_SIZE);
      return { at, size, csize, envelope: 0 };
    }
    const whole = envelope.byteOffset === 0 && envelope.buffer.byteLength === envelope.byteLength && envelope.buffer instanceof ArrayBuffer;
    this.#buffers.push(whole ? envelope.buffer as ArrayBuffer : new Uint8Array(envelope).buffer);
    return { at, size, csize, envelope: this.#buffers.length };
  }

  /** The message and what it transfers; the packer starts again with a new pack. */
  take(): { message: FromWorker; transfer: ArrayBuffer[] } {
    // The pack's own ArrayBuffer (allocUnsafeSlow) is transferred whole; the main thread reads only what `at` points to.
    const pack = this.#pack.buffer as ArrayBuffer;
    const message: FromWorker = { type: 'results', results: this.results, pack, buffers: this.#buffers, bytes: this.bytes };
    const transfer = [pack, ...this.#buffers];
    this.results = [];
    this.#buffers = [];
    this.bytes = 0;
    this.#used = 0;
    this.#pack = Buffer.allocUnsafeSlow(this.initialBytes);
    return { message, transfer };
  }

  #reserve(length: number): number {
    if (this.#used + length > this.#pack.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.#pack.length, this.#used + length));
      this.#pack.copy(bigger, 0, 0, this.#used);
      this.#pack = bigger;
    }
    const at = this.#used;
    this.#used += length;
    return at;
  }
}

/** A received chunk on the main thread: the envelope and its precomputed PUT header are views into the message. */
export interface UnpackedChunk {
  id: Buffer;
  size: number;
  csize: number;
  envelope: Buffer | null;
  putHeader: Buffer | null;
}

export function unpackChunk(message: FromWorker, pack: Buffer, chunk: WireChunk): UnpackedChunk {
  const { at, size, csize } = chunk;
  if (chunk.envelope < 0) return { id: Buffer.from(pack.subarray(at, at + 32)), size, csize, envelope: null, putHeader: null };
  const header = pack.subarray(at, at + PUT_HEADER_SIZE);
  // The id is copied: it lives on in items and caches, and must not keep the whole pack alive.
  const id = Buffer.from(header.subarray(PUT_HEADER_SIZE - 32));
  const envelope = chunk.envelope === 0 ? pack.subarray(at + PUT_HEADER_SIZE, at + PUT_HEADER_SIZE + csize) : Buffer.from(message.buffers[chunk.envelope - 1]!);
  return { id, size, csize, envelope, putHeader: header };
}
