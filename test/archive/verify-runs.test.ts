// check --verify-data after a repository check in the same session: the workers read the segment
// files themselves (segment-verify-worker.ts). They must find exactly what the streamed path finds,
// reported in the same order.
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkArchives } from '../../src/archive/check/archive-checker.js';
import type { ArchiveFinding } from '../../src/archive/check/findings.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { flipObjectBit, repoLayout } from '../helpers/damage.js';
import { writeArchive } from '../helpers/library-archive.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

type Env = Record<string, string | undefined>;

/** Runs the archive check with verification; `checkFirst`: after a full repository check in the same session. */
async function verify(repo: string, env: Env, checkFirst: boolean): Promise<{ layout: boolean; findings: string[] }> {
  const repository = await LocalRepository.open(repo, { exclusive: true });
  try {
    if (checkFirst) assert.equal(await repository.check(), true, 'the segments themselves are intact');
    const layout = (await repository.objectLayout()) !== null;
    const findings: ArchiveFinding[] = [];
    await checkArchives(repository, {
      keyAccess: { location: repo, locationParts: { path: repo }, env, passphrase: { env } },
      onFinding: (f) => findings.push(f),
      verifyData: true, workers: 2, objectsPerWorker: 0,
    });
    const text = (f: ArchiveFinding): string => {
      const { kind, ...rest } = f as ArchiveFinding & Record<string, unknown>;
      return `${kind} ${JSON.stringify(rest, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v))}`;
    };
    return { layout, findings: findings.map(text) };
  } finally {
    await repository.close();
  }
}

describe('check --verify-data with workers reading the segments', () => {
  let tmp: string;
  let repo: string;
  let env: Env;
  let damaged: string[];
  before(async () => {
    tmp = makeTempDir();
    repo = join(tmp, 'repo');
    env = { BORG_BASE_DIR: join(tmp, 'base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
    // More objects than one worker job takes (4096), so that outcomes of several jobs are put in order.
    const items = Array.from({ length: 5000 }, (_, i) => ({ path: `f/${i}`, content: `object ${i} `.repeat(1 + (i % 7)) }));
    await writeArchive(repo, env, 'a', items);
    const files = (await repoLayout(repo, env)).archives[0]!.files;
    damaged = [];
    for (const i of [7, 2500, 4100, 4999]) {
      const id = files.get(`f/${i}`)![0]!;
      flipObjectBit(repo, id, { fixCrc: true });
      damaged.push(id.toString('hex'));
    }
  });
  after(() => removeTemp(tmp));

  it('finds the same damaged objects, in the same order, as reading them on the main thread', async () => {
    const streamed = join(tmp, 'streamed');
    cpSync(repo, streamed, { recursive: true });
    const before = await verify(streamed, { ...env, BORG_BASE_DIR: join(tmp, 'base-streamed') }, false);
    const after = await verify(repo, env, true);
    assert.equal(before.layout, false, 'without a repository check the objects are streamed');
    assert.equal(after.layout, true, 'after one the workers read the segments');
    assert.deepEqual(after.findings, before.findings);
    const corrupted = after.findings.filter((f) => f.startsWith('object-corrupted '));
    assert.equal(corrupted.length, damaged.length);
    damaged.forEach((id, i) => assert.ok(corrupted[i]!.includes(id), `damaged object ${i} reported in on-disk order`));
  });
});
