// Interoperability with real borg 1.2 (Debian's python3 with the borg package): borg decompresses what
// we write, we decompress what borg writes, for every kind of spec and several kinds of data.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';

import { Compressor, decompress, detectCompression } from '../../src/compress/index.js';
import { dna } from '../helpers/vector-input.js';

const BORG_PYTHON = '/usr/bin/python3';
const borgAvailable = spawnSync(BORG_PYTHON, ['-c', 'import borg.compress'], { cwd: tmpdir() }).status === 0;

/** For each case: borg decompresses our payload and compares; then writes its own payload for the spec. */
const BORG_ROUND_TRIP = `
import json, sys
from borg.compress import Compressor, CompressionSpec
results = []
for case in json.load(sys.stdin):
    data = open(case['input'], 'rb').read()
    ours = open(case['ours'], 'rb').read()
    try:
        ok = bytes(Compressor('lz4').decompress(ours)) == data
    except Exception as e:
        ok = repr(e)
    with open(case['theirs'], 'wb') as f:
        f.write(CompressionSpec(case['spec']).compressor.compress(data))
    results.append(ok)
print(json.dumps(results))
`;

const SPECS = ['none', 'lz4', 'zstd,1', 'zstd,3', 'zstd,22', 'zlib,0', 'zlib,6', 'zlib,9', 'lzma,0', 'lzma,6',
  'auto,lz4', 'auto,zstd,3', 'auto,zlib,9', 'auto,lzma,2', 'obfuscate,1,lz4', 'obfuscate,5,zstd,3',
  'obfuscate,110,none', 'obfuscate,117,auto,zstd,10'];

describe('compression interoperates with real borg', { skip: borgAvailable ? false : 'borg is not importable by /usr/bin/python3' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-compress-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const inputs: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    byte: Buffer.from([0x42]),
    random: randomBytes(300000),
    zeros: Buffer.alloc(1 << 20),
    dna: dna('borg-interop', 500000),
    mixed: Buffer.concat([randomBytes(100000), Buffer.alloc(100000), dna('mixed', 100000)]),
  };
  const cases: { spec: string; input: string; ours: string; theirs: string; name: string }[] = [];
  for (const [name, data] of Object.entries(inputs)) writeFileSync(join(dir, `${name}.in`), data);
  SPECS.forEach((spec, i) => {
    const compressor = new Compressor(spec);
    for (const [name, data] of Object.entries(inputs)) {
      const ours = join(dir, `${i}-${name}.ours`);
      writeFileSync(ours, compressor.compress(data));
      cases.push({ spec, input: join(dir, `${name}.in`), ours, theirs: join(dir, `${i}-${name}.theirs`), name });
    }
  });
  const run = spawnSync(BORG_PYTHON, ['-c', BORG_ROUND_TRIP], {
    cwd: tmpdir(), input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 16 << 20,
  });
  const results = run.status === 0 ? JSON.parse(run.stdout) as (boolean | string)[] : [];

  it('the borg helper ran', () => assert.equal(run.status, 0, run.stderr));

  for (const spec of SPECS) {
    it(spec, () => {
      cases.forEach((c, i) => {
        if (c.spec !== spec) return;
        assert.equal(results[i], true, `borg decompressing our ${c.name}`);
        const theirs = readFileSync(c.theirs);
        const ours = readFileSync(c.ours);
        assert.ok(decompress(theirs).equals(inputs[c.name]!), `decompressing borg's ${c.name}`);
        // Same codec choice as borg (deciding and auto rules), except for random obfuscation sizes.
        assert.equal(detectCompression(ours), detectCompression(theirs), `codec for ${c.name}`);
        if (!spec.startsWith('obfuscate')) return;
        const inner = (payload: Buffer): Buffer => payload.subarray(6, 6 + payload.readUInt32BE(2));
        assert.equal(detectCompression(inner(ours)), detectCompression(inner(theirs)), `inner codec for ${c.name}`);
      });
    });
  }
});
