// One connection to `borg serve` through a remote shell (spec §6.1–6.6): the child process, the
// message framing both ways, message ids, the calls waiting for their answer, asynchronous calls
// whose errors are kept for the next synchronous point, the server's stderr forwarded to the log,
// and the negotiation (always in the legacy form first, then the dict form with servers >= 1.1).
//
// Responses arrive in request order on a 1.2 server, but they are matched by msgid, so any order
// works. When the connection ends, every waiting call fails with ConnectionClosed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { BorgError } from '../errors.js';
import type { MsgValue } from '../format/msgpack.js';
import { isMap } from '../format/msgpack.js';
import { BORG_VERSION_TUPLE } from '../version.js';
import { ConnectionClosed, ConnectionClosedWithHint, RPCServerOutdated, UnsupportedRPCProtocol } from './errors.js';
import { forwardRemoteRecord, type RemoteLogSinks } from './remote-log.js';
import { errorFromRemote } from './rpc-error-mapping.js';
import { completeArgs, encodeRequest, parseResponse, RpcStreamDecoder, type RpcArgs } from './rpc/rpc-codec.js';
import { RemoteLogLineBuffer } from './rpc/rpc-log-lines.js';
import { compareVersions, getRpcMethod } from './rpc/rpc-methods.js';
import { UploadOutbox } from './upload-outbox.js';

/** The version a server is assumed to have until it tells (borg's fallback). */
const OLD_SERVER_VERSION = [1, 0, 8, -1];
/** The answer of a 1.0.x server to the negotiation. */
const LEGACY_PROTOCOL_VERSION = 2;
/** After stdout ended, how long to wait for the process to exit before failing the calls anyway. */
const CLOSE_GRACE_MS = 2000;

export interface ConnectionOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The location as the user wrote it, for error messages. */
  location: string;
  sinks?: RemoteLogSinks;
  /** Upload rate limit in bytes per second (0 = none). */
  uploadRatelimit?: number;
  /** Bytes an asynchronous call may leave unsent before it waits (0 = wait until sent). */
  uploadBuffer?: number;
}

interface Pending {
  resolve: (value: MsgValue) => void;
  reject: (error: unknown) => void;
}

/** borg's format_version: [1, 1, 0, -3, 3] → "1.1.0b3". */
export function formatVersion(version: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < version.length; i++) {
    const part = version[i]!;
    if (part >= 0) parts.push(String(part));
    else {
      if (part !== -1) parts[parts.length - 1] += `${{ [-2]: 'rc', [-3]: 'b', [-4]: 'a' }[part] ?? ''}${version[i + 1] ?? ''}`;
      break;
    }
  }
  return parts.join('.');
}

function pythonStr(value: MsgValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  return String(value);
}

export class RpcConnection {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #outbox: UploadOutbox;
  readonly #decoder = new RpcStreamDecoder('client');
  readonly #stderrLines = new RemoteLogLineBuffer();
  readonly #pending = new Map<number, Pending>();
  #settled: Array<() => void> = [];
  /** msgids of asynchronous calls not answered yet. */
  readonly #async = new Set<number>();
  #asyncError: BorgError | null = null;
  #asyncDrained: Array<() => void> = [];
  #msgid = 0;
  #closed: BorgError | null = null;
  #exited: Promise<void>;
  #legacy = true;
  #serverVersion: readonly number[] = OLD_SERVER_VERSION;
  readonly #uploadBuffer: number;
  received = 0;

  private constructor(argv: readonly string[], private readonly options: ConnectionOptions) {
    this.#uploadBuffer = options.uploadBuffer ?? 0;
    // The remote shell must survive the user's Ctrl-C: create writes a checkpoint over this
    // connection after SIGINT. An ignored signal stays ignored across exec (ssh keeps it so).
    this.#child = spawn('/bin/sh', ['-c', 'trap "" INT; exec "$@"', 'sh', ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...options.env } as NodeJS.ProcessEnv,
    });
    this.#outbox = new UploadOutbox(this.#child.stdin, { rateLimit: options.uploadRatelimit ?? 0 });
    // Writes to a dead process fail with EPIPE; the close handler below reports it.
    this.#child.stdin.on('error', () => undefined);
    this.#child.stdout.on('data', (data: Buffer) => this.#onStdout(data));
    this.#child.stderr.on('data', (data: Buffer) => this.#onStderr(data));
    let stdoutEnded: NodeJS.Timeout | null = null;
    this.#child.stdout.on('end', () => {
      stdoutEnded = setTimeout(() => this.#fail(new ConnectionClosed()), CLOSE_GRACE_MS);
      stdoutEnded.unref();
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (e) => {
        this.#fail(new BorgError(`Cannot start the remote shell "${argv[0]}": ${e.message}`, { code: 'Error' }));
        resolve();
      });
      this.#child.on('close', () => {
        if (stdoutEnded !== null) clearTimeout(stdoutEnded);
        for (const record of this.#stderrLines.flush()) forwardRemoteRecord(record, this.options.sinks ?? {});
        this.#fail(new ConnectionClosed());
        resolve();
      });
    });
  }

  /** Starts the remote shell and negotiates the protocol. */
  static async connect(argv: readonly string[], options: ConnectionOptions): Promise<RpcConnection> {
    const connection = new RpcConnection(argv, options);
    try {
      await connection.#negotiate();
    } catch (e) {
      await connection.kill();
      throw e instanceof ConnectionClosed ? new ConnectionClosedWithHint('Is borg working on the server?') : e;
    }
    return connection;
  }

  get serverVersion(): readonly number[] {
    return this.#serverVersion;
  }

  /** True while the old positional message format is in use (1.0.x servers). */
  get legacy(): boolean {
    return this.#legacy;
  }

  /** Bytes written to the server so far. */
  get sent(): number {
    return this.#outbox.sent;
  }

  async #negotiate(): Promise<void> {
    const answer = await this.call('negotiate', { client_data: { client_version: [...BORG_VERSION_TUPLE] } });
    if (answer === LEGACY_PROTOCOL_VERSION) return;
    const version = isMap(answer) ? answer['server_version'] : undefined;
    if (!Array.isArray(version) || !version.every((n) => typeof n === 'number')) {
      throw new UnsupportedRPCProtocol(JSON.stringify(answer, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    }
    this.#legacy = false;
    this.#serverVersion = version as number[];
  }

  /** The request bytes for a call, after borg's version rules for methods and arguments. */
  #encode(method: string, args: RpcArgs, async: boolean): Buffer {
    const m = getRpcMethod(method);
    if (m === undefined) throw new TypeError(`Unknown RPC method ${method}`);
    if (compareVersions(this.#serverVersion, m.since) < 0) throw new RPCServerOutdated(method, formatVersion(m.since));
    const full = completeArgs(method, args);
    for (const p of m.params) {
      if (p.since === undefined || compareVersions(this.#serverVersion, p.since) >= 0) continue;
      // An older server behaves as if the parameter had its default: only other values need a newer one.
      if (full[p.name] === p.default) delete full[p.name];
      else throw new RPCServerOutdated(`${method} ${p.name}=${pythonStr(full[p.name]!)}`, formatVersion(p.since));
    }
    // borg's client leaves `wait` out of asynchronous calls and sends its default otherwise.
    if (async) delete full['wait'];
    this.#msgid += 1;
    return encodeRequest(this.#msgid, method, full, { legacy: this.#legacy });
  }

  /** Calls a method and waits for its result. Errors of earlier asynchronous calls are thrown first. */
  call(method: string, args: RpcArgs = {}): Promise<MsgValue> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    const error = this.takeAsyncError();
    if (error !== null) return Promise.reject(error);
    let request: Buffer;
    try {
      request = this.#encode(method, args, false);
    } catch (e) {
      return Promise.reject(e);
    }
    const msgid = this.#msgid;
    const result = new Promise<MsgValue>((resolve, reject) => this.#pending.set(msgid, { resolve, reject }));
    this.#outbox.push(request);
    return result;
  }

  /**
   * Sends a call without waiting for its answer (put, delete). Like borg, a request is queued only
   * once no more than the upload buffer is left unsent (with no buffer: once the previous request
   * went out), so one request may still be on its way when this resolves. An error the server
   * answers is kept and thrown by the next synchronous call (or `drainAsync`).
   */
  async callAsync(method: string, args: RpcArgs, window: number): Promise<void> {
    if (this.#async.size >= window) await this.#waitAsyncBelow(window);
    await this.#outbox.waitUntilBelow(this.#uploadBuffer);
    if (this.#closed !== null) throw this.#closed;
    const error = this.takeAsyncError();
    if (error !== null) throw error;
    const request = this.#encode(method, args, true);
    this.#async.add(this.#msgid);
    this.#outbox.push(request);
  }

  /** Waits until every asynchronous call is answered, then throws the first error any of them got. */
  async drainAsync(): Promise<void> {
    await this.#waitAsyncBelow(1);
    const error = this.takeAsyncError();
    if (error !== null) throw error;
  }

  /** The kept error of an asynchronous call, if any (and forgets it). */
  takeAsyncError(): BorgError | null {
    const error = this.#asyncError;
    this.#asyncError = null;
    return error;
  }

  #waitAsyncBelow(limit: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.#closed !== null) reject(this.#closed);
        else if (this.#async.size < limit) resolve();
        else this.#asyncDrained.push(check);
      };
      check();
    });
  }

  #wakeAsyncWaiters(): void {
    for (const waiter of this.#asyncDrained.splice(0)) waiter();
  }

  #onStdout(data: Buffer): void {
    this.received += data.length;
    try {
      this.#decoder.feed(data);
      for (const message of this.#decoder) this.#onResponse(message);
    } catch (e) {
      this.#fail(e instanceof BorgError ? e : new BorgError(String(e), { code: 'UnexpectedRPCDataFormatFromServer' }));
      void this.kill();
    }
  }

  #onResponse(message: MsgValue): void {
    const response = parseResponse(message);
    const error = response.error !== undefined ? errorFromRemote(response.error, { location: this.options.location, msgid: response.msgid }) : null;
    if (this.#async.delete(response.msgid)) {
      // An asynchronous call returns nothing; only its first error is of interest.
      if (error !== null) this.#asyncError ??= error;
      this.#wakeAsyncWaiters();
      return;
    }
    const pending = this.#pending.get(response.msgid);
    if (pending === undefined) return;
    this.#pending.delete(response.msgid);
    // Settled after the I/O of this turn of the event loop: the server's log lines, written before
    // its answer but read separately, are then forwarded before the caller goes on.
    this.#settled.push(() => (error !== null ? pending.reject(error) : pending.resolve(response.result!)));
    if (this.#settled.length === 1) setImmediate(() => this.#settle());
  }

  #settle(): void {
    for (const settle of this.#settled.splice(0)) settle();
  }

  #onStderr(data: Buffer): void {
    this.received += data.length;
    for (const record of this.#stderrLines.push(data)) forwardRemoteRecord(record, this.options.sinks ?? {});
  }

  #fail(error: BorgError): void {
    if (this.#closed !== null) return;
    this.#closed = error;
    this.#settle();
    this.#outbox.fail(error);
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#wakeAsyncWaiters();
  }

  /** Ends the session: the server sees end of input, closes the repository (releasing its lock) and exits. */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.stdin.end();
    await this.#exited;
  }

  /** Stops the remote shell at once (after a protocol error or a failed start). */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
  }
}
