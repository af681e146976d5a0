// The repository check's pass over segments in parts (segment-scan.ts), as the verify workers run it
// for `check --verify-data`: whatever the damage and wherever the cuts fall — also where an object's
// data holds something that looks like a segment entry — the findings equal those of reading each
// segment in one pass on this thread.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { cutSegment, joinParts, scanPart } from '../../src/archive/check/segment-scan.js';
import type { SegmentScanner } from '../../src/repository/repository-check.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import type { CheckFinding } from '../../src/repository/repository.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

/** A PUT entry as a segment holds it (what an object's data may contain by chance or on purpose). */
function fakeEntry(data: Buffer): Buffer {
  const entry = Buffer.alloc(41 + data.length);
  entry.writeUInt32LE(entry.length, 4);
  entry[8] = 0;
  randomBytes(32).copy(entry, 9);
  data.copy(entry, 41);
  entry.writeUInt32LE(crc32(entry.subarray(4)), 0);
  return entry;
}

/** The same pass, in `parts` parts, on this thread. */
function inParts(parts: number): SegmentScanner {
  return async (segment, path, size) => {
    const cut = cutSegment(segment, path, size, parts, 1);
    return joinParts(cut.map((part) => scanPart(part)), async (start) => scanPart({ segment, path, start, find: false, to: Infinity }));
  };
}

async function findings(path: string, segmentScanner?: SegmentScanner): Promise<{ ok: boolean; findings: CheckFinding[] }> {
  const found: CheckFinding[] = [];
  const repo = await LocalRepository.open(path, { exclusive: true });
  try {
    const ok = await repo.check({ onFinding: (f) => found.push(f), ...(segmentScanner ? { segmentScanner } : {}) });
    return { ok, findings: found };
  } finally {
    await repo.close();
  }
}

describe('segment scan in parts', () => {
  let tmp: string;
  let pristine: Buffer;
  let path: string;
  let segment: string;
  /** Offsets of the entries of segment 0. */
  const offsets: number[] = [];

  before(async () => {
    tmp = makeTempDir();
    path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path);
    for (let i = 0; i < 60; i++) {
      const size = [10, 300, 5000, 40000][i % 4]!;
      // Every fifth object holds entries that look real (with valid CRCs), where cuts may fall.
      const data = i % 5 === 2 ? Buffer.concat([randomBytes(7), fakeEntry(randomBytes(size)), fakeEntry(randomBytes(50)), randomBytes(3)]) : randomBytes(size);
      await repo.put(randomBytes(32), data);
      if (i === 30) await repo.delete((await repo.list(1, null))[0]!);
    }
    await repo.commit({ compact: false });
    await repo.close();
    segment = join(path, 'data', '0', '0');
    pristine = readFileSync(segment);
    for (let at = 8; at < pristine.length; at += pristine.readUInt32LE(at + 4)) offsets.push(at);
  });

  after(() => removeTemp(tmp));

  const damages: [string, (b: Buffer) => Buffer][] = [
    ['no damage', (b) => b],
    ['a flipped data byte', (b) => { b[offsets[17]! + 60]! ^= 0x10; return b; }],
    ['a flipped byte in the last entry', (b) => { b[b.length - 3]! ^= 0x01; return b; }],
    ['an unknown tag', (b) => { b[offsets[25]! + 8] = 7; return b; }],
    ['a size too small', (b) => { b.writeUInt32LE(12, offsets[9]! + 4); return b; }],
    ['a size too big', (b) => { b.writeUInt32LE(0x7fffffff, offsets[40]! + 4); return b; }],
    ['a size running past the end', (b) => { b.writeUInt32LE(b.length, offsets[44]! + 4); return b; }],
    ['the file cut inside an entry', (b) => b.subarray(0, offsets[33]! + 100)],
    ['the file cut inside a header', (b) => b.subarray(0, offsets[20]! + 5)],
    ['the file cut after the magic', (b) => b.subarray(0, 8)],
    ['a bad magic', (b) => { b[0] = 0x41; return b; }],
    ['garbage after the last entry', (b) => Buffer.concat([b, randomBytes(100)])],
    ['a fake entry after the last one', (b) => Buffer.concat([b, fakeEntry(randomBytes(20))])],
    ['an empty file', () => Buffer.alloc(0)],
  ];

  for (const [name, damage] of damages) {
    it(`${name}: the same findings in 1 to 7 parts as in one pass here`, async () => {
      const bytes = damage(Buffer.from(pristine));
      writeFileSync(segment, bytes);
      try {
        const expected = await findings(path);
        if (name !== 'no damage') assert.ok(expected.findings.some((f) => f.level === 'error'), 'the damage is found');
        for (const parts of [1, 2, 3, 4, 7]) assert.deepEqual(await findings(path, inParts(parts)), expected, `${parts} parts`);
      } finally {
        truncateSync(segment, 0);
        writeFileSync(segment, pristine);
      }
    });
  }

  it('cuts falling on every few bytes of a false entry still join to the one chain', async () => {
    const expected = await findings(path);
    const size = pristine.length;
    let rejoined = 0;
    for (let k = 1; k < 40; k++) {
      const cut = Math.floor((k * size) / 40);
      const scanner: SegmentScanner = async (seg, p) => {
        const parts = [{ segment: seg, path: p, start: 0, find: false, to: cut }, { segment: seg, path: p, start: cut, find: true, to: Infinity }];
        return joinParts(parts.map((part) => scanPart(part)), async (start) => {
          rejoined += 1;
          return scanPart({ segment: seg, path: p, start, find: false, to: Infinity });
        });
      };
      assert.deepEqual(await findings(path, async (seg, p, s) => (s === size ? scanner(seg, p, s) : inParts(1)(seg, p, s))), expected, `cut at ${cut}`);
    }
    assert.ok(rejoined > 0, 'some cuts made the second part start at a false entry');
  });
});

describe('check --verify-data with the segment scan on worker threads', () => {
  it('reports a damaged segment like the pass on this thread and exits (the idle workers hold nothing open)', () => {
    const tmp = makeTempDir();
    try {
      const env = { ...process.env, BORG_PASSPHRASE: 'x', BORG_BASE_DIR: join(tmp, 'base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
      const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), ...args], { env, encoding: 'utf8', timeout: 60_000 });
      const repo = join(tmp, 'repo');
      mkdirSync(join(tmp, 'src'));
      for (let i = 0; i < 20; i++) writeFileSync(join(tmp, 'src', `f${i}`), randomBytes(300_000));
      assert.equal(cli('init', '-e', 'repokey', repo).status, 0);
      assert.equal(cli('create', `${repo}::a`, join(tmp, 'src')).status, 0);
      const clean = cli('check', '--verify-data', '--workers', '2', repo);
      assert.equal(clean.status, 0, clean.stderr);
      const data = join(repo, 'data', '0');
      const biggest = readdirSync(data).map((n) => join(data, n)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
      const bytes = readFileSync(biggest);
      bytes[Math.floor(bytes.length * 0.7)]! ^= 0x04;
      writeFileSync(biggest, bytes);
      const inline = cli('check', '--verify-data', '--workers', '1', repo);
      const workers = cli('check', '--verify-data', '--workers', '2', repo);
      assert.equal(workers.status, 1, `exit code (null: still running when killed)\n${workers.stderr}`);
      assert.match(workers.stderr, /Segment entry checksum mismatch/);
      assert.equal(workers.stderr, inline.stderr);
    } finally {
      removeTemp(tmp);
    }
  });
});
