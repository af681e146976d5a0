// Throughput of borg-ts's pure kernels on one core: chunker, compressors, object envelope.
import { createChunker } from '../src/chunker/index.js';
import { DEFAULT_CHUNKER_PARAMS } from '../src/chunker/chunker-params.js';
import { Compressor, decompress, parseCompressionSpec } from '../src/compress/index.js';
import { Key } from '../src/crypto/index.js';

export type Measurements = Record<string, number>; // name -> MB/s

function best(run: () => number, repeat: number): number {
  let top = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    const bytes = run();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    top = Math.max(top, bytes / 1e6 / s);
  }
  return top;
}

export function measureBorgTs(data: Buffer, repeat = 2): Measurements {
  const m: Measurements = {};
  const block = 1 << 20;
  m['chunker buzhash 19,23,21,4095'] = best(() => {
    const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, 0);
    let n = 0;
    for (let off = 0; off < data.length; off += block) for (const c of chunker.update(data.subarray(off, off + block))) n += c.length;
    for (const c of chunker.final()) n += c.length;
    return n;
  }, repeat);
  const small = data.subarray(0, 64 << 20);
  const pieces: Buffer[] = [];
  for (let off = 0; off < small.length; off += 2 << 20) pieces.push(small.subarray(off, off + (2 << 20)));
  for (const spec of ['lz4', 'zstd,3', 'zlib,6', 'lzma,6']) {
    const input = spec.startsWith('lzma') ? pieces.slice(0, 8) : pieces;
    const total = input.reduce((a, p) => a + p.length, 0);
    const compressor = new Compressor(parseCompressionSpec(spec));
    let packed: Buffer[] = [];
    m[`compress ${spec}`] = best(() => {
      packed = input.map((p) => compressor.compress(p));
      return total;
    }, repeat);
    m[`decompress ${spec}`] = best(() => {
      for (const p of packed) decompress(p);
      return total;
    }, repeat);
  }
  const chunks: Buffer[] = [];
  for (let off = 0; off < data.length; off += 2 << 20) chunks.push(data.subarray(off, off + (2 << 20)));
  for (const mode of ['repokey', 'repokey-blake2'] as const) {
    const key = Key.generate(mode, Buffer.alloc(32));
    m[`envelope ${mode} (id hash + encrypt + MAC)`] = best(() => {
      let iv = 0n;
      for (const c of chunks) {
        key.idHash(c);
        key.seal(c, iv);
        iv += BigInt(Key.blocksFor(c.length));
      }
      return data.length;
    }, repeat);
  }
  return m;
}
