// A hostile or broken server: BORG_RSH starts fixtures/hostile-server.mjs instead of ssh, which
// answers with garbage, invalid type bytes, a message of the wrong shape, a 4 GiB length, 200000
// levels of nesting, an unknown exception, nothing at all, or a flood of stderr. borg-ts must end
// with a clear error (exit 2), without a crash, a hang or exhausting memory (256 MiB heap).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeResult, misbehaviour, runBorgTs } from './lib/processes.js';

const SERVER = fileURLToPath(new URL('./fixtures/hostile-server.mjs', import.meta.url));
const MODES = ['garbage', 'invalid-type', 'wrong-shape', 'huge-length', 'deep', 'error-response', 'close', 'stderr-flood'];

describe('hostile servers', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'borg-ts-hostile-server-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const mode of MODES) {
    it(`${mode}: a clear error, no crash, no hang`, async () => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'], HOME: dir, LANG: 'C.UTF-8', BORG_BASE_DIR: join(dir, 'base'), BORG_PASSPHRASE: 'x',
        BORG_RSH: `${process.execPath} ${SERVER} ${mode}`, NODE_OPTIONS: '--max-old-space-size=256',
      };
      for (const args of [['list', 'ssh://hostile.invalid/repo'], ['init', '-e', 'repokey', 'ssh://hostile.invalid/new']]) {
        const r = await runBorgTs(args, { env, cwd: dir, timeoutMs: 20_000 });
        assert.equal(misbehaviour(r), '', describeResult(args.join(' '), r));
        assert.equal(r.code, 2, describeResult(args.join(' '), r));
        const own = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Remote: '));
        assert.equal(own.length, 1, describeResult(args.join(' '), r));
      }
    });
  }
});
