// Bit rot and truncation, part 2: the client's cache files and security dir (one seeded damage per
// kind): never silently wrong data; a damaged cache only costs a rebuild (part 1, bitrot.test.ts:
// repository files and the key file).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bitrotScenario, FILE_KINDS, filesOfKind, isClientState } from './lib/bitrot.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { describeResult, misbehaviour } from './lib/processes.js';
import { localTransport } from './lib/transport.js';

const SEED = 11;

describe('bit rot and truncation: cache and security dir', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport, { ...CI_LAB, encryption: 'keyfile-blake2' });
  });
  after(() => lab?.cleanup());

  FILE_KINDS.forEach((kind, i) => {
    if (!isClientState(kind)) return;
    const damage = i % 2 === 0 ? 'flip' : 'truncate';
    it(`${kind}, ${damage}: detected or harmless, never silently wrong`, async () => {
      const outcome = await bitrotScenario(lab, kind, damage, new Prng(SEED * 100 + i));
      assert.deepEqual(outcome.problems, [], `${outcome.file} at ${outcome.at}: ${JSON.stringify(outcome.results)}`);
    });
  });

  it('a truncated cache config: the next backup rebuilds the cache instead of refusing', async () => {
    const outcome = await bitrotScenario(lab, 'cache-config', 'truncate', new Prng(SEED * 7));
    assert.deepEqual(outcome.problems, [], `${outcome.file} at ${outcome.at}: ${JSON.stringify(outcome.results)}`);
  });

  it('a security timestamp damaged to a later time: refused as a possible replay, as borg does (found by the torture run)', async () => {
    lab.reset();
    const [file] = filesOfKind(lab, 'security-timestamp');
    const stamp = readFileSync(file!, 'latin1');
    writeFileSync(file!, `9${stamp.slice(1)}`, 'latin1'); // year 9xxx: after the repository's manifest
    const ours = await lab.ts(['list', lab.loc()]);
    const borgs = await lab.borg(['list', lab.loc()]);
    for (const [what, r] of [['borg-ts list', ours], ['borg list', borgs]] as const) {
      assert.equal(misbehaviour(r), '', describeResult(what, r));
      assert.equal(r.code, 2, describeResult(what, r));
    }
    assert.match(ours.stderr, /^[^\n]*newer than the repository[^\n]*\n?$/);
  });

});
