// The borg-ts client against real `borg serve --restrict-to-path P --append-only` as an ssh forced
// command: the same scenario as serve-append-only.test.ts (append-only-scenario.ts), the same outcome.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SshServer } from '../helpers/sshd.js';
import { appendOnlyScenario, BORG_TS, EXPECTED_OUTCOME } from './append-only-scenario.js';
import { Sandbox } from './tools.js';

describe('real borg serve as an append-only forced command, borg-ts client', () => {
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

  it('borg-ts client → real borg serve --restrict-to-path P --append-only: the same outcome', () => {
    const serve = (allowed: string) => `borg serve --restrict-to-path ${allowed} --append-only`;
    assert.deepEqual(appendOnlyScenario({ sshd, box }, 'borg-serve', BORG_TS, serve, { BORG_REMOTE_PATH: 'borg' }), EXPECTED_OUTCOME);
  });
});
