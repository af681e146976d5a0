// Crash consistency over SSH (a real sshd on 127.0.0.1; borg-ts talks to `borg-ts serve`, real
// borg to `borg serve`): the client killed with SIGKILL during create and during delete. The same
// checks as the local runs (lib/crash.ts); `npm run torture -- --transport ssh` runs all operations.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SSHD } from '../helpers/sshd.js';
import { crashScenario } from './lib/crash.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { sshTransport, type Transport } from './lib/transport.js';

const SEED = 23;

describe('kill -9 at a seeded point, repository over SSH', { skip: !existsSync(SSHD) && 'no sshd' }, () => {
  let transport: Transport;
  let lab: Lab;
  before(async () => {
    transport = await sshTransport();
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), transport, CI_LAB);
  });
  after(async () => {
    lab?.cleanup();
    await transport?.close();
  });

  for (const [i, op] of (['create', 'delete'] as const).entries()) {
    it(`${op}: the repository stays consistent and usable`, async () => {
      const outcome = await crashScenario(lab, op, new Prng(SEED * 100 + i));
      assert.deepEqual(outcome.problems, [], `killed ${outcome.killPoint}`);
    });
  }
});
