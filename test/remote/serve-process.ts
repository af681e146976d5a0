// A `borg-ts serve` process (the built bin) driven over plain pipes, as a client would drive it
// through ssh: requests are encoded with the RPC codec, responses decoded and matched by msgid, and
// the server's stderr is kept for inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { MsgValue } from '../../src/format/msgpack.js';
import { type ParsedResponse, type RpcArgs, RpcStreamDecoder, completeArgs, encodeRequest, parseResponse } from '../../src/remote/rpc/rpc-codec.js';
import { BORG_VERSION_TUPLE } from '../../src/version.js';
import { BIN } from '../interop/tools.js';

export interface ServeProcessOptions {
  args?: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export class ServeProcess {
  readonly child: ChildProcess;
  stdout = Buffer.alloc(0);
  stderr = '';
  #msgid = 0;
  readonly #decoder = new RpcStreamDecoder('client');
  readonly #responses = new Map<number, ParsedResponse>();
  readonly #waiting = new Map<number, (r: ParsedResponse) => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(options: ServeProcessOptions) {
    this.child = spawn(process.execPath, [BIN, 'serve', ...(options.args ?? [])], {
      cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout = Buffer.concat([this.stdout, chunk]);
      this.#decoder.feed(chunk);
      for (const value of this.#decoder) {
        const response = parseResponse(value);
        const waiter = this.#waiting.get(response.msgid);
        if (waiter) {
          this.#waiting.delete(response.msgid);
          waiter(response);
        } else {
          this.#responses.set(response.msgid, response);
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    // A request written after the server went away is the test's business, not a crash.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Sends a request without waiting; returns its msgid. Dict format unless `legacy`. */
  send(method: string, args: RpcArgs = {}, options: { legacy?: boolean } = {}): number {
    const msgid = ++this.#msgid;
    const full = options.legacy ? args : completeArgs(method, args);
    this.child.stdin!.write(encodeRequest(msgid, method, full, options));
    return msgid;
  }

  response(msgid: number): Promise<ParsedResponse> {
    const ready = this.#responses.get(msgid);
    if (ready) {
      this.#responses.delete(msgid);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.set(msgid, resolve);
      void this.exited.then(() => {
        if (this.#waiting.has(msgid)) reject(new Error(`serve exited before answering ${msgid}; stderr:\n${this.stderr}`));
      });
    });
  }

  /** Sends a request built by the test (e.g. for an unknown method) for the next msgid; returns it. */
  sendRaw(build: (msgid: number) => Uint8Array): number {
    const msgid = ++this.#msgid;
    this.child.stdin!.write(build(msgid));
    return msgid;
  }

  async call(method: string, args: RpcArgs = {}, options: { legacy?: boolean } = {}): Promise<ParsedResponse> {
    return this.response(this.send(method, args, options));
  }

  /** Like call, but the result; throws with the server's error otherwise. */
  async result(method: string, args: RpcArgs = {}): Promise<MsgValue> {
    const r = await this.call(method, args);
    if (r.error) throw new Error(`${method}: ${r.error.className}: ${r.error.short.join(' ')}`);
    return r.result!;
  }

  /** The handshake of a borg 1.2 client: legacy negotiate, then dict format. */
  async negotiate(): Promise<MsgValue> {
    const r = await this.call('negotiate', { client_data: { client_version: [...BORG_VERSION_TUPLE] } }, { legacy: true });
    return r.result!;
  }

  /** Closes stdin (the client is done) and waits for the process. */
  async end(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin!.end();
    return this.exited;
  }
}

/** Whether a repository has any lock in place. */
export function isLocked(repo: string): boolean {
  return existsSync(`${repo}/lock.exclusive`) || existsSync(`${repo}/lock.roster`);
}
