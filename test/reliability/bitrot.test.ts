// Bit rot and truncation, part 1: every kind of repository file and the key file (one seeded
// damage per kind): detected, never silently wrong data (part 2, bitrot-client.test.ts: the
// client's cache and security dir).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bitrotScenario, FILE_KINDS, isClientState } from './lib/bitrot.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

const SEED = 11;

describe('bit rot and truncation: repository files and key file', () => {
  let lab: Lab;
  before(async () => {
    // keyfile mode, so that there is a key file to damage
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport, { ...CI_LAB, encryption: 'keyfile-blake2' });
  });
  after(() => lab?.cleanup());

  FILE_KINDS.forEach((kind, i) => {
    if (isClientState(kind)) return;
    const damage = i % 2 === 0 ? 'flip' : 'truncate';
    it(`${kind}, ${damage}: detected or harmless, never silently wrong`, async () => {
      const outcome = await bitrotScenario(lab, kind, damage, new Prng(SEED * 100 + i));
      assert.deepEqual(outcome.problems, [], `${outcome.file} at ${outcome.at}: ${JSON.stringify(outcome.results)}`);
    });
  });

  it('a bit flip inside a live file chunk: extract does not succeed, check finds it', async () => {
    // Random offsets may land in superseded data; this one surely hits what extract reads.
    const outcome = await bitrotScenario(lab, 'segment', 'flip', new Prng(SEED), { liveChunk: true });
    assert.deepEqual(outcome.problems, []);
    assert.notEqual(outcome.results['extract'], 'ok');
    assert.equal(outcome.detected, true);
  });
});
