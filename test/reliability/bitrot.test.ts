// Bit rot and truncation in every kind of file of a repository and of the client's state (one
// seeded damage per kind): detected, never silently wrong data; damaged cache files are rebuilt.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bitrotScenario, FILE_KINDS } from './lib/bitrot.js';
import { Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

const SEED = 11;

describe('bit rot and truncation', () => {
  let lab: Lab;
  before(async () => {
    // keyfile mode, so that there is a key file to damage
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(SEED), localTransport, { encryption: 'keyfile-blake2', scale: 0.5 });
  });
  after(() => lab?.cleanup());

  FILE_KINDS.forEach((kind, i) => {
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

  it('a bit flip inside a live file chunk: extract does not succeed, check finds it', async () => {
    // Random offsets may land in superseded data; this one surely hits what extract reads.
    const outcome = await bitrotScenario(lab, 'segment', 'flip', new Prng(SEED), { liveChunk: true });
    assert.deepEqual(outcome.problems, []);
    assert.notEqual(outcome.results['extract'], 'ok');
    assert.equal(outcome.detected, true);
  });
});
