// A repository behind `borg serve` (real borg's or ours), reached through a remote shell. Reads are
// pipelined: getMany keeps up to 100 `get` requests in flight, like borg's client. Writes (put, and
// delete with `wait: false`) are asynchronous: they return once sent (within the upload buffer), at
// most ASYNC_WINDOW stay unanswered, and an error the server answers to one of them is thrown at
// the next synchronous call. commit first waits for every write to be answered, so that a failed write
// can never be followed by a commit: after any error or a lost connection the repository stays at
// its last commit.
import { BorgError } from '../errors.js';
import type { MsgValue } from '../format/msgpack.js';
import type { CheckOptions, CommitOptions, Repository } from '../repository/repository.js';
import type { Location } from './location.js';
import type { RemoteLogSinks } from './remote-log.js';
import { RpcConnection } from './rpc-connection.js';
import { sshArgv, type ServeCommandOptions } from './ssh-command.js';

/** `get` requests in flight at most (borg's MAX_INFLIGHT). */
export const MAX_INFLIGHT = 100;
/** Unanswered asynchronous writes at most. */
export const ASYNC_WINDOW = 1000;

export interface RemoteOptions extends ServeCommandOptions {
  /** kiB/s (--upload-ratelimit); 0 or undefined = unlimited. */
  uploadRatelimit?: number;
  /** MiB (--upload-buffer); 0 or undefined = no buffer. */
  uploadBuffer?: number;
  /** Where the server's log lines and progress go. */
  sinks?: RemoteLogSinks;
}

export interface RemoteOpenOptions {
  env: Readonly<Record<string, string | undefined>>;
  remote?: RemoteOptions;
  create?: boolean;
  /** true: exclusive lock (writers); false: shared (readers). */
  exclusive?: boolean;
  /** Seconds (null = forever), passed to the server. */
  lockWait?: number | null;
  lock?: boolean;
  appendOnly?: boolean;
  makeParentDirs?: boolean;
}

function asBuffer(value: MsgValue, what: string): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new BorgError(`unexpected RPC data format from server: ${what} is not bytes`, { code: 'UnexpectedRPCDataFormatFromServer' });
}

function asIds(value: MsgValue, what: string): Buffer[] {
  if (!Array.isArray(value)) throw new BorgError(`unexpected RPC data format from server: ${what} is not a list`, { code: 'UnexpectedRPCDataFormatFromServer' });
  return value.map((v) => asBuffer(v, what));
}

function asBigint(value: MsgValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new BorgError('unexpected RPC data format from server: nonce is not an integer', { code: 'UnexpectedRPCDataFormatFromServer' });
}

/** msgpack integers up to 2^53 as numbers, larger ones as bigints (both are u64 on the wire). */
function u64(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export class RemoteRepository implements Repository {
  private constructor(
    readonly location: Location,
    readonly id: Buffer,
    private readonly connection: RpcConnection,
  ) {}

  /** Connects, negotiates and opens (or with `create`, creates) the repository on the server. */
  static async open(location: Location, options: RemoteOpenOptions): Promise<RemoteRepository> {
    const remote = options.remote ?? {};
    const argv = sshArgv(location, remote, options.env);
    const connection = await RpcConnection.connect(argv, {
      env: options.env,
      location: location.processed,
      ...(remote.sinks ? { sinks: remote.sinks } : {}),
      uploadRatelimit: (remote.uploadRatelimit ?? 0) * 1024,
      uploadBuffer: (remote.uploadBuffer ?? 0) * 1024 * 1024,
    });
    try {
      const id = await connection.call('open', {
        path: location.path,
        create: options.create ?? false,
        lock_wait: options.lockWait === undefined ? 1 : options.lockWait,
        lock: options.lock ?? true,
        exclusive: options.exclusive ?? false,
        append_only: options.appendOnly ?? false,
        make_parent_dirs: options.makeParentDirs ?? false,
      });
      return new RemoteRepository(location, asBuffer(id, 'repository id'), connection);
    } catch (e) {
      await connection.close();
      throw e;
    }
  }

  /** Bytes sent to and received from the server so far. */
  get traffic(): { sent: number; received: number } {
    return { sent: this.connection.sent, received: this.connection.received };
  }

  async get(id: Uint8Array): Promise<Buffer> {
    return asBuffer(await this.connection.call('get', { id }), 'object');
  }

  /**
   * Keeps up to MAX_INFLIGHT gets on the wire while the caller consumes results in order. Ids are
   * pulled from `ids` as room frees up, independently of the caller, so an id source that waits for
   * earlier results cannot stall the pipeline.
   */
  async *getMany(ids: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
    const inFlight: Array<Promise<MsgValue>> = [];
    let finished = false;
    let stopped = false;
    let feedError: unknown = null;
    let wakeConsumer: (() => void) | null = null;
    let wakeFeeder: (() => void) | null = null;
    const wake = (which: 'consumer' | 'feeder'): void => {
      const fn = which === 'consumer' ? wakeConsumer : wakeFeeder;
      if (which === 'consumer') wakeConsumer = null;
      else wakeFeeder = null;
      fn?.();
    };
    const feeder = (async () => {
      try {
        for await (const id of ids) {
          if (stopped) return;
          while (inFlight.length >= MAX_INFLIGHT && !stopped) await new Promise<void>((resolve) => (wakeFeeder = resolve));
          if (stopped) return;
          const result = this.connection.call('get', { id });
          // Failures are raised in order by the consumer; until then they are not unhandled.
          result.catch(() => undefined);
          inFlight.push(result);
          wake('consumer');
        }
      } catch (e) {
        feedError = e;
      } finally {
        finished = true;
        wake('consumer');
      }
    })();
    try {
      for (;;) {
        const next = inFlight.shift();
        if (next === undefined) {
          if (finished) break;
          await new Promise<void>((resolve) => (wakeConsumer = resolve));
          continue;
        }
        wake('feeder');
        yield asBuffer(await next, 'object');
      }
      if (feedError !== null) throw feedError;
    } finally {
      // Not awaited: an id source that waits for this consumer would never let the feeder finish.
      stopped = true;
      wake('feeder');
      void feeder;
    }
  }

  put(id: Uint8Array, data: Uint8Array): Promise<void> {
    return this.connection.callAsync('put', { id, data }, ASYNC_WINDOW);
  }

  async delete(id: Uint8Array, options: { wait?: boolean } = {}): Promise<void> {
    if (options.wait === false) return this.connection.callAsync('delete', { id }, ASYNC_WINDOW);
    await this.connection.call('delete', { id });
  }

  async commit(options: CommitOptions = {}): Promise<void> {
    await this.connection.drainAsync();
    await this.connection.call('commit', {
      compact: options.compact ?? true,
      threshold: options.threshold ?? 0.1,
      cleanup_commits: options.cleanupCommits ?? false,
    });
  }

  async rollback(): Promise<void> {
    // The writes being rolled back no longer matter, nor do their errors (also those still coming).
    await this.connection.drainAsync().catch(() => undefined);
    this.connection.takeAsyncError();
    await this.connection.call('rollback');
  }

  async list(limit: number | null = null, marker: Uint8Array | null = null): Promise<Buffer[]> {
    return asIds(await this.connection.call('list', { limit, marker }), 'list result');
  }

  async scan(limit: number | null = null, marker: Uint8Array | null = null): Promise<Buffer[]> {
    return asIds(await this.connection.call('scan', { limit, marker }), 'scan result');
  }

  async len(): Promise<number> {
    const n = await this.connection.call('__len__');
    if (typeof n !== 'number') throw new BorgError('unexpected RPC data format from server: length is not an integer', { code: 'UnexpectedRPCDataFormatFromServer' });
    return n;
  }

  async loadKey(): Promise<Buffer> {
    return asBuffer(await this.connection.call('load_key'), 'key');
  }

  async saveKey(data: Uint8Array): Promise<void> {
    await this.connection.call('save_key', { keydata: data });
  }

  async getFreeNonce(): Promise<bigint | null> {
    const value = await this.connection.call('get_free_nonce');
    return value === null ? null : asBigint(value);
  }

  async commitNonceReservation(next: bigint, start: bigint | null): Promise<void> {
    await this.connection.call('commit_nonce_reservation', { next_unreserved: u64(next), start_nonce: start === null ? null : u64(start) });
  }

  async breakLock(): Promise<void> {
    await this.connection.call('break_lock');
  }

  async destroy(): Promise<void> {
    await this.connection.drainAsync().catch(() => undefined);
    await this.connection.call('destroy');
  }

  /**
   * The repository check runs on the server; its findings arrive as the server's log lines (so
   * `onFinding` is not called). True if the server found no problem it could not repair.
   */
  async check(options: CheckOptions = {}): Promise<boolean> {
    const ok = await this.connection.call('check', { repair: options.repair ?? false, max_duration: options.maxDuration ?? 0 });
    return ok === true;
  }

  /** Ends the session; the server releases the lock. An uncommitted transaction is left as garbage. */
  async close(): Promise<void> {
    await this.connection.close();
  }
}
