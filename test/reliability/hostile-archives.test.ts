// Hostile repositories, part 2: archive metadata and item streams of the wrong shape, huge lengths,
// deep nesting (part 3, hostile-paths.test.ts: hostile paths, TAMs and a forged chunk).
// list, extract, export-tar, diff and check must give a clear error or skip the item with a
// warning — never crash, hang, exhaust memory (256 MiB heap) or write outside the extract target.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HOSTILE_CASES, isPathOrAuthCase, runHostileCase } from './lib/hostile.js';

const ROOT = join(tmpdir(), 'borg-ts-reliability');

describe('hostile archives', () => {
  for (const c of HOSTILE_CASES.filter((h) => h.target === 'archive' && !isPathOrAuthCase(h))) {
    it(`${c.name}: clear errors or warnings, nothing outside the target`, async () => {
      const result = await runHostileCase(ROOT, c);
      assert.deepEqual(result.problems, []);
    });
  }
});
