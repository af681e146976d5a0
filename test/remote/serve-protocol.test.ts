// `borg-ts serve` over pipes: the negotiation for old and new clients, error responses in both
// formats (class names, arguments and traceback flags as borg's client reads them), and the server
// log on stderr in the matching form.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeAll, encode } from '../../src/format/msgpack.js';
import { parseResponse } from '../../src/remote/rpc/rpc-codec.js';
import { RemoteLogLineBuffer } from '../../src/remote/rpc/rpc-log-lines.js';
import { Sandbox } from '../interop/tools.js';
import { ServeProcess } from './serve-process.js';

const text = (v: unknown): string => Buffer.from(v as Uint8Array).toString('utf8');

describe('borg-ts serve: negotiation and error responses', () => {
  let box: Sandbox;

  before(() => {
    box = new Sandbox();
  });
  after(() => box.cleanup());

  it('answers a borg 1.0 client (protocol 2) in the legacy format, logging $LOG lines', async () => {
    const s = new ServeProcess({ cwd: box.dir, args: ['--info'] });
    const hello = await s.call('negotiate', { client_data: 2 }, { legacy: true });
    assert.deepEqual([hello.legacy, hello.result], [true, 2]);
    const missing = await s.call('open', { path: box.path('missing') }, { legacy: true });
    assert.equal(missing.legacy, true);
    assert.equal(missing.error?.className, 'DoesNotExist');
    const opened = await s.call('open', { path: box.path('legacy-repo'), create: true, lock_wait: 1, lock: true, exclusive: true, append_only: false }, { legacy: true });
    assert.equal((opened.result as Buffer).length, 32);
    const id = randomBytes(32);
    const get = await s.call('get', { id }, { legacy: true });
    assert.equal(get.error?.className, 'ObjectNotFound');
    assert.deepEqual((await s.end()).code, 0);
    // An old client sees only class names: the message is in the server log. DoesNotExist is not
    // logged (the client rebuilds it), like borg's server.
    const records = new RemoteLogLineBuffer().push(Buffer.from(s.stderr));
    assert.ok(records.every((r) => r.kind === '$LOG' || r.kind === 'other'), s.stderr);
    assert.ok(records.some((r) => r.kind === '$LOG' && r.level === 'ERROR' && r.message.includes(id.toString('hex'))), s.stderr);
    assert.ok(!s.stderr.includes('missing'), s.stderr);
  });

  it('answers a borg 1.2 client in the dict format with the errors borg clients rebuild', async () => {
    const s = new ServeProcess({ cwd: box.dir, args: ['--debug'] });
    assert.deepEqual(await s.negotiate(), Object.assign(Object.create(null), { server_version: [1, 2, 4, -1] }));
    const before = await s.call('__len__');
    assert.equal(before.error?.className, 'AttributeError', 'no repository open yet');

    const expected: Record<string, unknown[]> = {
      DoesNotExist: ['test string'], AlreadyExists: ['test string'], CheckNeeded: ['test string'], IntegrityError: ['test string'],
      PathNotAllowed: ['foo'], ObjectNotFound: ['test string', 'test string2'], InvalidRPCMethod: ['test string'],
    };
    for (const [kind, args] of Object.entries(expected)) {
      const r = await s.call('inject_exception', { kind });
      assert.equal(r.legacy, false);
      assert.equal(r.error?.className, kind);
      assert.deepEqual(r.error.args.map(text), args, kind);
      assert.equal(r.error.trace, false, `${kind}: an expected condition, no traceback`);
      assert.ok(r.error.short.length === 1 && r.error.short[0] !== '', kind);
    }
    const fault = await s.call('inject_exception', { kind: 'divide' });
    assert.equal(fault.error?.className, 'ZeroDivisionError');
    assert.equal(fault.error.trace, true, 'a fault: its traceback is of interest');
    assert.ok(fault.error.full.length > 1);
    assert.match(fault.error.sysinfo, /PID: \d+/);
    assert.equal((await s.call('inject_exception', { kind: 'nothing' })).result, null);

    const unknown = await s.response(s.sendRaw((i) => encode({ i, m: 'shutdown', a: {} })));
    assert.equal(unknown.error?.className, 'InvalidRPCMethod');
    assert.deepEqual(unknown.error.args.map(text), ['shutdown']);
    const badType = await s.response(s.sendRaw((i) => encode({ i, m: 'get', a: { id: 5 } })));
    assert.equal(badType.error?.className, 'TypeError');
    // Unknown argument names are ignored, like borg's server does.
    const extra = await s.response(s.sendRaw((i) => encode({ i, m: 'inject_exception', a: { kind: 'nothing', future: true } })));
    assert.equal(extra.result, null);

    assert.equal((await s.end()).code, 0);
    const records = new RemoteLogLineBuffer().push(Buffer.from(s.stderr));
    assert.ok(records.length > 0 && records.every((r) => r.kind === 'log_message'), s.stderr);
    assert.ok(records.some((r) => r.kind === 'log_message' && r.message === 'Initialized logging system for JSON-based protocol'));
  });

  it('keeps stdout for responses only, also under --debug and --show-version', async () => {
    const s = new ServeProcess({ cwd: box.dir, args: ['--debug', '--show-version', '--show-rc'] });
    await s.negotiate();
    await s.call('open', { path: box.path('missing') });
    assert.equal((await s.end()).code, 0);
    // Two responses, nothing else: every byte of stdout belongs to them.
    const messages = decodeAll(s.stdout).map(parseResponse);
    assert.deepEqual(messages.map((m) => [m.msgid, m.error?.className]), [[1, undefined], [2, 'DoesNotExist']]);
    assert.match(s.stderr, /borg-ts version/);
  });
});
