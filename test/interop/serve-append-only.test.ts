// The real borg client against `borg-ts serve --restrict-to-path P --append-only` as an ssh forced
// command (see append-only-scenario.ts): outside P is refused, and every archive deleted or pruned
// by the client comes back when the server rolls back the append-only transactions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SshServer } from '../helpers/sshd.js';
import { appendOnlyScenario, EXPECTED_OUTCOME, REAL_BORG } from './append-only-scenario.js';
import { BIN, Sandbox } from './tools.js';

describe('borg-ts serve as an append-only forced command', () => {
  let sshd: SshServer;
  let box: Sandbox;

  before(async () => {
    sshd = await SshServer.start();
    box = new Sandbox({ TZ: 'UTC' });
  });
  after(async () => {
    await sshd?.stop();
    box?.cleanup();
  });

  it('real borg client → borg-ts serve --restrict-to-path P --append-only', () => {
    const serve = (allowed: string) => `${process.execPath} ${BIN} serve --restrict-to-path ${allowed} --append-only`;
    assert.deepEqual(appendOnlyScenario({ sshd, box }, 'ts-serve', REAL_BORG, serve, {}), EXPECTED_OUTCOME);
  });
});
