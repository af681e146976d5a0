// The `lzma` codec (header 02 00): an .xz container with no integrity check, as Python's
// `lzma.compress(data, preset=level, check=CHECK_NONE)` writes it (spec §3.1). Deciding: falls back
// to `none` when not smaller.
//
// lzma-native's JS streams are asynchronous, but its native stream object also codes synchronously
// when `code(input, false)` is called: the output arrives through `bufferHandler` before `code`
// returns. That is what is used here, so this codec works inside worker threads without a callback.

import { createRequire } from 'node:module';

import { compressNone } from './none.js';
import { HEADERS, decompressionFailed, ownedBuffer, tooLarge } from './payload.js';

type BufferHandler = (buf: Buffer | null | undefined, processedChunks: number | undefined, error: Error | null | undefined) => void;

interface NativeLzmaStream {
  bufferHandler: BufferHandler;
  easyEncoder_(preset: number, check: number): number;
  streamDecoder_(memlimit: number | null, flags: number): number;
  setBufsize(size: number): number;
  /** Codes `input` (or finishes the stream for null); synchronous when `async` is false. */
  code(input: Buffer | null, async: boolean): void;
  resetUnderlying(): void;
}

interface LzmaNative {
  Stream: new () => NativeLzmaStream;
  CHECK_NONE: number;
}

// Loaded at first use: most runs never meet an lzma chunk, and the addon costs ~50 ms to load.
let lzmaBinding: LzmaNative | undefined;
function lzma(): LzmaNative {
  return lzmaBinding ??= createRequire(import.meta.url)('lzma-native') as LzmaNative;
}

/** Enough for the dictionary of preset 9 (64 MiB); a header asking for more is refused. */
const DECODER_MEMORY_LIMIT = 128 << 20;
/**
 * Compressed input is fed to the decoder in pieces of this size, and the output checked after each:
 * LZMA expands at most about 7000:1, so no single step can overshoot the size limit by more than
 * about 28 MiB before the decoder is stopped.
 */
const DECODE_PIECE_SIZE = 4096;
/** Output arrives in pieces of this size; the binding zero-fills one such buffer per `code` call. */
const DECODE_OUTPUT_SIZE = 64 << 10;
const ENCODE_OUTPUT_SIZE = 1 << 20;

/** Runs a native stream synchronously over `pieces`, then finishes it; `check` sees the running output size. */
function runStream(stream: NativeLzmaStream, pieces: Iterable<Buffer>, outputSize: number,
  check: (outputSize: number) => void): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  let failure: Error | null = null;
  stream.bufferHandler = (buf, _processedChunks, error) => {
    if (error) failure = error;
    else if (buf) {
      parts.push(buf);
      size += buf.length;
    }
  };
  stream.setBufsize(outputSize);
  try {
    for (const piece of pieces) {
      stream.code(piece, false);
      if (failure) throw failure;
      check(size);
    }
    stream.code(null, false);
    if (failure) throw failure;
    check(size);
  } finally {
    stream.resetUnderlying();
  }
  if (parts.length === 1) return parts[0]!;
  const out = ownedBuffer(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function* slices(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

export function compressLzma(data: Buffer, level: number): Buffer {
  if (data.length === 0) return compressNone(data);
  const stream = new (lzma().Stream)();
  stream.easyEncoder_(level, lzma().CHECK_NONE);
  // Stop as soon as the output is no gain (the result will be `none` anyway).
  const notSmaller = new Error('not smaller');
  let body: Buffer;
  try {
    body = runStream(stream, [data], ENCODE_OUTPUT_SIZE, (size) => {
      if (size >= data.length) throw notSmaller;
    });
  } catch (error) {
    if (error === notSmaller) return compressNone(data);
    throw error;
  }
  const out = ownedBuffer(2 + body.length);
  out.writeUInt16BE(HEADERS.lzma, 0);
  out.set(body, 2);
  return out;
}

export function decompressLzma(payload: Buffer, maxSize: number): Buffer {
  const body = payload.subarray(2);
  let out: Buffer;
  try {
    const stream = new (lzma().Stream)();
    stream.streamDecoder_(DECODER_MEMORY_LIMIT, 0);
    out = runStream(stream, slices(body, DECODE_PIECE_SIZE), DECODE_OUTPUT_SIZE, (size) => {
      if (size > maxSize) throw tooLarge('lzma', maxSize);
    });
  } catch (error) {
    throw decompressionFailed('lzma', error);
  }
  // A single output piece is a fresh buffer made by the binding; make sure the result owns its memory.
  return out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : Buffer.from(out);
}
