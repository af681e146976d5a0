// Disk full (needs root for the tmpfs): the file system under repository and cache fills up during
// create, and during compact (once at the free-space estimate, once at its first segment write:
// the data directory is a full file system of its own, past the estimate that looks at the
// repository root). The torture run also fills the disk from another writer while compact runs.
// borg-ts ends with one clear line and exit 2, the repository stays at its last commit, and with
// room again real borg check passes and borg-ts works.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canMount, diskFullScenario } from './lib/disk-full.js';
import { Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

const SEED = 13;

describe('disk full', { skip: !canMount() && 'mounting a tmpfs needs root' }, () => {
  let lab: Lab;
  before(async () => {
    // The full-size lab: compact must still be rewriting segments when the disk fills up.
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport);
  });
  after(() => lab?.cleanup());

  it('during create: a clear error, the last commit intact, works again with room', async () => {
    const outcome = await diskFullScenario(lab, 'create', new Prng(SEED + 1), { room: 256 * 1024 });
    assert.deepEqual(outcome.problems, []);
    assert.equal(outcome.result, 'error');
    assert.match(outcome.message, /no space left on device/i);
  });

  it('compact on a nearly full disk: refused by the free-space estimate', async () => {
    const outcome = await diskFullScenario(lab, 'compact', new Prng(SEED + 2), { room: 64 * 1024 });
    assert.deepEqual(outcome.problems, []);
    assert.equal(outcome.result, 'error');
    assert.match(outcome.message, /not enough free space/);
  });

  it('compact past the free-space estimate on a full segment file system: a clear error, nothing lost', async () => {
    const outcome = await diskFullScenario(lab, 'compact', new Prng(SEED + 3), 'segments');
    assert.deepEqual(outcome.problems, []);
    assert.equal(outcome.result, 'error');
    assert.match(outcome.message, /no space left on device/i);
  });
});
