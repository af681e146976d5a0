// Crash consistency (local), part 2: borg-ts killed with SIGKILL at a seeded point during compact,
// check --repair and recreate (part 1, crash.test.ts: create, delete, prune; same checks).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRASH_OPS, crashScenario } from './lib/crash.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

const SEED = 7;

describe('kill -9 at a seeded point, local repository: compact, check --repair, recreate', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport, CI_LAB);
  });
  after(() => lab?.cleanup());

  CRASH_OPS.forEach((op, i) => {
    if (op !== 'compact' && op !== 'check-repair' && op !== 'recreate') return;
    it(`${op}: the repository stays consistent and usable`, async () => {
      const outcome = await crashScenario(lab, op, new Prng(SEED * 100 + i));
      assert.deepEqual(outcome.problems, [], `killed ${outcome.killPoint}`);
    });
  });
});
