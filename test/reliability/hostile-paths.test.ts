// Hostile repositories, part 3: hostile paths (.., absolute, symlinked parents, hard links to
// outside, 64 KiB names, 2000 levels), archives without or with a wrong TAM, a file chunk forged
// without the key. list, extract, export-tar, diff and check must give a clear error or skip the
// item with a warning — never crash, hang or write outside the extract target.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HOSTILE_CASES, isPathOrAuthCase, runHostileCase } from './lib/hostile.js';

const ROOT = join(tmpdir(), 'borg-ts-reliability');

describe('hostile archives: paths and authentication', () => {
  for (const c of HOSTILE_CASES.filter((h) => h.target === 'archive' && isPathOrAuthCase(h))) {
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
