// The archive check as a library (checkArchives): --verify-data with the worker pool finds a bit
// flipped under a valid segment CRC that the plain check cannot see, in a plaintext and in an
// encrypted repository, and --repair turns it into a replaced chunk that real borg accepts; an item
// stream with a missing chunk in the middle keeps exactly the items real borg 1.2.4 keeps.
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { saveArchive } from '../../src/archive/archive-writer.js';
import { checkArchives, type ArchiveCheckOptions } from '../../src/archive/check/archive-checker.js';
import type { ArchiveFinding } from '../../src/archive/check/findings.js';
import { SimpleChunkStore } from '../../src/archive/chunk-store.js';
import { ItemStreamWriter } from '../../src/archive/item-stream-writer.js';
import { S_IFLNK } from '../../src/archive/item.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { ITEMS_CHUNKER_PARAMS } from '../../src/chunker/index.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { parseLocation } from '../../src/remote/location.js';
import { unpackAndVerify } from '../../src/crypto/index.js';
import { encode } from '../../src/format/msgpack.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { deleteObject, flipObjectBit, repoLayout } from '../helpers/damage.js';
import { borgCheck, borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, type VectorRepo } from '../repository/repo-fixtures.js';

type Env = Record<string, string | undefined>;

async function check(repo: string, env: Env, options: Partial<ArchiveCheckOptions> = {}): Promise<{ ok: boolean; findings: ArchiveFinding[] }> {
  const repository = await LocalRepository.open(repo, { exclusive: true });
  const findings: ArchiveFinding[] = [];
  try {
    const result = await checkArchives(repository, {
      keyAccess: { location: repo, locationParts: { path: repo }, env, passphrase: { env } },
      onFinding: (f) => findings.push(f),
      ...options,
    });
    return { ok: result.ok, findings };
  } finally {
    await repository.close();
  }
}

const problems = (findings: ArchiveFinding[]) => findings.filter((f) => f.problem).map((f) => f.kind);

describe('checkArchives --verify-data', () => {
  let tmp: string;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => removeTemp(tmp));

  for (const name of ['repo-none', 'repo-repokey-blake2'] satisfies VectorRepo[]) {
    it(`finds a bit flipped under a valid CRC in ${name}, and --repair replaces the chunk`, async () => {
      const repo = copyVectorRepo(name, makeTempDir());
      const env: Env = { ...borgEnv(tmp, name), BORG_BASE_DIR: `${repo}-base`, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
      const [archive] = (await repoLayout(repo, env)).archives;
      const [path, ids] = [...archive!.files].find(([, chunks]) => chunks.length > 0)!;
      flipObjectBit(repo, ids[0]!, { fixCrc: true });

      const plain = await check(repo, env);
      assert.deepEqual([plain.ok, problems(plain.findings)], [true, []], 'the CRC is valid: only decryption can tell');

      const verified = await check(repo, env, { verifyData: true, workers: 2, objectsPerWorker: 0 });
      assert.equal(verified.ok, false);
      const corrupted = verified.findings.filter((f) => f.kind === 'object-corrupted');
      assert.deepEqual(corrupted.map((f) => f.kind === 'object-corrupted' && f.id.toString('hex')), [ids[0]!.toString('hex')]);

      const repaired = await check(repo, env, { verifyData: true, repair: true });
      assert.equal(repaired.ok, true);
      assert.ok(repaired.findings.some((f) => f.kind === 'defect-object-deleted'));
      const replaced = repaired.findings.filter((f) => f.kind === 'file-chunk-missing');
      assert.deepEqual(replaced.map((f) => f.kind === 'file-chunk-missing' && f.path), [path]);
      assert.equal(borgCheck(repo, env, ['--verify-data']), '');
      assert.match(runBorg(['list', '--format', '{health} {path}{NL}', `${repo}::${archive!.name}`, path], env).stdout, /^broken /);
      rmSync(repo, { recursive: true, force: true });
    });
  }
});

/** Replaces the archive's metadata by the same metadata without a TAM (what borg < 1.0.9 wrote). */
async function stripArchiveTam(repo: string, env: Env, name: string): Promise<void> {
  const session = await RepositorySession.open(parseLocation(repo, { env }), { env, exclusive: true, confirm: confirmFromEnv(env), operations: ['write'] });
  try {
    const entry = session.manifest.archives.get(name)!;
    const { value } = unpackAndVerify(session.key, session.codec.unpack(entry.id, await session.repository.get(entry.id)), 'archive', { required: false });
    await session.prepareWrite();
    const packed = session.writer().pack(encode(value, { sortKeys: true }));
    await session.repository.put(packed.id, packed.envelope);
    await session.repository.delete(entry.id);
    session.manifest.archives.set(name, { ...entry, id: packed.id });
    await session.commit();
  } finally {
    await session.close();
  }
}

async function archiveTamVerifies(repo: string, env: Env, name: string): Promise<boolean> {
  const session = await RepositorySession.open(parseLocation(repo, { env }), { env, confirm: confirmFromEnv(env) });
  try {
    const id = session.manifest.archives.get(name)!.id;
    return unpackAndVerify(session.key, session.codec.unpack(id, await session.repository.get(id)), 'archive', { required: true }).verified;
  } finally {
    await session.close();
  }
}

describe('checkArchives and archive TAMs (borg >= 1.2.5 rules)', () => {
  let tmp: string;
  before(() => {
    tmp = makeTempDir();
  });
  after(() => removeTemp(tmp));

  it('removes an archive without TAM when the key requires TAMs, keeps and authenticates it in the none mode', async () => {
    for (const [name, required] of [['repo-repokey-blake2', true], ['repo-none', false]] as const) {
      const repo = copyVectorRepo(name, makeTempDir());
      const env: Env = { ...borgEnv(tmp, name), BORG_BASE_DIR: `${repo}-base`, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
      await stripArchiveTam(repo, env, 'vector-archive');
      const found = await check(repo, env);
      assert.deepEqual(problems(found.findings), required ? ['archive-tam-invalid', 'orphans-found'] : [], name);
      const repaired = await check(repo, env, { repair: true });
      assert.equal(repaired.ok, true);
      const listed = runBorg(['list', '--short', repo], env).stdout;
      assert.equal(listed, required ? '' : 'vector-archive\n', name);
      assert.equal(borgCheck(repo, env), '');
      if (!required) assert.equal(await archiveTamVerifies(repo, env, 'vector-archive'), true, 'repair packed it with a TAM');
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('checkArchives with a hole in an item stream', () => {
  let tmp: string;
  let repo: string;
  let env: Env;
  before(async () => {
    tmp = makeTempDir();
    repo = copyVectorRepo('repo-repokey-blake2', tmp);
    env = { ...borgEnv(tmp), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    // An archive of 3000 symlinks with long targets: its item stream spans several chunks of the items chunker.
    const session = await RepositorySession.open(parseLocation(repo, { env }), { env, exclusive: true, confirm: confirmFromEnv(env), operations: ['write'] });
    try {
      const store = new SimpleChunkStore(session.repository, session.writer(), () => session.prepareWrite());
      const writer = new ItemStreamWriter(store, session.key.chunkSeed);
      for (let i = 0; i < 3000; i++) {
        await writer.add({ path: `links/link-${String(i).padStart(5, '0')}`, mode: S_IFLNK | 0o777, uid: 0, gid: 0, user: 'root', group: 'root', mtime: 1_700_000_000_000_000_000n, source: `target-${'x'.repeat(300)}-${i}` });
      }
      const items = await writer.finish();
      const totals = { size: 0, csize: 0, nfiles: 0, sizeParts: 0, csizeParts: 0, nfilesParts: 0 };
      await saveArchive(session, store, { name: 'links', items, cmdline: ['test'], start: 1_700_000_000_000_000n, end: 1_700_000_001_000_000n, chunkerParams: ITEMS_CHUNKER_PARAMS, totals });
      await session.commit();
    } finally {
      await session.close();
    }
  });
  after(() => removeTemp(tmp));

  it('resyncs after the hole: the surviving items equal those real borg keeps', async () => {
    const links = (await repoLayout(repo, env)).archives.find((a) => a.name === 'links')!;
    assert.ok(links.itemIds.length >= 3, `expected several item chunks, got ${links.itemIds.length}`);
    await deleteObject(repo, links.itemIds[1]!);
    const copy = `${repo}-borg`;
    cpSync(repo, copy, { recursive: true });
    const borgRepairEnv = { ...env, BORG_BASE_DIR: `${copy}-base`, BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES' };

    const found = await check(repo, env);
    assert.equal(found.ok, false);
    assert.deepEqual(problems(found.findings), ['item-chunk-missing']);
    assert.equal(runBorg(['check', copy], borgRepairEnv).status, 1);

    const repaired = await check(repo, env, { repair: true });
    assert.equal(repaired.ok, true);
    assert.equal(runBorg(['check', '--repair', copy], borgRepairEnv).status, 0);
    assert.equal(borgCheck(repo, env), '');
    const listed = runBorg(['list', '--short', `${repo}::links`], env);
    assert.equal(listed.status, 0, listed.stderr);
    const ours = listed.stdout.split('\n');
    const theirs = runBorg(['list', '--short', `${copy}::links`], borgRepairEnv).stdout.split('\n');
    assert.ok(ours.length > 1000 && ours.length < 3000, `${ours.length} items survive`);
    assert.deepEqual(ours, theirs);
    assert.equal(runBorg(['list', '--short', `${repo}::vector-archive`], env).status, 0);
  });
});
