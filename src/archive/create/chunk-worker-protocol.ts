// Messages between the main thread and chunk workers. Files travel in batches and results come
// back in batches: for trees of small files, one message per file would cost more than the work.
import type { ByteRange, OpenOptions, ProcessorSetup } from './chunk-processor.js';
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
  | { type: 'files'; files: FileJobMessage[] };

/** A chunk as it crosses threads: the envelope's ArrayBuffer is transferred, not copied. */
export interface WireChunk {
  id: Uint8Array;
  size: number;
  csize: number;
  envelope: Uint8Array | null;
}

/** What happened to a file: chunks (in file order), then exactly one done or error. */
export type WireResult =
  | { task: number; kind: 'chunks'; chunks: WireChunk[] }
  | { task: number; kind: 'done'; size: number; ctimeAfter: bigint; truncated: boolean; eof: boolean }
  | { task: number; kind: 'error'; code: string; message: string; errno?: number; syscall?: string };

/** `bytes`: the envelope bytes in this message, counted against the worker's credits. */
export type FromWorker = { type: 'results'; results: WireResult[]; bytes: number };
