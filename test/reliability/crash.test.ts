// Crash consistency (local), part 1: borg-ts killed with SIGKILL at a seeded point during create,
// delete and prune (part 2, crash-maintenance.test.ts: compact, check --repair, recreate). After
// each kill our next command breaks the stale lock by itself, real borg check passes, every archive
// committed before extracts intact with real borg, and the operation and a new backup succeed.
// `npm run torture` runs many more seeds on bigger corpora.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRASH_OPS, crashScenario } from './lib/crash.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

const SEED = 7;

describe('kill -9 at a seeded point, local repository: create, delete, prune', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport, CI_LAB);
  });
  after(() => lab?.cleanup());

  CRASH_OPS.forEach((op, i) => {
    if (op !== 'create' && op !== 'delete' && op !== 'prune') return;
    it(`${op}: the repository stays consistent and usable`, async () => {
      const outcome = await crashScenario(lab, op, new Prng(SEED * 100 + i));
      assert.deepEqual(outcome.problems, [], `killed ${outcome.killPoint}`);
    });
  });
});
