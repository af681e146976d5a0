// Worker thread entry: runs a ChunkProcessor on the files the main thread sends, and sends the
// results back in batches (a message per file would dominate for small files).
import { parentPort } from 'node:worker_threads';
import { IvCounter } from '../../crypto/nonces.js';
import { reviveKeyMaterial } from '../../crypto/key-material.js';
import { asBuffer } from '../../format/bytes.js';
import { ChunkProcessor, type ProcessedChunk } from './chunk-processor.js';
import { decodeJobs, ResultPacker, type FileJobMessage, type ToWorker } from './chunk-worker-protocol.js';
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

/** Results waiting to be sent, packed (chunk-worker-protocol.ts). */
class Outbox {
  readonly packer = new ResultPacker(SEND_BYTES + (64 << 10));

  addChunks(task: number, chunks: ProcessedChunk[]): void {
    const wire = chunks.map((c) => this.packer.chunk(c.id, c.size, c.csize, c.envelope));
    this.packer.results.push({ task, kind: 'chunks', chunks: wire });
  }

  /** Whether enough is waiting to send now rather than after the batch. */
  get full(): boolean {
    return this.packer.bytes >= SEND_BYTES || this.packer.packed >= SEND_BYTES;
  }

  /**
   * Sends what is waiting. First waits (blocking: the worker has nothing else to do, and the main
   * thread never waits for a worker synchronously) until the main thread has stored enough of what
   * was sent before; the timeout only bounds a missed wake-up.
   */
  send(state: ProcessorSetupState): void {
    if (this.packer.results.length === 0) return;
    const bytes = this.packer.bytes;
    if (bytes > 0) {
      for (;;) {
        const used = Atomics.load(state.credits, state.index);
        if (used <= state.limit) break;
        Atomics.wait(state.credits, state.index, used, 100);
      }
      Atomics.add(state.credits, state.index, bytes);
    }
    const { message, transfer } = this.packer.take();
    port!.postMessage(message, transfer);
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
        outbox.packer.results.push({ task: job.task, kind: 'done', size: next.value.size, ctimeAfter: next.value.ctimeAfter, truncated: next.value.truncated, eof: next.value.eof });
        return;
      }
      outbox.addChunks(job.task, next.value);
      if (outbox.full) outbox.send(state);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    outbox.packer.results.push({
      task: job.task, kind: 'error', code: err.code ?? err.name, message: err.message,
      ...(err.errno !== undefined ? { errno: err.errno } : {}), ...(err.syscall !== undefined ? { syscall: err.syscall } : {}),
    });
  }
}

const outbox = new Outbox();

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'init': {
      lookup = msg.table ? new SharedChunkLookup(msg.table) : null;
      processor = {
        processor: new ChunkProcessor({ ...msg.setup, material: reviveKeyMaterial(msg.setup.material) }, (id) => lookup?.has(id) ?? false),
        credits: new Int32Array(msg.credits), index: msg.index, limit: msg.creditLimit,
      };
      return;
    }
    case 'table':
      if (lookup) lookup.replace(msg.table);
      else lookup = new SharedChunkLookup(msg.table);
      return;
    case 'files': {
      for (const job of decodeJobs(msg.jobs)) readFile(processor!, job, outbox);
      outbox.send(processor!);
      return;
    }
  }
});
