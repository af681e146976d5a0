import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type MsgValue, decode, encode } from '../../src/format/msgpack.js';
import {
  InvalidRPCMethod, LEGACY_ERROR_TEXT, type RemoteErrorInfo, RpcArgumentError, RpcStreamDecoder, UnexpectedRPCDataFormatFromClient,
  UnexpectedRPCDataFormatFromServer, completeArgs, encodeErrorResponse, encodeRequest, encodeResponse, exceptionArgs, parseRequest, parseResponse,
} from '../../src/remote/rpc/rpc-codec.js';
import { RPC_METHODS, compareVersions, getRpcMethod } from '../../src/remote/rpc/rpc-methods.js';

const ID = Buffer.alloc(32, 0xab);

function throwsCode(fn: () => unknown, code: string, cls?: abstract new (...a: never[]) => Error): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code);
    if (cls) assert.ok(e instanceof cls);
    return true;
  });
}

describe('RPC method table', () => {
  it('declares the server allow-list of spec §6.3', () => {
    assert.deepEqual([...RPC_METHODS.keys()].sort(), [
      '__len__', 'break_lock', 'check', 'commit', 'commit_nonce_reservation', 'delete', 'destroy', 'get', 'get_free_nonce', 'inject_exception',
      'list', 'load_key', 'negotiate', 'open', 'put', 'rollback', 'save_key', 'scan',
    ]);
    assert.deepEqual(getRpcMethod('open')!.params.map((p) => p.name), ['path', 'create', 'lock_wait', 'lock', 'exclusive', 'append_only', 'make_parent_dirs']);
    assert.deepEqual(getRpcMethod('open')!.legacy, ['path', 'create', 'lock_wait', 'lock', 'exclusive', 'append_only']);
    assert.deepEqual(completeArgs('commit', {}), { save_space: false, compact: true, threshold: 0.1, cleanup_commits: false });
    assert.deepEqual(completeArgs('check', { repair: true }), { repair: true, save_space: false, max_duration: 0 });
    assert.equal(getRpcMethod('scan')!.legacy, undefined);
  });

  it('orders versions like parse_version tuples', () => {
    assert.ok(compareVersions([1, 1, 0, -3, 3], [1, 1, 0, -1]) < 0); // 1.1.0b3 < 1.1.0
    assert.ok(compareVersions([1, 2, 0, -4, 4], [1, 2, 0, -2, 1]) < 0); // a4 < rc1
    assert.ok(compareVersions([1, 2, 4, -1], getRpcMethod('check')!.params[2]!.since!) > 0);
    assert.equal(compareVersions([1, 2, 4, -1], [1, 2, 4, -1]), 0);
  });
});

describe('requests', () => {
  it('packs legacy requests positionally (compatMap order, defaults filled, dict-only args dropped)', () => {
    const b = encodeRequest(7, 'open', { path: '/r', exclusive: true, make_parent_dirs: true }, { legacy: true });
    assert.ok(b.equals(encode([1, 7, 'open', ['/r', false, null, true, true, false]])));
    const p = parseRequest(decode(b));
    assert.equal(p.legacy, true);
    assert.deepEqual(p.sent, ['path', 'create', 'lock_wait', 'lock', 'exclusive', 'append_only']);
    assert.deepEqual({ ...p.args, path: null }, { path: null, create: false, lock_wait: null, lock: true, exclusive: true, append_only: false, make_parent_dirs: false });
    assert.ok(encodeRequest(3, 'put', { id: ID, data: Buffer.from('x') }, { legacy: true }).equals(encode([1, 3, 'put', [ID, Buffer.from('x')]])));
    assert.ok(encodeRequest(1, 'negotiate', { client_data: 2 }, { legacy: true }).equals(Buffer.from('9401 01 a96e65676f7469617465 9102'.replace(/ /g, ''), 'hex')));
    throwsCode(() => encodeRequest(1, 'scan', {}, { legacy: true }), 'RPCServerOutdated');
  });

  it('packs dict requests with 1-char keys i, m, a and the args in declaration order', () => {
    const b = encodeRequest(300, 'list', { marker: ID, limit: 10 });
    // {"i": 300, "m": "list", "a": {"limit": 10, "marker": …}}
    assert.equal(b.subarray(0, 23).toString('hex'), '83a169cd012ca16da46c697374a16182a56c696d69740a');
    assert.ok(b.equals(encode({ i: 300, m: 'list', a: { limit: 10, marker: ID } })));
    const p = parseRequest(decode(b));
    assert.deepEqual(p, { msgid: 300, method: 'list', args: { limit: 10, marker: ID }, legacy: false, sent: ['limit', 'marker'], ignored: [] });
  });

  it('rejects bad requests on the sending side', () => {
    throwsCode(() => encodeRequest(1, 'nope', {}), 'InvalidRPCMethod');
    throwsCode(() => encodeRequest(1, 'get', {}), 'TypeError');
    throwsCode(() => encodeRequest(1, 'get', { id: ID, bogus: 1 }), 'TypeError');
    throwsCode(() => encodeRequest(1, 'get', { id: 5 }), 'TypeError');
    assert.throws(() => encodeRequest(1.5, 'get', { id: ID }), RangeError);
  });

  it('applies defaults and ignores unknown argument names when parsing', () => {
    const p = parseRequest({ i: 4, m: Buffer.from('commit'), a: { save_space: true, frobnicate: 1 } });
    assert.deepEqual(p.args, { save_space: true, compact: true, threshold: 0.1, cleanup_commits: false });
    assert.deepEqual(p.ignored, ['frobnicate']);
    assert.deepEqual(parseRequest([1, 1, Buffer.from('negotiate'), [2]]).args, { client_data: 2 });
  });

  it('rejects malformed requests with UnexpectedRPCDataFormatFromClient', () => {
    const bad: MsgValue[] = [
      null, 5, Buffer.from('get'), [], [1, 1, 'get'], [0, 1, 'get', [ID]], [1, '1', 'get', [ID]], [1, 1, 7, [ID]], [1, 1, 'get', { id: ID }],
      [1, 1.5, 'get', [ID]], { m: 'get', a: {} }, { i: 1, a: {} }, { i: 1, m: 'get' }, { i: 1, m: 'get', a: [ID] }, { i: true, m: 'get', a: {} },
    ];
    for (const v of bad) throwsCode(() => parseRequest(v), 'UnexpectedRPCDataFormatFromClient', UnexpectedRPCDataFormatFromClient);
  });

  it('rejects unknown methods and unfitting arguments with errors that carry the msgid', () => {
    assert.throws(() => parseRequest({ i: 9, m: 'os.system', a: {} }), (e: unknown) => e instanceof InvalidRPCMethod && e.requestId === 9 && e.code === 'InvalidRPCMethod' && e.args[0] === 'os.system');
    assert.throws(() => parseRequest([1, 2, 'scan', []]), (e: unknown) => e instanceof RpcArgumentError && e.requestId === 2);
    const cases: MsgValue[] = [
      { i: 3, m: 'get', a: {} },
      { i: 3, m: 'get', a: { id: 5 } },
      { i: 3, m: 'open', a: { path: ID, create: 1 } },
      { i: 3, m: 'list', a: { limit: 1.5 } },
      { i: 3, m: 'commit_nonce_reservation', a: { next_unreserved: null, start_nonce: null } },
      [1, 3, 'get', [ID, ID]],
    ];
    for (const v of cases) assert.throws(() => parseRequest(v), (e: unknown) => e instanceof RpcArgumentError && e.requestId === 3 && e.code === 'TypeError');
  });
});

describe('responses', () => {
  const info: RemoteErrorInfo = {
    className: 'ObjectNotFound', args: [ID.toString('hex'), '/repo'], short: ['Object with key … not found in repository /repo.'],
    full: ['Traceback (most recent call last):', '  …', 'borg.repository.ObjectNotFound: …'], trace: false, sysinfo: 'Platform: Linux',
  };

  it('packs success responses in both formats', () => {
    assert.ok(encodeResponse(2, ID).equals(encode({ i: 2, r: ID })));
    assert.ok(encodeResponse(2, null).equals(Buffer.from('82a169 02 a172 c0'.replace(/ /g, ''), 'hex')));
    assert.ok(encodeResponse(1, 2, { legacy: true }).equals(encode([1, 1, null, 2])));
    assert.deepEqual(parseResponse(decode(encodeResponse(5, null))), { msgid: 5, legacy: false, result: null });
    assert.deepEqual(parseResponse(decode(encodeResponse(5, [ID], { legacy: true }))), { msgid: 5, legacy: true, result: [ID] });
  });

  it('packs dict error responses with borg\'s keys, in order, and parses them back', () => {
    const b = encodeErrorResponse(12, info);
    const keys = Object.keys(decode(b) as object);
    assert.deepEqual(keys, ['i', 'exception_class', 'exception_args', 'exception_full', 'exception_short', 'exception_trace', 'sysinfo']);
    assert.ok(b.equals(encode({ i: 12, exception_class: 'ObjectNotFound', exception_args: info.args, exception_full: info.full, exception_short: info.short, exception_trace: false, sysinfo: 'Platform: Linux' })));
    const p = parseResponse(decode(b));
    assert.equal(p.msgid, 12);
    assert.deepEqual({ ...p.error!, args: p.error!.args.map((a) => Buffer.from(a as Uint8Array).toString()) }, info);
  });

  it('packs legacy error responses with the fixed text', () => {
    const b = encodeErrorResponse(3, info, { legacy: true });
    assert.ok(b.equals(encode([1, 3, 'ObjectNotFound', LEGACY_ERROR_TEXT])));
    assert.deepEqual(parseResponse(decode(b)), { msgid: 3, legacy: true, error: { className: 'ObjectNotFound', args: [], short: [], full: [], trace: false, sysinfo: '' } });
  });

  it('nils unpackable exception arguments', () => {
    assert.deepEqual(exceptionArgs(['a', 1, ID]), ['a', 1, ID]);
    assert.deepEqual(exceptionArgs(['a', { x: 1 }, 2.5, 7n, ID]), ['a', null, null, 7n, ID]);
  });

  it('rejects malformed responses with UnexpectedRPCDataFormatFromServer', () => {
    const bad: MsgValue[] = [
      null, 1, [1, 1, null], [2, 1, null, 1], [1, 'x', null, 1], [1, 1, 5, 1], { r: 1 }, { i: 1 }, { i: 'a', r: 1 },
      { i: 1, exception_class: 5 }, { i: 1, exception_class: 'X', exception_args: 'no' }, { i: 1, exception_class: 'X', exception_short: [1] },
      { i: 1, exception_class: 'X', exception_trace: 1 }, { i: 1, exception_class: 'X', sysinfo: 1 },
    ];
    for (const v of bad) throwsCode(() => parseResponse(v), 'UnexpectedRPCDataFormatFromServer', UnexpectedRPCDataFormatFromServer);
  });
});

describe('RpcStreamDecoder limits', () => {
  const arrayOf = (n: number): Buffer => encode(new Array<MsgValue>(n).fill(0));

  it('allows the server 100 array elements and the client 100000', () => {
    const server = new RpcStreamDecoder('server');
    server.feed(arrayOf(100));
    assert.equal((server.next() as MsgValue[]).length, 100);
    server.feed(arrayOf(101));
    throwsCode(() => server.next(), 'UnexpectedRPCDataFormatFromClient');
    const client = new RpcStreamDecoder('client');
    client.feed(arrayOf(100_000));
    assert.equal((client.next() as MsgValue[]).length, 100_000);
    client.feed(arrayOf(100_001));
    throwsCode(() => client.next(), 'UnexpectedRPCDataFormatFromServer');
  });

  it('allows 100 map entries on both sides', () => {
    for (const side of ['server', 'client'] as const) {
      const m = (n: number): Buffer => encode(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
      const d = new RpcStreamDecoder(side);
      d.feed(m(100));
      assert.equal(Object.keys(d.next() as object).length, 100);
      d.feed(m(101));
      assert.throws(() => d.next(), side === 'server' ? UnexpectedRPCDataFormatFromClient : UnexpectedRPCDataFormatFromServer);
    }
  });

  it('rejects a huge string length from its header alone, and bin/ext types', () => {
    const d = new RpcStreamDecoder('server');
    d.feed(Buffer.from([0xdb, 0x01, 0x40, 0x00, 0x01])); // str32 of 20 MiB + 1
    throwsCode(() => d.next(), 'UnexpectedRPCDataFormatFromClient');
    const ok = new RpcStreamDecoder('server');
    ok.feed(Buffer.from([0xdb, 0x01, 0x40, 0x00, 0x00])); // exactly 20 MiB: waits for the data
    assert.equal(ok.next(), undefined);
    for (const bytes of [[0xc4, 0x01, 0x00], [0xd4, 0x01, 0x00], [0xc1]]) {
      const c = new RpcStreamDecoder('client');
      c.feed(Buffer.from(bytes));
      throwsCode(() => c.next(), 'UnexpectedRPCDataFormatFromServer');
    }
  });

  it('refuses to buffer more than 60 MiB', () => {
    const d = new RpcStreamDecoder('client');
    const piece = Buffer.alloc(20 * 1024 * 1024, 0xdb); // never a complete value: str32 headers
    d.feed(piece);
    d.feed(piece);
    d.feed(piece);
    throwsCode(() => d.feed(Buffer.alloc(1)), 'UnexpectedRPCDataFormatFromServer');
  });

  it('reassembles messages split anywhere and keeps them in order', () => {
    const stream = Buffer.concat([encodeRequest(1, 'negotiate', { client_data: 2 }, { legacy: true }), encodeRequest(2, 'get', { id: ID }), encodeRequest(3, 'load_key', {})]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new RpcStreamDecoder('server');
      d.feed(stream.subarray(0, cut));
      const got = [...d];
      d.feed(stream.subarray(cut));
      got.push(...d);
      assert.deepEqual(got.map((v) => parseRequest(v).msgid), [1, 2, 3]);
    }
  });
});
