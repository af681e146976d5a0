// Request/response messages of the `borg serve` protocol (spec §6.2, §6.5), both formats, both
// directions, plus the framing decoder with the limits of borg's server and client unpackers.

import { BorgError } from '../../errors.js';
import { type DecodeOptions, type MsgMap, type MsgValue, MsgpackError, Unpacker, encode, isMap, keyOf, keyText } from '../../format/msgpack.js';
import { type RpcMethod, getRpcMethod, paramAccepts } from './rpc-methods.js';

/** The fixed 4th element of a legacy error response. */
export const LEGACY_ERROR_TEXT = 'Remote Exception (see remote log for the traceback)';

/** A message the server cannot understand; borg's server raises this and exits (§6.5). */
export class UnexpectedRPCDataFormatFromClient extends BorgError {}
/** A message the client cannot understand. */
export class UnexpectedRPCDataFormatFromServer extends BorgError {}

/** A well-formed request naming a method outside the allow-list; answered with an error response. */
export class InvalidRPCMethod extends BorgError {
  constructor(readonly requestId: number, readonly method: string) {
    super(`Invalid RPC method: ${method}`, { args: [method] });
  }
}

/** A well-formed request for a known method whose arguments do not fit it (borg: TypeError). */
export class RpcArgumentError extends BorgError {
  constructor(readonly requestId: number, message: string) {
    super(message, { code: 'TypeError', args: [message] });
  }
}

export type RpcArgs = Record<string, MsgValue>;

export interface ParsedRequest {
  msgid: number;
  method: string;
  /** Every declared parameter by name, defaults applied. */
  args: RpcArgs;
  legacy: boolean;
  /** Argument names exactly as sent, in wire order (unknown names included). */
  sent: string[];
  /** Names sent that the method does not declare (ignored, like borg's server does). */
  ignored: string[];
}

export interface RemoteErrorInfo {
  className: string;
  args: MsgValue[];
  /** exception_short: message lines. */
  short: string[];
  /** exception_full: traceback text lines. */
  full: string[];
  /** exception_trace: whether the traceback is interesting. */
  trace: boolean;
  sysinfo: string;
}

export type ParsedResponse =
  | { msgid: number; legacy: boolean; result: MsgValue; error?: undefined }
  | { msgid: number; legacy: boolean; error: RemoteErrorInfo; result?: undefined };

export interface FormatOptions {
  legacy?: boolean;
}

function knownMethod(name: string): RpcMethod {
  const m = getRpcMethod(name);
  if (m === undefined) throw new BorgError(`unknown RPC method ${JSON.stringify(name)}`, { code: 'InvalidRPCMethod', args: [name] });
  return m;
}

function checkMsgid(msgid: number): void {
  if (!Number.isSafeInteger(msgid)) throw new RangeError(`RPC msgid must be an integer, got ${msgid}`);
}

/** `args` completed with the declared defaults of every parameter not given, in declaration order. */
export function completeArgs(methodName: string, args: RpcArgs): RpcArgs {
  const m = knownMethod(methodName);
  const out: RpcArgs = {};
  for (const p of m.params) {
    const v = args[p.name];
    if (v !== undefined) out[p.name] = v;
    else if (p.default !== undefined) out[p.name] = p.default;
  }
  return out;
}

/**
 * Packs a request. The dict format carries exactly the arguments present in `args` (undefined = absent),
 * in declaration order: borg's client sends every parameter of the stub (use `completeArgs`), except
 * `wait` of async `put`/`delete`. The legacy format carries the `compatMap` positions, defaults filled in;
 * other arguments are dropped.
 */
export function encodeRequest(msgid: number, methodName: string, args: RpcArgs, options: FormatOptions = {}): Buffer {
  checkMsgid(msgid);
  const m = knownMethod(methodName);
  for (const name of Object.keys(args)) {
    if (args[name] !== undefined && !m.params.some((p) => p.name === name)) throw new BorgError(`${methodName}: unknown argument ${name}`, { code: 'TypeError' });
  }
  for (const p of m.params) {
    const v = args[p.name];
    if (v === undefined) {
      if (p.default === undefined) throw new BorgError(`${methodName}: missing argument ${p.name}`, { code: 'TypeError' });
    } else if (!paramAccepts(p, v)) {
      throw new BorgError(`${methodName}: bad type for argument ${p.name}`, { code: 'TypeError' });
    }
  }
  if (options.legacy) {
    if (m.legacy === undefined) throw new BorgError(`${methodName} has no legacy (positional) form`, { code: 'RPCServerOutdated', args: [methodName] });
    const positional = m.legacy.map((name) => (args[name] !== undefined ? args[name]! : m.params.find((p) => p.name === name)!.default!));
    return encode([1, msgid, methodName, positional]);
  }
  const a: RpcArgs = {};
  for (const p of m.params) {
    const v = args[p.name];
    if (v !== undefined) a[keyOf(p.name)] = v;
  }
  return encode({ i: msgid, m: methodName, a });
}

function textOf(v: MsgValue | undefined): string | undefined {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if (typeof v === 'string') return v;
  return undefined;
}

function intOf(v: MsgValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
}

function badRequest(message: string): never {
  throw new UnexpectedRPCDataFormatFromClient(`unexpected RPC data format from client: ${message}`);
}

/**
 * Unpacks one decoded request (server side). Malformed messages throw
 * UnexpectedRPCDataFormatFromClient; unknown methods InvalidRPCMethod; arguments that do not fit the
 * method RpcArgumentError (the last two carry the request msgid as `requestId`, for an error response).
 */
export function parseRequest(value: MsgValue): ParsedRequest {
  let msgid: number | undefined;
  let method: string | undefined;
  const given: Array<[string, MsgValue]> = [];
  let legacy: boolean;
  if (Array.isArray(value)) {
    legacy = true;
    if (value.length !== 4) badRequest(`legacy request has ${value.length} elements, not 4`);
    if (value[0] !== 1) badRequest('legacy request type is not 1');
    msgid = intOf(value[1]);
    method = textOf(value[2]);
    const positional = value[3];
    if (msgid === undefined || method === undefined || !Array.isArray(positional)) badRequest('legacy request fields have wrong types');
    const m = getRpcMethod(method);
    if (m === undefined) throw new InvalidRPCMethod(msgid, method);
    if (m.legacy === undefined || positional.length > m.legacy.length) {
      throw new RpcArgumentError(msgid, `${method}() takes ${m.legacy?.length ?? 0} positional arguments but ${positional.length} were given`);
    }
    positional.forEach((v, i) => given.push([m.legacy![i]!, v]));
  } else if (isMap(value)) {
    legacy = false;
    msgid = intOf(value['i']);
    method = textOf(value['m']);
    const a = value['a'];
    if (msgid === undefined || method === undefined || !isMap(a)) badRequest('dict request needs integer "i", raw "m" and map "a"');
    for (const k of Object.keys(a)) given.push([keyText(k), a[k]!]);
  } else {
    return badRequest('request is neither an array nor a map');
  }
  const m = getRpcMethod(method);
  if (m === undefined) throw new InvalidRPCMethod(msgid, method);
  const args: RpcArgs = {};
  const ignored: string[] = [];
  for (const [name, v] of given) {
    const p = m.params.find((q) => q.name === name);
    if (p === undefined) {
      ignored.push(name);
      continue;
    }
    if (!paramAccepts(p, v)) throw new RpcArgumentError(msgid, `${method}(): argument ${name} has the wrong type`);
    args[name] = v;
  }
  const out: RpcArgs = {};
  for (const p of m.params) {
    const v = Object.prototype.hasOwnProperty.call(args, p.name) ? args[p.name] : p.default;
    if (v === undefined) throw new RpcArgumentError(msgid, `${method}() missing required argument: '${p.name}'`);
    out[p.name] = v;
  }
  return { msgid, method, args: out, legacy, sent: given.map(([n]) => n), ignored };
}

/** Packs a success response. */
export function encodeResponse(msgid: number, result: MsgValue, options: FormatOptions = {}): Buffer {
  checkMsgid(msgid);
  return options.legacy ? encode([1, msgid, null, result]) : encode({ i: msgid, r: result });
}

/** Packs an error response (dict keys in the order i, exception_class, _args, _full, _short, _trace, sysinfo). */
export function encodeErrorResponse(msgid: number, error: RemoteErrorInfo, options: FormatOptions = {}): Buffer {
  checkMsgid(msgid);
  if (options.legacy) return encode([1, msgid, error.className, LEGACY_ERROR_TEXT]);
  const m: MsgMap = {
    i: msgid,
    exception_class: error.className,
    exception_args: error.args,
    exception_full: error.full,
    exception_short: error.short,
    exception_trace: error.trace,
    sysinfo: error.sysinfo,
  };
  return encode(m);
}

/**
 * Exception arguments as they cross the wire: kept if all are packable, else every argument that is not
 * text, bytes or an integer becomes nil (§6.5).
 */
export function exceptionArgs(args: readonly unknown[]): MsgValue[] {
  const packable = (x: unknown): boolean => {
    if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'bigint' || typeof x === 'string' || x instanceof Uint8Array) return true;
    if (Array.isArray(x)) return x.every(packable);
    return false;
  };
  if (args.every(packable)) return args as MsgValue[];
  return args.map((x) =>
    typeof x === 'string' || x instanceof Uint8Array || typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)) ? (x as MsgValue) : null,
  );
}

function badResponse(message: string): never {
  throw new UnexpectedRPCDataFormatFromServer(`unexpected RPC data format from server: ${message}`);
}

function textLines(v: MsgValue | undefined, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return badResponse(`${field} is not an array`);
  return v.map((x) => textOf(x) ?? badResponse(`${field} holds a non-text line`));
}

/** Unpacks one decoded response (client side). */
export function parseResponse(value: MsgValue): ParsedResponse {
  if (Array.isArray(value)) {
    if (value.length !== 4 || value[0] !== 1) badResponse('legacy response is not [1, msgid, error, result]');
    const msgid = intOf(value[1]);
    if (msgid === undefined) badResponse('legacy response msgid is not an integer');
    const err = value[2];
    if (err === null) return { msgid, legacy: true, result: value[3]! };
    const className = textOf(err);
    if (className === undefined) badResponse('legacy response error class is not text');
    return { msgid, legacy: true, error: { className, args: [], short: [], full: [], trace: false, sysinfo: '' } };
  }
  if (!isMap(value)) return badResponse('response is neither an array nor a map');
  const msgid = intOf(value['i']);
  if (msgid === undefined) badResponse('dict response has no integer "i"');
  if (value['exception_class'] !== undefined) {
    const className = textOf(value['exception_class']);
    if (className === undefined) badResponse('exception_class is not text');
    const args = value['exception_args'] ?? [];
    if (!Array.isArray(args)) badResponse('exception_args is not an array');
    const trace = value['exception_trace'] ?? false;
    if (typeof trace !== 'boolean') badResponse('exception_trace is not a bool');
    const sysinfo = value['sysinfo'];
    return {
      msgid,
      legacy: false,
      error: {
        className,
        args,
        short: textLines(value['exception_short'], 'exception_short'),
        full: textLines(value['exception_full'], 'exception_full'),
        trace,
        sysinfo: sysinfo === undefined || sysinfo === null ? '' : textOf(sysinfo) ?? badResponse('sysinfo is not text'),
      },
    };
  }
  if (!Object.prototype.hasOwnProperty.call(value, 'r')) badResponse('dict response has neither "r" nor "exception_class"');
  return { msgid, legacy: false, result: value['r']! };
}

// ---------------------------------------------------------------------------------------------
// Framing

export const RPC_MAX_STR_LEN = 20 * 1024 * 1024;
export const RPC_MAX_BUFFER = 60 * 1024 * 1024;
export const RPC_MAX_MAP_LEN = 100;
export const RPC_SERVER_MAX_ARRAY_LEN = 100;
export const RPC_CLIENT_MAX_ARRAY_LEN = 100_000;

/**
 * The message stream of one direction. `side: 'server'` decodes what a server reads (requests),
 * `'client'` what a client reads (responses). Limit violations throw UnexpectedRPCDataFormatFromClient
 * (server side) or UnexpectedRPCDataFormatFromServer (client side).
 */
export class RpcStreamDecoder {
  private readonly unpacker: Unpacker;

  constructor(readonly side: 'server' | 'client') {
    const options: DecodeOptions = {
      maxStrLen: RPC_MAX_STR_LEN,
      maxArrayLen: side === 'server' ? RPC_SERVER_MAX_ARRAY_LEN : RPC_CLIENT_MAX_ARRAY_LEN,
      maxMapLen: RPC_MAX_MAP_LEN,
    };
    this.unpacker = new Unpacker(options);
  }

  private fail(message: string): never {
    const text = `unexpected RPC data format from ${this.side === 'server' ? 'client' : 'server'}: ${message}`;
    throw this.side === 'server' ? new UnexpectedRPCDataFormatFromClient(text) : new UnexpectedRPCDataFormatFromServer(text);
  }

  /** Bytes received but not yet part of a complete message. */
  get pending(): number {
    return this.unpacker.pending;
  }

  feed(data: Uint8Array): void {
    if (this.unpacker.pending + data.byteLength > RPC_MAX_BUFFER) this.fail(`more than ${RPC_MAX_BUFFER} bytes buffered`);
    this.unpacker.feed(data);
  }

  /** The next complete decoded message, or undefined when more bytes are needed. */
  next(): MsgValue | undefined {
    try {
      return this.unpacker.next();
    } catch (e) {
      if (e instanceof MsgpackError) this.fail(e.message);
      throw e;
    }
  }

  *[Symbol.iterator](): IterableIterator<MsgValue> {
    for (;;) {
      const v = this.next();
      if (v === undefined) return;
      yield v;
    }
  }
}
