// Worker thread entry: runs a ChunkProcessor on the files the main thread sends.
import { parentPort } from 'node:worker_threads';
import { IvCounter } from '../../crypto/nonces.js';
import type { KeyMaterial } from '../../crypto/index.js';
import { ChunkProcessor, type ProcessedChunk } from './chunk-processor.js';
import type { FromWorker, ToWorker, WireChunk } from './chunk-worker-protocol.js';
import { SharedChunkLookup } from './shared-chunk-lookup.js';

const port = parentPort;
if (!port) throw new Error('chunk-worker must run in a worker thread');

let processor: ChunkProcessor | null = null;
let lookup: SharedChunkLookup | null = null;

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Structured cloning turns Buffers into Uint8Arrays: give the key its Buffers back. */
function reviveMaterial(m: KeyMaterial): KeyMaterial {
  return { ...m, encKey: asBuffer(m.encKey), encHmacKey: asBuffer(m.encHmacKey), idKey: asBuffer(m.idKey), repositoryId: asBuffer(m.repositoryId) };
}

/** Envelopes from pooled allocations must be copied before their memory can be transferred. */
function toWire(chunks: ProcessedChunk[], transfer: ArrayBuffer[]): WireChunk[] {
  return chunks.map((c) => {
    let envelope: Uint8Array | null = null;
    if (c.envelope) {
      envelope = c.envelope.byteOffset === 0 && c.envelope.buffer.byteLength === c.envelope.length ? c.envelope : new Uint8Array(c.envelope);
      transfer.push(envelope.buffer as ArrayBuffer);
    }
    return { id: new Uint8Array(c.id), size: c.size, csize: c.csize, envelope };
  });
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

port.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'init': {
      lookup = msg.table ? new SharedChunkLookup(msg.table) : null;
      processor = new ChunkProcessor({ ...msg.setup, material: reviveMaterial(msg.setup.material) }, (id) => lookup?.has(id) ?? false);
      return;
    }
    case 'table':
      if (lookup) lookup.replace(msg.table);
      else lookup = new SharedChunkLookup(msg.table);
      return;
    case 'file': {
      const ivs = new IvCounter(msg.ivStart, msg.ivEnd);
      const path = typeof msg.path === 'string' ? msg.path : asBuffer(msg.path);
      const identity = msg.dev !== null && msg.ino !== null ? { dev: msg.dev, ino: msg.ino } : null;
      try {
        const batches = processor!.fileChunks(path, identity, ivs, msg.noatime);
        for (;;) {
          const next = batches.next();
          if (next.done) {
            post({ type: 'done', task: msg.task, size: next.value.size, ctimeAfter: next.value.ctimeAfter });
            break;
          }
          const transfer: ArrayBuffer[] = [];
          post({ type: 'chunks', task: msg.task, chunks: toWire(next.value, transfer) }, transfer);
        }
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        post({ type: 'error', task: msg.task, code: err.code ?? 'Error', message: err.message, ...(err.errno !== undefined ? { errno: err.errno } : {}) });
      }
      return;
    }
  }
});
