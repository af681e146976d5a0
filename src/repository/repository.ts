// The key-value store every upper layer talks to (spec §6.3 lists the same methods as borg's RPC
// surface): LocalRepository implements it on a directory, RemoteRepository over `borg serve`.
import type { CheckOptions } from './repository-check.js';
import type { ScannedPut } from './segment-reader.js';
import type { CommitOptions } from './transaction.js';

export type { CheckFinding, CheckOptions } from './repository-check.js';
export type { CommitOptions } from './transaction.js';
export type { ScannedPut } from './segment-reader.js';

/** The objects of one segment file: entry offsets (ascending) and their ids, 32 bytes each, in the same order. */
export interface SegmentLayout {
  segment: number;
  path: string;
  offsets: number[];
  ids: Buffer;
}

/** Where one object lies: its PUT entry at `offset` of segment `segment`, the file `path`. */
export interface ObjectLocation {
  segment: number;
  offset: number;
  path: string;
}

/** Ids are 32 bytes; objects are opaque (encrypted envelopes). */
export interface Repository {
  /** The 32-byte repository id from the config. */
  readonly id: Buffer;

  /** The object stored under `id`; ObjectNotFound if there is none. */
  get(id: Uint8Array): Promise<Buffer>;
  /** The objects for `ids`, in the same order (remote repositories pipeline these). */
  getMany(ids: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Buffer>;
  /** Stores or replaces an object in the current transaction (started implicitly). */
  put(id: Uint8Array, data: Uint8Array): Promise<void>;
  /**
   * Removes an object in the current transaction; ObjectNotFound if there is none. With
   * `wait: false` a remote repository sends the request without waiting for the answer (many
   * deletes in a row), and an error comes from a later call or from commit.
   */
  delete(id: Uint8Array, options?: { wait?: boolean }): Promise<void>;
  /** Makes the transaction durable; compaction only with `compact` (borg 1.2 commands pass false). */
  commit(options?: CommitOptions): Promise<void>;
  /** Forgets the uncommitted transaction. */
  rollback(): Promise<void>;

  /** Up to `limit` ids after `marker`, in index (bucket) order. */
  list(limit?: number | null, marker?: Uint8Array | null): Promise<Buffer[]>;
  /** Up to `limit` ids after `marker`, in on-disk (segment, offset) order: for linear reads. */
  scan(limit?: number | null, marker?: Uint8Array | null): Promise<Buffer[]>;
  /**
   * Optional (local repositories): every object with its data in on-disk order, read sequentially —
   * what scan() and getMany() give, in one pass. An unreadable object comes with its error. The
   * data is valid only until the next object is asked for.
   */
  scanData?(): AsyncIterable<ScannedPut>;
  /**
   * Optional (local repositories): where every object lies, segment by segment in on-disk order, for
   * readers that read the segment files themselves. Only after a check in this session has read every
   * segment the index points into with all CRC checks, and nothing was written since; else null.
   */
  objectLayout?(): Promise<SegmentLayout[] | null>;
  /**
   * Optional (local repositories): where the objects `ids` lie, for readers that read the segment
   * files themselves (entries checked as get() checks them); null for an id there is no object for.
   */
  locate?(ids: readonly Uint8Array[]): Promise<Array<ObjectLocation | null>>;
  /** Number of objects. */
  len(): Promise<number>;

  /** The repokey blob from the config (empty when the key lives elsewhere). */
  loadKey(): Promise<Buffer>;
  saveKey(data: Uint8Array): Promise<void>;
  /** The next unreserved AES-CTR counter value recorded in the repository, or null (exclusive lock). */
  getFreeNonce(): Promise<bigint | null>;
  /** Records a new reservation end, only if the stored value still equals `start`. */
  commitNonceReservation(next: bigint, start: bigint | null): Promise<void>;

  /** Removes any lock, also those of other processes. */
  breakLock(): Promise<void>;
  /** Deletes the whole repository (refused in append-only mode). */
  destroy(): Promise<void>;
  /** Verifies segments and index; see CheckOptions. True if no error remains. */
  check(options?: CheckOptions): Promise<boolean>;
  /** Releases the lock and files; an uncommitted transaction is left behind as garbage. */
  close(): Promise<void>;
}
