// list's formatters against the outputs real borg 1.2.4 recorded for the vector repositories
// (test/fixtures/repos/*.out, made with TZ=UTC): item lines for a --format, --json-lines objects,
// and the --json archive list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listArchiveContents, listRepositoryArchives } from '../../src/archive/list/list-archives.js';
import { ItemFormatter } from '../../src/archive/list/item-formatter.js';
import { repositoryJson } from '../../src/archive/repository-json.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { formatJson, pythonJsonDumps } from '../../src/cli/json.js';
import { parseLocation } from '../../src/remote/location.js';
import { copyVectorRepo, FIXTURES, makeTempDir, PASSPHRASE, removeTemp, type VectorRepo } from '../repository/repo-fixtures.js';

process.env['TZ'] = 'UTC'; // the recorded outputs were made in UTC

const FORMAT = '{mode} {user} {group} {size} {isomtime} {path}{extra} {num_chunks} {sha256}{NL}';

async function withSession(name: VectorRepo, body: (session: RepositorySession, path: string, tmp: string) => Promise<void>): Promise<void> {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo(name, tmp);
    const env: Record<string, string | undefined> = {
      ...process.env, BORG_BASE_DIR: join(tmp, 'base'), BORG_PASSPHRASE: PASSPHRASE, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_KEY_FILE: undefined,
    };
    if (name === 'repo-keyfile-blake2') env['BORG_KEY_FILE'] = join(FIXTURES, 'repo-keyfile-blake2.key');
    const session = await RepositorySession.open(parseLocation(path, { env }), { env, confirm: confirmFromEnv(env) });
    try {
      await body(session, path, tmp);
    } finally {
      await session.close();
    }
  } finally {
    removeTemp(tmp);
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const fixture = (name: string, file: string) => readFileSync(join(FIXTURES, `${name}.out`, file), 'utf8');

for (const name of ['repo-none', 'repo-keyfile-blake2'] as const) {
  test(`${name}: item lines, JSON lines and the archive list equal borg's recorded output`, async () => {
    await withSession(name, async (session, path) => {
      const lines = await collect(listArchiveContents(session, 'vector-archive', { format: FORMAT }));
      assert.equal(lines.join(''), fixture(name, 'list-items-format.txt'));

      // Keys and values as borg's; the order of the keys the format adds is arbitrary in borg (a set).
      const objects = await collect(listArchiveContents(session, 'vector-archive', { json: true }));
      const recorded = fixture(name, 'list-items.jsonl').trim().split('\n');
      assert.equal(objects.length, recorded.length);
      for (const [i, line] of recorded.entries()) {
        const ours = JSON.parse(pythonJsonDumps(objects[i])) as Record<string, unknown>;
        const theirs = JSON.parse(line) as Record<string, unknown>;
        assert.deepEqual(ours, theirs);
        assert.deepEqual(Object.keys(ours).slice(0, 11), Object.keys(theirs).slice(0, 11));
        assert.equal(pythonJsonDumps(theirs), line); // the escaping of non-ASCII paths is borg's
      }

      const archives = await collect(listRepositoryArchives(session, { json: true }));
      const expected = fixture(name, 'list-repo.json').replaceAll('<WORKDIR>/base/.config/borg/keys/repo_keyfile_blake2', join(FIXTURES, 'repo-keyfile-blake2.key'))
        .replaceAll('<WORKDIR>', join(path, '..'));
      assert.equal(formatJson({ ...repositoryJson(session), archives }), expected);
    });
  });
}

test('repo-extra: the fixed-chunker archive lists like borg; the archive renamed by borg 1.2.4 is refused (stale TAM)', async () => {
  await withSession('repo-extra', async (session) => {
    const objects = await collect(listArchiveContents(session, 'fixed-obfuscated', { json: true }));
    const expected = fixture('repo-extra', 'list-items-fixed-obfuscated.jsonl').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(JSON.parse(JSON.stringify(objects)), expected);
    await assert.rejects(collect(listArchiveContents(session, 'small-chunks-renamed', { json: true })), { code: 'ArchiveTAMInvalid' });
    await assert.rejects(collect(listArchiveContents(session, 'nonexistent')), { code: 'DoesNotExist', message: 'Archive nonexistent does not exist' });
  });
});

test('ItemFormatter checks the keys of a text format up front and needs its data sources', () => {
  const archive = { name: 'a', id: Buffer.alloc(32) };
  assert.throws(() => new ItemFormatter('{nosuchkey}', { archive }), { code: 'InvalidPlaceholder' });
  assert.throws(() => new ItemFormatter('{path', { archive }), { code: 'UsageError' });
  assert.doesNotThrow(() => new ItemFormatter('{nosuchkey}', { archive, json: true }));
  assert.throws(() => new ItemFormatter('{sha256}', { archive }), TypeError);
  assert.throws(() => new ItemFormatter('{dsize}', { archive }), TypeError);
});
