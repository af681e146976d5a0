// Salvaging a damaged segment for `check --repair`: keep every entry that still has a plausible
// header and a valid CRC, skipping damaged bytes one at a time until the next such entry. The file
// is read whole (repair is rare and segments are bounded by max_segment_size) and replaced atomically.
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { saveFile } from '../platform/save-file.js';
import { HEADER_SIZE, MAGIC, MAGIC_LEN, MAX_OBJECT_SIZE, MAX_TAG_ID } from './segment-format.js';
import type { SegmentPaths } from './segment-paths.js';
import type { SegmentReader } from './segment-reader.js';

export async function recoverSegment(paths: SegmentPaths, reader: SegmentReader, segment: number, fileMode: number): Promise<void> {
  await reader.forget(segment);
  const filename = paths.filename(segment);
  const src = readFileSync(filename);
  const out: Buffer[] = [MAGIC];
  if (src.length >= MAGIC_LEN + HEADER_SIZE) {
    // Scanning starts at 0, not after the magic: a damaged magic must not hide the first entry.
    let pos = 0;
    while (src.length - pos >= HEADER_SIZE) {
      const crc = src.readUInt32LE(pos);
      const size = src.readUInt32LE(pos + 4);
      const tag = src[pos + 8]!;
      const plausible = size <= MAX_OBJECT_SIZE && tag <= MAX_TAG_ID && size >= HEADER_SIZE && size <= src.length - pos;
      if (!plausible || crc32(src.subarray(pos + 4, pos + size)) !== crc) {
        pos += 1;
        continue;
      }
      out.push(src.subarray(pos, pos + size));
      pos += size;
    }
  }
  saveFile(filename, Buffer.concat(out), fileMode);
}
