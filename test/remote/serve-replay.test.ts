// The six recorded real borg 1.2.4 client sessions (test/fixtures/rpc: init, create, list,
// create --debug, delete, compact) fed into `borg-ts serve` over a pipe, in order, on a fresh
// repository: every response must be byte for byte the one real `borg serve` gave, except the
// repository id (random at init). The client's own bytes (key, manifest, archives) come back
// unchanged, and real borg finds the resulting repository consistent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeAll } from '../../src/format/msgpack.js';
import { RemoteLogLineBuffer } from '../../src/remote/rpc/rpc-log-lines.js';
import { BIN, PASSPHRASE, Sandbox, assertExit } from '../interop/tools.js';

const RAW = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/rpc/out/raw');
const SESSIONS = ['001', '002', '003', '004', '005', '006'];

describe('borg-ts serve answers the recorded borg client sessions like borg serve', () => {
  let dir: string;
  let repoId: Buffer | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'borg-ts-serve-replay-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const id of SESSIONS) {
    const argv = readFileSync(join(RAW, `${id}.argv`), 'utf8').trim().split(' ').slice(2); // after "borg serve"
    it(`session ${id} (${['serve', ...argv].join(' ')}): the same responses`, () => {
      const c2s = readFileSync(join(RAW, `${id}.c2s`));
      const expected = readFileSync(join(RAW, `${id}.s2c`));
      // The recorded client used the repository "/./repo-rpc": relative to the server's working directory.
      const r = spawnSync(process.execPath, [BIN, 'serve', ...argv], { cwd: dir, input: c2s, env: { ...process.env, BORG_BASE_DIR: join(dir, 'base') } });
      assert.equal(r.status, 0, r.stderr.toString());
      const out = Buffer.from(r.stdout);
      assert.equal(out.length, expected.length);
      // The open response (the second message) carries the repository id, fixed at init: replace it.
      const ours = decodeAll(out);
      const openResult = (ours[1] as Record<string, unknown>)['r'] as Buffer;
      assert.equal(openResult.length, 32);
      if (repoId === undefined) repoId = Buffer.from(openResult);
      else assert.ok(openResult.equals(repoId), 'the same repository every session');
      const recordedId = ((decodeAll(expected)[1] as Record<string, unknown>)['r'] as Buffer);
      const at = out.indexOf(openResult);
      const normalised = Buffer.concat([out.subarray(0, at), recordedId, out.subarray(at + 32)]);
      assert.ok(normalised.equals(expected), `session ${id}: responses differ from borg serve's`);

      // stderr holds nothing but records a client can read (JSON after the dict negotiation), and
      // the progress of server-side work is what borg serve sent in the same session.
      const parse = (bytes: Buffer) => {
        const lines = new RemoteLogLineBuffer();
        return [...lines.push(bytes), ...lines.flush()];
      };
      const all = parse(r.stderr);
      const progressOf = (recs: typeof all) => recs.flatMap((rec) => (rec.kind === 'progress_percent' || rec.kind === 'progress_message'
        ? [`${rec.kind} ${rec.msgid} ${rec.finished} ${rec.message}`] : []));
      assert.deepEqual(progressOf(all), progressOf(parse(readFileSync(join(RAW, `${id}.stderr`)))));
      const records = all.filter((rec) => rec.kind !== 'progress_percent' && rec.kind !== 'progress_message');
      assert.ok(records.every((rec) => rec.kind === 'log_message'), r.stderr.toString());
      if (argv.includes('--debug')) {
        assert.ok(records.some((rec) => rec.kind === 'log_message' && rec.level === 'DEBUG' && /Resolved repository path to .*repo-rpc/.test(rec.message)));
      } else {
        assert.deepEqual(records, []);
      }
    });
  }

  it('leaves a repository that real borg checks and lists', () => {
    const box = new Sandbox({ BORG_PASSPHRASE: PASSPHRASE });
    try {
      const repo = join(dir, 'repo-rpc');
      assertExit(box.borg(['check', '--verify-data', repo]), 0, 'borg check --verify-data');
      const list = box.borg(['list', '--short', repo]);
      assertExit(list, 0, 'borg list');
      assert.deepEqual(list.stdout.split('\n').filter(Boolean), ['second']);
    } finally {
      box.cleanup();
    }
  });
});
