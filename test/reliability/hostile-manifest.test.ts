// Hostile repositories, part 1: the manifest — malformed, of the wrong types, with huge lengths or
// deep nesting, forged without the key, signed by another key, replayed, or the whole repository
// rolled back. Every command must refuse with a clear error (exit 2), never crash, hang or
// exhaust memory (the runs get a 256 MiB heap).
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MANIFEST_ID } from '../../src/crypto/index.js';
import { fileItem, HOSTILE_CASES, newHostileRepo, runHostileCase, tamper } from './lib/hostile.js';
import { describeResult, misbehaviour, runBorgTs } from './lib/processes.js';

const ROOT = join(tmpdir(), 'borg-ts-reliability');

describe('hostile manifests', () => {
  for (const c of HOSTILE_CASES.filter((h) => h.target === 'manifest')) {
    it(`${c.name}: refused with a clear error`, async () => {
      const result = await runHostileCase(ROOT, c);
      assert.deepEqual(result.problems, []);
    });
  }

  it('a replayed manifest and a rolled-back repository are refused as replays', async () => {
    const h = await newHostileRepo(ROOT, 'repokey');
    try {
      const list = () => runBorgTs(['list', h.repo], { env: h.env, cwd: h.dir });
      assert.equal((await list()).code, 0);
      const snapshot = join(h.dir, 'snapshot');
      cpSync(h.repo, snapshot, { recursive: true });
      let oldManifest: Buffer | undefined;
      await tamper(h, async (w) => {
        oldManifest = await w.session.repository.get(MANIFEST_ID);
        w.listArchives({ later: await w.archive('later', await w.itemStream([fileItem('f', [await w.chunk('later\n')])])) });
      });
      assert.equal((await list()).code, 0);

      // An attacker puts the old (authentic) manifest back.
      await tamper(h, (w) => w.rawObject(MANIFEST_ID, oldManifest!), false);
      const replayed = await list();
      assert.equal(misbehaviour(replayed), '');
      assert.equal(replayed.code, 2, describeResult('list', replayed));
      assert.match(replayed.stderr, /replay/i);

      // ... or the whole repository as it was before.
      rmSync(h.repo, { recursive: true });
      cpSync(snapshot, h.repo, { recursive: true });
      const rolledBack = await list();
      assert.equal(rolledBack.code, 2, describeResult('list', rolledBack));
      assert.match(rolledBack.stderr, /replay/i);
    } finally {
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});
