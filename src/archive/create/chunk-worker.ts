// Worker thread entry: runs a ChunkProcessor on the files the main thread sends, and sends the
// results back in batches (a message per file would dominate for small files).
import { parentPort } from 'node:worker_threads';
import { IvCounter } from '../../crypto/nonces.js';
import type { KeyMaterial } from '../../crypto/index.js';
import { ChunkProcessor, type ProcessedChunk } from './chunk-processor.js';
import type { FileJobMessage, FromWorker, ToWorker, WireChunk, WireResult } from './chunk-worker-protocol.js';
import { SharedChunkLookup } from './shared-chunk-lookup.js';

const port = parentPort;
if (!port) throw new Error('chunk-worker must run in a worker thread');

/** Results are sent once this many envelope bytes are waiting (and after every batch of files). */
const SEND_BYTES = 1 << 20;

let processor: ProcessorSetupState | null = null;
let lookup: SharedChunkLookup | null = null;

interface ProcessorSetupState {
  processor: ChunkProcessor;
  credits: Int32Array;
  index: number;
  limit: number;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Structured cloning turns Buffers into Uint8Arrays: give the key its Buffers back. */
function reviveMaterial(m: KeyMaterial): KeyMaterial {
  return { ...m, encKey: asBuffer(m.encKey), encHmacKey: asBuffer(m.encHmacKey), idKey: asBuffer(m.idKey), repositoryId: asBuffer(m.repositoryId) };
}

/** Results waiting to be sent, with the buffers they transfer. */
class Outbox {
  results: WireResult[] = [];
  transfer: ArrayBuffer[] = [];
  bytes = 0;

  /** Envelopes from pooled allocations must be copied before their memory can be transferred. */
  addChunks(task: number, chunks: ProcessedChunk[]): void {
    const wire: WireChunk[] = chunks.map((c) => {
      let envelope: Uint8Array | null = null;
      if (c.envelope) {
        envelope = c.envelope.byteOffset === 0 && c.envelope.buffer.byteLength === c.envelope.length ? c.envelope : new Uint8Array(c.envelope);
        this.transfer.push(envelope.buffer as ArrayBuffer);
        this.bytes += envelope.byteLength;
      }
      return { id: new Uint8Array(c.id), size: c.size, csize: c.csize, envelope };
    });
    this.results.push({ task, kind: 'chunks', chunks: wire });
  }

  /**
   * Sends what is waiting. First waits (blocking: the worker has nothing else to do, and the main
   * thread never waits for a worker synchronously) until the main thread has stored enough of what
   * was sent before; the timeout only bounds a missed wake-up.
   */
  send(state: ProcessorSetupState): void {
    if (this.results.length === 0) return;
    if (this.bytes > 0) {
      for (;;) {
        const used = Atomics.load(state.credits, state.index);
        if (used <= state.limit) break;
        Atomics.wait(state.credits, state.index, used, 100);
      }
      Atomics.add(state.credits, state.index, this.bytes);
    }
    port!.postMessage({ type: 'results', results: this.results, bytes: this.bytes } satisfies FromWorker, this.transfer);
    this.results = [];
    this.transfer = [];
    this.bytes = 0;
  }
}

function readFile(state: ProcessorSetupState, job: FileJobMessage, outbox: Outbox): void {
  const ivs = new IvCounter(job.ivStart, job.ivEnd);
  const path = typeof job.path === 'string' ? job.path : asBuffer(job.path);
  const identity = job.dev !== null && job.ino !== null ? { dev: job.dev, ino: job.ino } : null;
  try {
    const batches = state.processor.fileChunks(path, identity, ivs, job.open, job.range);
    for (;;) {
      const next = batches.next();
      if (next.done) {
        outbox.results.push({ task: job.task, kind: 'done', size: next.value.size, ctimeAfter: next.value.ctimeAfter, truncated: next.value.truncated, eof: next.value.eof });
        return;
      }
      outbox.addChunks(job.task, next.value);
      if (outbox.bytes >= SEND_BYTES) outbox.send(state);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    outbox.results.push({
      task: job.task, kind: 'error', code: err.code ?? err.name, message: err.message,
      ...(err.errno !== undefined ? { errno: err.errno } : {}), ...(err.syscall !== undefined ? { syscall: err.syscall } : {}),
    });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'init': {
      lookup = msg.table ? new SharedChunkLookup(msg.table) : null;
      processor = {
        processor: new ChunkProcessor({ ...msg.setup, material: reviveMaterial(msg.setup.material) }, (id) => lookup?.has(id) ?? false),
        credits: new Int32Array(msg.credits), index: msg.index, limit: msg.creditLimit,
      };
      return;
    }
    case 'table':
      if (lookup) lookup.replace(msg.table);
      else lookup = new SharedChunkLookup(msg.table);
      return;
    case 'files': {
      const outbox = new Outbox();
      for (const job of msg.files) readFile(processor!, job, outbox);
      outbox.send(processor!);
      return;
    }
  }
});
