// Reading a file's chunks for extraction: the repository gets the whole chunk list at once (a
// remote repository keeps many requests in flight), and each envelope is opened (MAC checked,
// decrypted, decompressed, id verified) by one replaceable function. Opening may be asynchronous:
// a worker pool can take it over, and then up to `window` chunks are opened in parallel while the
// caller writes earlier ones — results still come back in order.
import type { ObjectCodec } from '../../crypto/object-codec.js';
import type { ObjectLocation, Repository } from '../../repository/repository.js';

/** A chunk as the repository stores it: its envelope, or (a local repository) where it lies. */
export type StoredChunk = Buffer | ObjectLocation;

/** Turns a stored envelope into the chunk's plaintext; throws (IntegrityError, ...) if it cannot. */
export type OpenChunk = (id: Buffer, envelope: Buffer) => Buffer | Promise<Buffer>;

/** Opens chunks on the calling thread with the session's codec. */
export function codecOpener(codec: ObjectCodec): OpenChunk {
  return (id, envelope) => codec.unpack(id, envelope);
}

/** A small file to create (as writeNewFile does: whatever is in the way is removed first). */
export interface FileToWrite {
  /** Absolute path, as bytes. */
  path: Buffer;
  mode: number;
  /** -1: leave as is. */
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/**
 * Opens the chunks of a small file (`envelopes` of `ids`) and creates it elsewhere (a worker
 * thread); resolves to its bytes of content. Rejects with the chunk's error (then nothing was
 * created) or the system error of creating it.
 */
export type WriteFile = (file: FileToWrite, ids: readonly Buffer[], envelopes: readonly StoredChunk[]) => Promise<number>;

/**
 * Opens a chunk and writes its plaintext at `position` of the open file `fd` elsewhere (a worker
 * thread); resolves to its length. A plaintext that is not `length` bytes long is not written but
 * resolved as it is. With `sparse`, an all-zero chunk is left a hole.
 */
export type WriteChunkAt = (id: Buffer, envelope: StoredChunk, fd: number, position: number, length: number, sparse: boolean) => Promise<Buffer | number>;

export interface ChunkSource {
  readonly repository: Repository;
  readonly openChunk: OpenChunk;
  /** Where there is one, small files are handed over whole to be opened and written. */
  readonly writeFile?: WriteFile | undefined;
  /** Where there is one, the chunks of bigger files are written by whoever opens them. */
  readonly writeChunkAt?: WriteChunkAt | undefined;
}

const DEFAULT_WINDOW = 4;

/** The plaintexts of `ids`, in order. */
export async function* readChunks(source: ChunkSource, ids: readonly Buffer[], window = DEFAULT_WINDOW): AsyncIterable<Buffer> {
  if (ids.length === 0) return;
  const opening: Promise<Buffer>[] = [];
  let index = 0;
  for await (const envelope of source.repository.getMany(ids)) {
    const id = ids[index++]!;
    const result = (async () => source.openChunk(id, envelope))();
    // A failure is raised when its turn comes; until then it must not count as unhandled.
    result.catch(() => undefined);
    opening.push(result);
    if (opening.length >= window) yield await opening.shift()!;
  }
  while (opening.length > 0) yield await opening.shift()!;
}
