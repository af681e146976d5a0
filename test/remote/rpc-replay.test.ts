// Replays the six recorded real borg 1.2.4 client <-> `borg serve` sessions (spec vectors/rpc/).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { type MsgValue, encodeAll } from '../../src/format/msgpack.js';
import { BORG_VERSION_TUPLE } from '../../src/version.js';
import {
  type ParsedRequest, type ParsedResponse, type RpcArgs, RpcStreamDecoder, completeArgs, encodeRequest, encodeResponse, parseRequest, parseResponse,
} from '../../src/remote/rpc/rpc-codec.js';
import { RemoteLogLineBuffer, parseRemoteLogLine } from '../../src/remote/rpc/rpc-log-lines.js';
import { getRpcMethod } from '../../src/remote/rpc/rpc-methods.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(here, '../fixtures/rpc/out');
const RAW = path.join(OUT, 'raw');
const SESSIONS = readdirSync(RAW).filter((f) => f.endsWith('.argv')).map((f) => f.slice(0, -5)).sort();

interface Trace {
  sessions: Array<{ argv_after_host: string; files: string[]; messages: Array<{ direction: string; n: number; message: unknown }> }>;
}
const TRACE = JSON.parse(readFileSync(path.join(OUT, 'rpc-trace.json'), 'utf8')) as Trace;

/** Decodes a whole stream, fed in `step`-byte pieces to exercise message reassembly. */
function decodeStream(side: 'server' | 'client', data: Buffer, step: number): MsgValue[] {
  const dec = new RpcStreamDecoder(side);
  const out: MsgValue[] = [];
  for (let i = 0; i < data.length; i += step) {
    dec.feed(data.subarray(i, i + step));
    for (const v of dec) out.push(v);
  }
  assert.equal(dec.pending, 0);
  return out;
}

/** Decoded msgpack maps are null-prototype objects. */
function obj(o: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, o);
}

function pick(args: RpcArgs, names: readonly string[]): RpcArgs {
  const out: RpcArgs = {};
  for (const n of names) out[n] = args[n]!;
  return out;
}

function traceMessages(id: string, direction: string): Array<Record<string, unknown> | unknown[]> {
  const s = TRACE.sessions.find((x) => x.files.includes(`${id}.c2s`));
  assert.ok(s, `session ${id} in rpc-trace.json`);
  return s.messages.filter((m) => m.direction === direction).map((m) => m.message as Record<string, unknown>);
}

describe('recorded RPC sessions', () => {
  it('has the six recorded sessions', () => assert.deepEqual(SESSIONS, ['001', '002', '003', '004', '005', '006']));

  for (const id of SESSIONS) {
    describe(`session ${id} (${readFileSync(path.join(RAW, `${id}.argv`), 'utf8').trim()})`, () => {
      const c2s = readFileSync(path.join(RAW, `${id}.c2s`));
      const s2c = readFileSync(path.join(RAW, `${id}.s2c`));
      let requests: ParsedRequest[] = [];
      let responses: ParsedResponse[] = [];

      it('parses every request: the first legacy, the rest dict format, msgids 1, 2, …', () => {
        for (const step of [1, 7, 4096, c2s.length]) {
          const parsed = decodeStream('server', c2s, step).map(parseRequest);
          if (step === 1) requests = parsed;
          else assert.deepEqual(parsed, requests);
        }
        assert.ok(requests.length >= 5);
        requests.forEach((r, i) => {
          assert.equal(r.msgid, i + 1);
          assert.equal(r.legacy, i === 0);
          assert.deepEqual(r.ignored, []);
        });
        assert.equal(requests[0]!.method, 'negotiate');
        assert.deepEqual(requests[0]!.args, { client_data: obj({ client_version: [...BORG_VERSION_TUPLE] }) });
        assert.equal(requests[1]!.method, 'open');
        assert.deepEqual(Buffer.from(requests[1]!.args['path'] as Uint8Array).toString(), '/./repo-rpc');
        const trace = traceMessages(id, 'client->server');
        assert.equal(trace.length, requests.length);
        trace.slice(1).forEach((t, i) => {
          const m = t as Record<string, unknown>;
          assert.equal(m['m'], requests[i + 1]!.method);
          assert.deepEqual(Object.keys(m['a'] as object), requests[i + 1]!.sent);
        });
      });

      it('re-encodes every request byte for byte from its parsed form', () => {
        const again = Buffer.concat(requests.map((r) => encodeRequest(r.msgid, r.method, pick(r.args, r.sent), { legacy: r.legacy })));
        assert.ok(again.equals(c2s));
      });

      it('borg sends every declared parameter, except `wait` of async put/delete', () => {
        for (const r of requests.slice(1)) {
          const declared = getRpcMethod(r.method)!.params.map((p) => p.name);
          if ((r.method === 'put' || r.method === 'delete') && !r.sent.includes('wait')) {
            assert.deepEqual(r.sent, declared.filter((n) => n !== 'wait'));
          } else {
            assert.deepEqual(r.sent, declared);
          }
          // For those, the client-side way of building a request (completeArgs) gives the recorded bytes.
          if (r.sent.length === declared.length) {
            assert.ok(encodeRequest(r.msgid, r.method, completeArgs(r.method, r.args)).equals(encodeRequest(r.msgid, r.method, pick(r.args, r.sent))));
          }
        }
        const legacy = encodeRequest(1, 'negotiate', { client_data: { client_version: [...BORG_VERSION_TUPLE] } }, { legacy: true });
        assert.ok(c2s.subarray(0, legacy.length).equals(legacy));
      });

      it('parses every response in request order and re-encodes it byte for byte', () => {
        for (const step of [1, 13, s2c.length]) {
          const parsed = decodeStream('client', s2c, step).map(parseResponse);
          if (step === 1) responses = parsed;
          else assert.deepEqual(parsed, responses);
        }
        assert.deepEqual(responses.map((r) => r.msgid), requests.map((r) => r.msgid));
        responses.forEach((r, i) => {
          assert.equal(r.legacy, i === 0);
          assert.equal(r.error, undefined);
        });
        assert.deepEqual(responses[0]!.result, obj({ server_version: [...BORG_VERSION_TUPLE] }));
        const repoId = responses[1]!.result;
        assert.ok(repoId instanceof Uint8Array && repoId.length === 32);
        const trace = traceMessages(id, 'server->client');
        assert.equal(trace.length, responses.length);
        const again = Buffer.concat(responses.map((r) => encodeResponse(r.msgid, r.result!, { legacy: r.legacy })));
        assert.ok(again.equals(s2c));
        assert.ok(encodeAll(decodeStream('client', s2c, s2c.length)).equals(s2c));
      });

      it('parses the recorded stderr', () => {
        const data = readFileSync(path.join(RAW, `${id}.stderr`));
        const whole = new RemoteLogLineBuffer();
        const records = [...whole.push(data), ...whole.flush()];
        const lines = data.toString('utf8').split('\n').filter((l) => l !== '');
        assert.equal(records.length, lines.length);
        assert.deepEqual(records, lines.map(parseRemoteLogLine));
        assert.ok(records.every((r) => r.kind !== 'other'));
        const split = new RemoteLogLineBuffer();
        const pieces = [];
        for (let i = 0; i < data.length; i += 5) pieces.push(...split.push(data.subarray(i, i + 5)));
        pieces.push(...split.flush());
        assert.deepEqual(pieces, records);
        if (id === '004') {
          assert.deepEqual(records[0], { kind: '$LOG', level: 'DEBUG', name: 'borg.logger', message: 'using builtin fallback logging configuration' });
          assert.deepEqual(records.slice(0, 2).map((r) => r.kind), ['$LOG', '$LOG']);
          assert.ok(records.slice(2).every((r) => r.kind === 'log_message' && r.level === 'DEBUG'));
          assert.deepEqual(records[3], {
            kind: 'log_message', time: 1795305556.3588912, message: 'Initialized logging system for JSON-based protocol', level: 'DEBUG', name: 'borg.remote',
          });
        } else if (id === '006') {
          assert.ok(records.every((r) => r.kind === 'progress_percent' && r.msgid === 'repository.compact_segments' && r.operation === 1));
          assert.deepEqual(records[0], {
            kind: 'progress_percent', operation: 1, msgid: 'repository.compact_segments', finished: false, message: 'Compacting segments   0%',
            time: 1795305558.2626624, current: 1, total: 15, info: null,
          });
          assert.deepEqual(records.at(-1), {
            kind: 'progress_percent', operation: 1, msgid: 'repository.compact_segments', finished: true, message: null, time: 1795305558.2643516,
          });
        } else {
          assert.equal(records.length, 0);
        }
      });
    });
  }
});
