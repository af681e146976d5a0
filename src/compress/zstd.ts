// The `zstd` codec (header 03 00): one zstd frame that records the content size, which borg's
// decompressor needs (spec §3.1). Deciding: falls back to `none` when not smaller.

import { createRequire } from 'node:module';

import { compressNone } from './none.js';
import { HEADERS, checkSize, decompressionFailed, ownedBuffer } from './payload.js';

type ZstdBinding = typeof import('zstd-napi/binding.js');

// Loaded at first use: runs that never meet a zstd chunk do not pay for loading the addon.
let zstdBinding: ZstdBinding | undefined;
function zstd(): ZstdBinding {
  return zstdBinding ??= createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
}

// Per-thread contexts and scratch, reused across calls (creating a context per call costs more than
// compressing a small chunk).
let cctx: InstanceType<ZstdBinding['CCtx']> | null = null;
let cctxLevel = 0;
let dctx: InstanceType<ZstdBinding['DCtx']> | null = null;
let scratch = Buffer.alloc(0);

export function compressZstd(data: Buffer, level: number): Buffer {
  if (cctx === null) cctx = new (zstd().CCtx)();
  if (cctxLevel !== level) {
    cctx.setParameter(zstd().CParameter.compressionLevel, level);
    cctxLevel = level;
  }
  const bound = zstd().compressBound(data.length);
  if (scratch.length < bound) scratch = Buffer.allocUnsafeSlow(bound);
  // compress2 knows the whole input, so the frame header carries the content size.
  const size = cctx.compress2(scratch, data);
  if (size >= data.length) return compressNone(data);
  const out = ownedBuffer(2 + size);
  out.writeUInt16BE(HEADERS.zstd, 0);
  scratch.copy(out, 2, 0, size);
  return out;
}

export function decompressZstd(payload: Buffer, maxSize: number): Buffer {
  const frame = payload.subarray(2);
  try {
    const size = zstd().getFrameContentSize(frame);
    if (size === null) throw new Error('the frame does not record its content size');
    checkSize('zstd', size, maxSize);
    if (dctx === null) dctx = new (zstd().DCtx)();
    const out = ownedBuffer(size);
    const written = dctx.decompress(out, frame);
    if (written !== size) throw new Error(`the frame holds ${written} bytes but records ${size}`);
    return out;
  } catch (error) {
    throw decompressionFailed('zstd', error);
  }
}
