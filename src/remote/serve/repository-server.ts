// The server side of the `borg serve` protocol (spec §6): reads requests from the client's stream,
// answers each in order through the declared method table, and dispatches to one LocalRepository.
// Requests run one at a time; responses are gathered and written once the input at hand is answered.
// When the input ends (the client finished or died) or the process is told to stop, an uncommitted
// transaction is rolled back and the repository lock released.
import type { MsgValue } from '../../format/msgpack.js';
import { isMap } from '../../format/msgpack.js';
import { BorgError } from '../../errors.js';
import { LocalRepository } from '../../repository/local-repository.js';
import type { CheckFinding } from '../../repository/repository.js';
import { BORG_VERSION_TUPLE } from '../../version.js';
import {
  type ParsedRequest, type RpcArgs, InvalidRPCMethod, RpcArgumentError, RpcStreamDecoder, encodeErrorResponse, encodeResponse, parseRequest,
} from '../rpc/rpc-codec.js';
import { CLIENT_REBUILT, remoteErrorInfo } from './remote-error-info.js';
import { injectedException } from './injected-exception.js';
import type { ServerLog } from './server-log.js';
import { type PathEnvironment, type ServeRestrictions, checkRepositoryAllowed, effectiveAppendOnly, resolveRepositoryPath } from './serve-restrictions.js';

/** borg 1.0's protocol version: a client that negotiates with it speaks only the legacy format. */
const RPC_PROTOCOL_VERSION = 2;
/** Responses are written at the latest when this much is waiting. */
const FLUSH_BYTES = 1 << 20;

export interface RepositoryServerOptions extends PathEnvironment {
  restrictions: ServeRestrictions;
  log: ServerLog;
  /** Applied to the repository files the server creates (the server's --umask). */
  umask: number;
  /** Sent with error responses (see serverSysinfo). */
  sysinfo: string;
}

/** Writes bytes to the client; rejects when the client can no longer be reached. */
export type ResponseSink = (data: Buffer) => Promise<void>;

/** Why serving ended: the input ended, the process was told to stop, or the output broke. */
export type ServeEnd = 'end-of-input' | 'aborted' | 'output-closed';

/** Thrown by a ResponseSink when the client's end of the output is gone. */
export class OutputClosed extends Error {
  constructor(cause?: unknown) {
    super('The client closed the connection', cause !== undefined ? { cause } : undefined);
    this.name = 'OutputClosed';
  }
}

/** A call that needs an open repository before one was opened (borg answers with AttributeError). */
class NoRepositoryOpen extends BorgError {
  constructor(method: string) {
    super(`Cannot call ${method}: no repository is open`, { code: 'AttributeError', args: [method] });
  }
}

function text(v: MsgValue | undefined): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return String(v);
}

function bytes(v: MsgValue | undefined): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(String(v), 'utf8');
}

function optionalNumber(v: MsgValue | undefined): number | null {
  if (v === null || v === undefined) return null;
  return Number(v);
}

function bigintOf(v: MsgValue | undefined): bigint | null {
  if (v === null || v === undefined) return null;
  return BigInt(v as number | bigint);
}

type Handler = (args: RpcArgs) => Promise<MsgValue>;

export class RepositoryServer {
  #repository: LocalRepository | null = null;
  /** What the client said it is (1.0.8 when it did not say). */
  clientVersion: MsgValue = [1, 0, 8, -1];
  readonly #options: RepositoryServerOptions;
  readonly #handlers: ReadonlyMap<string, Handler>;

  constructor(options: RepositoryServerOptions) {
    this.#options = options;
    this.#handlers = new Map<string, Handler>([
      ['negotiate', (a) => this.#negotiate(a['client_data']!)],
      ['open', (a) => this.#open(a)],
      ['inject_exception', async (a) => {
        const error = injectedException(text(a['kind']));
        if (error !== undefined) throw error;
        return null;
      }],
      ['__len__', async () => this.#repo('__len__').len()],
      ['check', (a) => this.#check(a)],
      ['commit', async (a) => {
        // save_space only changed how borg 1.x compacted in memory: nothing to do with it here.
        await this.#repo('commit').commit({
          compact: a['compact'] === true, threshold: Number(a['threshold']), cleanupCommits: a['cleanup_commits'] === true,
          progress: this.#options.log.progressSink(),
        });
        return null;
      }],
      ['rollback', async () => (await this.#repo('rollback').rollback(), null)],
      ['destroy', async () => (await this.#repo('destroy').destroy(), null)],
      ['list', async (a) => this.#repo('list').list(optionalNumber(a['limit']), a['marker'] === null ? null : bytes(a['marker']))],
      ['scan', async (a) => this.#repo('scan').scan(optionalNumber(a['limit']), a['marker'] === null ? null : bytes(a['marker']))],
      ['get', async (a) => this.#repo('get').get(bytes(a['id']))],
      // `wait` is the client's business (whether it waits for this answer); the server always answers.
      ['put', async (a) => (await this.#repo('put').put(bytes(a['id']), bytes(a['data'])), null)],
      ['delete', async (a) => (await this.#repo('delete').delete(bytes(a['id'])), null)],
      ['save_key', async (a) => (await this.#repo('save_key').saveKey(bytes(a['keydata'])), null)],
      ['load_key', async () => this.#repo('load_key').loadKey()],
      ['break_lock', async () => (await this.#repo('break_lock').breakLock(), null)],
      ['get_free_nonce', async () => {
        const nonce = await this.#repo('get_free_nonce').getFreeNonce();
        return nonce !== null && nonce <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(nonce) : nonce;
      }],
      ['commit_nonce_reservation', async (a) => {
        await this.#repo('commit_nonce_reservation').commitNonceReservation(bigintOf(a['next_unreserved'])!, bigintOf(a['start_nonce']));
        return null;
      }],
    ]);
  }

  /** The open repository, if any (for tests and the shell). */
  get repository(): LocalRepository | null {
    return this.#repository;
  }

  #repo(method: string): LocalRepository {
    if (this.#repository === null) throw new NoRepositoryOpen(method);
    return this.#repository;
  }

  /**
   * Serves until the input ends, `signal` aborts or `output` rejects; then rolls back and closes
   * the repository. A malformed request (UnexpectedRPCDataFormatFromClient) also closes it and is
   * rethrown, like borg's server ends on it.
   */
  async serve(input: AsyncIterable<Uint8Array>, output: ResponseSink, signal?: AbortSignal): Promise<ServeEnd> {
    const decoder = new RpcStreamDecoder('server');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await output(data);
    };
    let end: ServeEnd = 'end-of-input';
    let opened = false;
    try {
      try {
        for await (const chunk of input) {
          if (signal?.aborted) break;
          decoder.feed(chunk);
          for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
            const response = await this.handle(message);
            opened ||= this.#repository !== null;
            pending.push(response);
            pendingBytes += response.length;
            if (pendingBytes >= FLUSH_BYTES) await flush();
            if (signal?.aborted) break;
          }
          await flush();
        }
      } catch (e) {
        if (signal?.aborted) end = 'aborted';
        else if (e instanceof OutputClosed) end = 'output-closed';
        else {
          await flush().catch(() => undefined);
          throw e;
        }
      }
      if (signal?.aborted) end = 'aborted';
      if (end === 'end-of-input' && !opened) {
        this.#options.log.log('borg.remote', 'warning', 'Connection closed before a repository was opened');
      }
      return end;
    } finally {
      await this.close();
    }
  }

  /** Answers one decoded request; throws only for messages that are not requests at all. */
  async handle(message: MsgValue): Promise<Buffer> {
    const legacy = Array.isArray(message);
    let request: ParsedRequest;
    try {
      request = parseRequest(message);
    } catch (e) {
      if (e instanceof InvalidRPCMethod || e instanceof RpcArgumentError) return this.#errorResponse(e.requestId, e, legacy);
      throw e;
    }
    try {
      const result = await this.#handlers.get(request.method)!(request.args);
      return encodeResponse(request.msgid, result, { legacy });
    } catch (e) {
      return this.#errorResponse(request.msgid, e, legacy);
    }
  }

  #errorResponse(msgid: number, error: unknown, legacy: boolean): Buffer {
    const info = remoteErrorInfo(error, this.#options.sysinfo);
    const { log } = this.#options;
    if (!CLIENT_REBUILT.has(info.className)) {
      if (legacy) {
        // An old client shows nothing of the error but its class name: the message goes to the log.
        log.log('root', 'error', info.trace ? `${info.className} Exception in RPC call` : info.short.join('\n'));
        log.log('root', info.trace ? 'error' : 'debug', `${info.full.join('\n')}\n${this.#options.sysinfo}`);
      } else {
        log.log('root', 'debug', info.full.join('\n'));
      }
    }
    return encodeErrorResponse(msgid, info, { legacy });
  }

  async #negotiate(clientData: MsgValue): Promise<MsgValue> {
    if (clientData === RPC_PROTOCOL_VERSION) return RPC_PROTOCOL_VERSION;
    if (isMap(clientData)) {
      this.clientVersion = clientData['client_version'] ?? null;
      this.#options.log.useJson();
      this.#options.log.log('borg.remote', 'debug', 'Initialized logging system for JSON-based protocol');
    } else {
      this.clientVersion = [...BORG_VERSION_TUPLE];
    }
    return { server_version: [...BORG_VERSION_TUPLE] };
  }

  async #open(a: RpcArgs): Promise<MsgValue> {
    const { log, restrictions, umask } = this.#options;
    const requested = text(a['path']);
    log.log('root', 'debug', `Resolving repository path ${JSON.stringify(requested)}`);
    const path = resolveRepositoryPath(requested, this.#options);
    log.log('root', 'debug', `Resolved repository path to ${JSON.stringify(path)}`);
    checkRepositoryAllowed(path, restrictions, this.#options.cwd);
    const create = a['create'] === true;
    // A second open replaces the first, like borg's server; ours releases the first lock.
    await this.close();
    const options = {
      exclusive: a['exclusive'] as boolean | null,
      lockWait: optionalNumber(a['lock_wait']),
      lock: a['lock'] !== false,
      appendOnly: effectiveAppendOnly(create, a['append_only'] === true, restrictions),
      storageQuota: restrictions.storageQuota,
      umask,
      onWarning: (message: string) => log.log('borg.repository', 'warning', message),
    };
    this.#repository = create
      ? await LocalRepository.create(path, { ...options, makeParentDirs: a['make_parent_dirs'] === true })
      : await LocalRepository.open(path, options);
    return this.#repository.id;
  }

  async #check(a: RpcArgs): Promise<MsgValue> {
    const repository = this.#repo('check');
    const { log } = this.#options;
    const maxDuration = Number(a['max_duration'] ?? 0);
    log.log('borg.repository', 'info', 'Starting repository check');
    let errors = false;
    const ok = await repository.check({
      repair: a['repair'] === true,
      maxDuration,
      progress: log.progressSink(),
      onFinding: (finding: CheckFinding) => {
        if (finding.level === 'error') errors = true;
        log.log('borg.repository', finding.level, finding.message);
      },
    });
    const mode = maxDuration > 0 ? 'partial' : 'full';
    if (!errors) log.log('borg.repository', 'info', `Finished ${mode} repository check: no problems found`);
    else if (a['repair'] === true) log.log('borg.repository', 'info', `Finished ${mode} repository check: errors found and repaired`);
    else log.log('borg.repository', 'error', `Finished ${mode} repository check: errors found`);
    return ok;
  }

  /** Rolls back what was not committed and releases the repository (and its lock). */
  async close(): Promise<void> {
    const repository = this.#repository;
    if (repository === null) return;
    this.#repository = null;
    try {
      await repository.rollback();
    } catch (e) {
      // Already closed (destroy) or failing: closing below still releases the lock.
      this.#options.log.log('borg.repository', 'debug', `Rollback on close failed: ${(e as Error).message}`);
    } finally {
      await repository.close();
    }
  }
}
