// Messages between the main thread and chunk workers.
import type { ProcessorSetup } from './chunk-processor.js';
import type { SharedTable } from './shared-chunk-lookup.js';

export type ToWorker =
  | { type: 'init'; setup: ProcessorSetup; table: SharedTable | null }
  | { type: 'table'; table: SharedTable }
  | {
      type: 'file';
      task: number;
      path: string | Uint8Array;
      dev: bigint | null;
      ino: bigint | null;
      ivStart: bigint;
      ivEnd: bigint;
      noatime: boolean;
    };

/** A chunk as it crosses threads: the envelope's ArrayBuffer is transferred, not copied. */
export interface WireChunk {
  id: Uint8Array;
  size: number;
  csize: number;
  envelope: Uint8Array | null;
}

export type FromWorker =
  | { type: 'chunks'; task: number; chunks: WireChunk[] }
  | { type: 'done'; task: number; size: number; ctimeAfter: bigint }
  | { type: 'error'; task: number; code: string; message: string; errno?: number };
