// `borg-ts rename` (the built bin): the renamed archive carries a valid archive TAM (what borg >=
// 1.2.5 demands; checked with our reader, since borg 1.2.4 does not check archive TAMs), real borg
// lists it under the new name with unchanged contents, and `borg check` finds nothing wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArchiveMeta } from '../../src/archive/archive-meta.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { unpackAndVerify } from '../../src/crypto/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { borgCheck, borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js');

describe('borg-ts rename', () => {
  let tmp: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const ours = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });

  /** The archive's TAM verification and salt, read with borg-ts's reader. */
  async function archiveTam(name: string): Promise<{ verified: boolean; salt: string | null }> {
    const session = await RepositorySession.open(parseLocation(repo, { env }), { env, confirm: confirmFromEnv(env) });
    try {
      const entry = session.manifest.archives.get(name);
      assert.ok(entry, `${name} is in the manifest`);
      const loaded = await loadArchiveMeta(session.repository, session.codec, session.key, entry.id);
      assert.equal(loaded.meta.name, name);
      const raw = session.codec.unpack(entry.id, await session.repository.get(entry.id));
      assert.equal(unpackAndVerify(session.key, raw, 'archive', { required: true }).verified, true);
      return { verified: loaded.tamVerified, salt: loaded.tamSalt?.toString('hex') ?? null };
    } finally {
      await session.close();
    }
  }

  before(() => {
    tmp = makeTempDir();
    repo = copyVectorRepo('repo-repokey-blake2', tmp);
    env = { ...borgEnv(tmp), TZ: 'UTC' };
  });
  after(() => removeTemp(tmp));

  it('renames with a valid TAM; borg lists the new name, the same contents, and its check passes', async () => {
    const before = await archiveTam('vector-archive');
    const contents = runBorg(['list', `${repo}::vector-archive`], env).stdout;
    const r = ours(['rename', `${repo}::vector-archive`, 'renamed-{now:%Y}']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
    const name = `renamed-${new Date().getFullYear()}`;

    const after = await archiveTam(name);
    assert.deepEqual(after, { verified: true, salt: before.salt }); // borg-ts keeps the salt of a valid TAM
    assert.equal(runBorg(['list', '--short', repo], env).stdout, `${name}\n`);
    assert.equal(runBorg(['list', `${repo}::${name}`], env).stdout, contents);
    assert.equal(borgCheck(repo, env), '');
    assert.match(runBorg(['info', `${repo}::${name}`], env).stdout, new RegExp(`^Archive name: ${name}$`, 'm'));

    const back = ours(['rename', `${repo}::${name}`, 'vector-archive']);
    assert.equal(back.status, 0, back.stderr);
    assert.deepEqual(await archiveTam('vector-archive'), before);
    assert.equal(borgCheck(repo, env), '');
  });

  it('refuses an existing, a missing and an invalid name like borg', () => {
    mkdirSync(join(tmp, 'small'));
    writeFileSync(join(tmp, 'small', 'f'), 'f');
    assert.equal(runBorg(['create', `${repo}::other`, join(tmp, 'small')], env).status, 0);
    const cases: Array<[string[], RegExp]> = [
      [[`${repo}::vector-archive`, 'other'], /^Archive other already exists\n$/],
      [[`${repo}::nosuch`, 'x'], /^Archive nosuch does not exist\n$/],
      [[`${repo}::other`, 'a::b'], /Invalid archive name: "a::b"/],
      [[`${repo}::other`, 'x'.repeat(256)], /Invalid archive name: "x+" \(longer than 255 bytes\)/],
    ];
    for (const [args, message] of cases) {
      const r = ours(['rename', ...args]);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, message);
      if (args[1]!.length < 256) assert.equal(runBorg(['rename', ...args], env).status, 2);
    }
    assert.equal(runBorg(['list', '--short', '--sort-by', 'name', repo], env).stdout, 'other\nvector-archive\n');
  });
});
