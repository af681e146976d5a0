// The `none` codec (header 00 00): the data as is. Deciding codecs fall back to it when compressing
// does not make the data smaller.

import { HEADERS, checkSize, withHeader } from './payload.js';

export function compressNone(data: Uint8Array): Buffer {
  return withHeader(HEADERS.none, data);
}

/** The data after the header, as a view into `payload` (no copy). */
export function decompressNone(payload: Buffer, maxSize: number): Buffer {
  checkSize('none', payload.length - 2, maxSize);
  return payload.subarray(2);
}
