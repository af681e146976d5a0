// Hostile repositories, part 2: archive metadata and item streams of the wrong shape, huge lengths,
// deep nesting, hostile paths (.., absolute, symlinked parents, hard links to outside, 64 KiB
// names, 2000 levels), archives without or with a wrong TAM, a chunk forged without the key.
// list, extract, export-tar, diff and check must give a clear error or skip the item with a
// warning — never crash, hang, exhaust memory (256 MiB heap) or write outside the extract target.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HOSTILE_CASES, runHostileCase } from './lib/hostile.js';

const ROOT = join(tmpdir(), 'borg-ts-reliability');

describe('hostile archives', () => {
  for (const c of HOSTILE_CASES.filter((h) => h.target === 'archive')) {
    it(`${c.name}: clear errors or warnings, nothing outside the target`, async () => {
      const result = await runHostileCase(ROOT, c);
      assert.deepEqual(result.problems, []);
      if (c.name.startsWith('hostile paths')) {
        const extract = result.runs.find((r) => r.command.startsWith('extract'))!.result;
        assert.equal(extract.code, 1, 'the unsafe items are skipped with warnings');
      }
    });
  }
});
