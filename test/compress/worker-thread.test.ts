// The codecs and the chunker are synchronous and must work inside worker threads, where the pipeline
// runs them (native addons have to be loadable there too).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  // Loader hooks do not reach worker threads in Node 20: load the TypeScript sources through tsx's API.
  const { tsImport } = await import(workerData.tsx);
  const { Compressor, decompress } = await tsImport(workerData.compress, workerData.compress);
  const { chunkBuffer, DEFAULT_CHUNKER_PARAMS } = await tsImport(workerData.chunker, workerData.chunker);
  const data = Buffer.concat([Buffer.alloc(600000, 7), Buffer.from('borg-ts in a worker '.repeat(50000))]);
  const results = {};
  for (const spec of ['lz4', 'zstd,3', 'zlib,6', 'lzma,1', 'obfuscate,2,auto,zstd']) {
    const payload = new Compressor(spec).compress(data);
    results[spec] = decompress(payload).equals(data) ? payload.length : -1;
  }
  results.chunks = chunkBuffer(DEFAULT_CHUNKER_PARAMS, 5, data).length;
  parentPort.postMessage(results);
})().catch((error) => parentPort.postMessage({ error: String(error && error.stack) }));
`;

describe('inside a worker thread', () => {
  it('compresses, decompresses and chunks', async () => {
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: {
        tsx: import.meta.resolve('tsx/esm/api'),
        compress: new URL('../../src/compress/index.ts', import.meta.url).href,
        chunker: new URL('../../src/chunker/index.ts', import.meta.url).href,
      },
    });
    const results = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(results.error, undefined);
    for (const spec of ['lz4', 'zstd,3', 'zlib,6', 'lzma,1', 'obfuscate,2,auto,zstd']) {
      assert.ok((results[spec] as number) > 0 && (results[spec] as number) < 600000, spec);
    }
    assert.equal(results.chunks, 1);
  });
});
