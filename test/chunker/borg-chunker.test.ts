// Cross-check with the real borg 1.2 chunker (Debian's python3 with the borg package) on fresh random
// input: same parameters and seed must give the same chunk sizes.

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';

import { type ChunkerParams, chunkBuffer, parseChunkerParams } from '../../src/chunker/index.js';

const BORG_PYTHON = '/usr/bin/python3';
const borgAvailable = spawnSync(BORG_PYTHON, ['-c', 'import borg.chunker'], { cwd: tmpdir() }).status === 0;

const BORG_CHUNK_SIZES = `
import io, json, sys
from borg.chunker import get_chunker
path, seed, params = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
chunker = get_chunker(*params, seed=seed, sparse=False)
with open(path, 'rb') as f:
    print(json.dumps([c.meta['size'] for c in chunker.chunkify(f)]))
`;

function borgChunkSizes(path: string, params: ChunkerParams, seed: number): number[] {
  const args = params.algorithm === 'fixed'
    ? ['fixed', params.blockSize, params.headerSize]
    : ['buzhash', params.minExp, params.maxExp, params.maskBits, params.windowSize];
  const result = spawnSync(BORG_PYTHON, ['-c', BORG_CHUNK_SIZES, path, String(seed), JSON.stringify(args)],
    { cwd: tmpdir(), encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as number[];
}

describe('chunk sizes agree with real borg', { skip: borgAvailable ? false : 'borg is not importable by /usr/bin/python3' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-chunker-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Random data with a run of zeros and a run of one repeated byte (constant window hashes).
  const data = Buffer.concat([randomBytes(5 << 20), Buffer.alloc(1234567), randomBytes(3 << 20),
    Buffer.alloc(700000, 0x5a), randomBytes(randomInt(1, 1 << 20))]);
  const path = join(dir, 'input.bin');
  writeFileSync(path, data);

  const cases = ['default', '15,19,17,4095', '10,16,12,63', '12,18,14,64', '8,12,10,31', 'fixed,65536,1000'];
  for (const spec of cases) {
    it(spec, () => {
      const params = parseChunkerParams(spec);
      const seed = randomInt(-(2 ** 31), 2 ** 31);
      const ours = chunkBuffer(params, seed, data).map((chunk) => chunk.length);
      assert.deepEqual(ours, borgChunkSizes(path, params, seed), `seed ${seed}`);
    });
  }
});
