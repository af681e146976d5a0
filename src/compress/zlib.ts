// The `zlib` codec: a plain zlib stream (RFC 1950) without a borg header, recognised by its own
// CMF/FLG bytes (spec §3.1). Not deciding: borg stores zlib output even when it is larger.

import { deflateSync, inflateSync } from 'node:zlib';

import { checkSize, decompressionFailed, owned, tooLarge } from './payload.js';

/** A valid zlib header: deflate method (CM 8) and a header checksum that is a multiple of 31. */
export function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
}

export function compressZlib(data: Buffer, level: number): Buffer {
  return owned(deflateSync(data, { level }));
}

export function decompressZlib(payload: Buffer, maxSize: number): Buffer {
  let out: Buffer;
  try {
    out = inflateSync(payload, { maxOutputLength: Math.max(1, maxSize) });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('zlib', maxSize);
    throw decompressionFailed('zlib', error);
  }
  checkSize('zlib', out.length, maxSize);
  return owned(out);
}
