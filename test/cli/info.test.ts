// `borg-ts info` (the built bin) against real borg 1.2.4 and its recorded --json output: repository
// and archive info, text and JSON, with archive filters; borg and borg-ts share one cache here, as
// a user switching between them would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packArchiveMeta } from '../../src/archive/archive-meta.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { unpackAndVerify } from '../../src/crypto/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { borgEnv, copyVectorRepo, FIXTURES, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js');

describe('borg-ts info', () => {
  let tmp: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const ours = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  const theirs = (args: string[]) => runBorg(args, env);

  before(() => {
    tmp = makeTempDir();
    repo = copyVectorRepo('repo-keyfile-blake2', tmp);
    env = { ...borgEnv(tmp), TZ: 'UTC' };
    // The key where borg found it when the outputs were recorded (<WORKDIR>/base/.config/borg/keys).
    delete env['BORG_KEY_FILE'];
    mkdirSync(join(tmp, 'borg-base', '.config', 'borg', 'keys'), { recursive: true });
    cpSync(join(FIXTURES, 'repo-keyfile-blake2.key'), join(tmp, 'borg-base', '.config', 'borg', 'keys', 'repo_keyfile_blake2'));
  });
  after(() => removeTemp(tmp));

  it('prints the --json of an archive that borg recorded for the vector repository', () => {
    const r = ours(['info', '--json', `${repo}::vector-archive`]);
    assert.equal(r.status, 0, r.stderr);
    const recorded = readFileSync(join(FIXTURES, 'repo-keyfile-blake2.out', 'info-archive.json'), 'utf8')
      .replaceAll('<WORKDIR>/base', join(tmp, 'borg-base')).replaceAll('<WORKDIR>', tmp);
    assert.equal(r.stdout, recorded);
  });

  it('prints what borg prints for the repository and for selected archives', () => {
    const tree = join(tmp, 'tree');
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'some text\n'.repeat(1000));
    const created = theirs(['create', '--comment', 'second one', `${repo}::second`, tree]);
    assert.equal(created.status, 0, created.stderr);
    for (const args of [
      [repo], ['--json', repo], [`${repo}::vector-archive`], [`${repo}::second`, '--json'],
      ['--last', '2', repo], ['-a', 'sec*', '--json', repo], ['--first', '1', '--sort-by', 'name', repo], ['--iec', `${repo}::second`],
    ]) {
      const [a, b] = [ours(['info', ...args]), theirs(['info', ...args])];
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, b.stdout, args.join(' '));
    }
  });

  it('computes the totals of archives without stored statistics (made before borg 1.2) like borg', async () => {
    // Strip the statistics from the second archive's metadata, as borg < 1.2 wrote it.
    const session = await RepositorySession.open(parseLocation(repo, { env }), { env, exclusive: true, confirm: confirmFromEnv(env) });
    try {
      const entry = session.manifest.archives.get('second')!;
      const { value } = unpackAndVerify(session.key, session.codec.unpack(entry.id, await session.repository.get(entry.id)), 'archive', { required: true });
      for (const key of ['size', 'csize', 'nfiles', 'size_parts', 'csize_parts', 'nfiles_parts']) delete value[key];
      await session.prepareWrite();
      const packed = session.writer().pack(packArchiveMeta(session.key, value));
      await session.repository.put(packed.id, packed.envelope);
      await session.repository.delete(entry.id);
      session.manifest.archives.set('second', { ...entry, id: packed.id });
      await session.commit();
    } finally {
      await session.close();
    }
    for (const args of [[repo], [`${repo}::second`, '--json'], ['--consider-part-files', '--last', '1', repo]]) {
      const [a, b] = [ours(['info', ...args]), theirs(['info', ...args])];
      assert.equal(a.status, 0, a.stderr);
      assert.equal(a.stdout, b.stdout, args.join(' '));
    }
    assert.match(readFileSync(join(tmp, 'borg-base', '.cache', 'borg', readFileSync(join(repo, 'config'), 'utf8').match(/id = (\w+)/)![1]!, 'pre12-meta'), 'utf8'), /"nfiles": 1/);
  });

  it('fails for an archive that does not exist', () => {
    const r = ours(['info', `${repo}::nosuch`]);
    assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', 'Archive nosuch does not exist\n']);
  });
});
