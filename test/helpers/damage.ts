// Test helper: damaging a repository the ways disks and bugs do, so that `check` has something to
// find — a flipped bit in one stored object (with or without a matching segment CRC), in the index
// file, a truncated or deleted segment, and one object deleted properly (a "missing chunk"). Also a
// map of what the objects are (manifest, archive metadata, item-stream chunks, file chunks), read
// with borg-ts's own reader from an intact repository.
import { readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { loadArchiveMeta } from '../../src/archive/archive-meta.js';
import { iterItems } from '../../src/archive/item-stream.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { MANIFEST_ID } from '../../src/crypto/index.js';
import { indexTransactionId, readIndex } from '../../src/repository/index-files.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { parseLocation } from '../../src/remote/location.js';

/** Segment layout: crc32 u32, size u32, tag u8, id (32 bytes), then the stored envelope. */
const PUT_HEADER = 41;

export interface ObjectPosition {
  segment: number;
  offset: number;
  /** Length of the whole entry, header included. */
  size: number;
  file: string;
}

export interface ArchiveLayout {
  name: string;
  id: Buffer;
  itemIds: Buffer[];
  /** path -> ids of its file chunks, in order. */
  files: Map<string, Buffer[]>;
}

export interface RepoLayout {
  archives: ArchiveLayout[];
}

function segmentFile(repo: string, segment: number): string {
  return join(repo, 'data', String(Math.floor(segment / 1000)), String(segment));
}

/** Where the committed index says an object is stored. */
export function objectPosition(repo: string, id: Uint8Array): ObjectPosition {
  const tid = indexTransactionId(repo);
  if (tid === undefined) throw new Error(`No index in ${repo}`);
  const at = readIndex(repo, tid).get(id);
  if (!at) throw new Error(`Object ${Buffer.from(id).toString('hex')} is not in the index of ${repo}`);
  const file = segmentFile(repo, at.segment);
  const size = readFileSync(file).readUInt32LE(at.offset + 4);
  return { ...at, size, file };
}

/**
 * Flips the lowest bit of the object's last stored byte (inside the encrypted or compressed
 * payload). The segment CRC then no longer matches — a plain check finds it — unless `fixCrc`
 * rewrites the CRC too, leaving damage that only --verify-data (decrypt and authenticate) can see.
 */
export function flipObjectBit(repo: string, id: Uint8Array, options: { fixCrc?: boolean; fromEnd?: number } = {}): ObjectPosition {
  const pos = objectPosition(repo, id);
  const bytes = readFileSync(pos.file);
  const at = pos.offset + pos.size - 1 - (options.fromEnd ?? 0);
  if (at < pos.offset + PUT_HEADER) throw new Error('Cannot flip a bit before the object data');
  bytes[at]! ^= 0x01;
  if (options.fixCrc) bytes.writeUInt32LE(crc32(bytes.subarray(pos.offset + 4, pos.offset + pos.size)), pos.offset);
  writeFileSync(pos.file, bytes);
  return pos;
}

/** Cuts a segment file to `length` bytes (default: in the middle of its last object). */
export function truncateSegment(repo: string, segment: number, length?: number): void {
  const file = segmentFile(repo, segment);
  truncateSync(file, length ?? readFileSync(file).length - 20);
}

export function deleteSegment(repo: string, segment: number): void {
  rmSync(segmentFile(repo, segment));
}

/** Numbers of the segment files, ascending. */
export function segmentNumbers(repo: string): number[] {
  const out: number[] = [];
  for (const dir of readdirSync(join(repo, 'data'))) {
    for (const name of readdirSync(join(repo, 'data', dir))) if (/^\d+$/.test(name)) out.push(Number(name));
  }
  return out.sort((a, b) => a - b);
}

/** Flips one bit in the middle of the committed index file (its integrity hash stops matching). */
export function flipIndexBit(repo: string): string {
  const tid = indexTransactionId(repo);
  const file = join(repo, `index.${tid}`);
  const bytes = readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  writeFileSync(file, bytes);
  return file;
}

/** Deletes one object the proper way (a DELETE entry and a commit): the repository stays consistent. */
export async function deleteObject(repo: string, id: Uint8Array): Promise<void> {
  const repository = await LocalRepository.open(repo, { exclusive: true });
  try {
    await repository.delete(id);
    await repository.commit({ compact: false });
  } finally {
    await repository.close();
  }
}

/** What every object of an intact repository is, read with borg-ts's reader. */
export async function repoLayout(repo: string, env: Record<string, string | undefined>): Promise<RepoLayout> {
  const session = await RepositorySession.open(parseLocation(repo, { env }), { env, confirm: confirmFromEnv(env) });
  try {
    const archives: ArchiveLayout[] = [];
    for (const entry of session.manifest.archives.values()) {
      const loaded = await loadArchiveMeta(session.repository, session.codec, session.key, entry.id);
      const files = new Map<string, Buffer[]>();
      for await (const item of iterItems(session.repository, session.codec, loaded.meta.items)) {
        if (item.chunks) files.set(item.path, item.chunks.map((c) => c.id));
      }
      archives.push({ name: entry.name, id: entry.id, itemIds: loaded.meta.items, files });
    }
    return { archives };
  } finally {
    await session.close();
  }
}

/** The segment the manifest (always written last, in its own segment) lives in. */
export function manifestSegment(repo: string): number {
  return objectPosition(repo, MANIFEST_ID).segment;
}
