// `borg-ts upgrade` on a repokey repository made by borg 1.2.4: archives with an invalid TAM (left
// by borg 1.2.4's rename) and without one get valid TAMs (checked with our verification, as borg
// 1.2.4 checks none) and stay readable for borg; --disable-tam, --check-tam and --tam switch the
// manifest requirement in key, manifest and security dir, which real borg confirms; --tam --force
// repairs a manifest that a pre-1.0.9 client wrote without TAM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { securityDir } from '../../src/cache/paths.js';
import { unpackAndVerify } from '../../src/crypto/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { Sandbox, treeDigest } from '../interop/tools.js';
import { borgBatch, runBorgTs } from './maintenance-tools.js';

/** Test scaffolding through borg's library: an archive stored without TAM, or a manifest without TAM. */
const DAMAGE = String.raw`
import sys
from borg.archive import Statistics
from borg.cache import Cache
from borg.helpers import Manifest, msgpack
from borg.logger import setup_logging
from borg.repository import Repository
setup_logging(level='warning')
path, what = sys.argv[1:3]
with Repository(path, exclusive=True) as repository:
    manifest, key = Manifest.load(repository, Manifest.NO_OPERATION_CHECK)
    if what == 'manifest':
        key.pack_and_authenticate_metadata = lambda d, context=b'manifest': msgpack.packb(d)
        manifest.write()
        repository.commit(compact=False)
    else:
        with Cache(repository, key, manifest) as cache:
            info = manifest.archives[what]
            meta = msgpack.unpackb(key.decrypt(info.id, repository.get(info.id)))
            del meta[b'tam']
            data = msgpack.packb(meta)
            cache.add_chunk(key.id_hash(data), data, Statistics())
            cache.chunk_decref(info.id, Statistics())
            manifest.archives[what] = (key.id_hash(data), info.ts)
            manifest.write()
            repository.commit(compact=False)
            cache.commit()
`;

describe('borg-ts upgrade', () => {
  const box = new Sandbox({ TZ: 'UTC' });
  const repo = box.path('repo');
  const damage = (what: string) => {
    const r = spawnSync('/usr/bin/python3', ['-c', DAMAGE, repo, what], { env: box.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const ours = (...args: string[]) => runBorgTs(['upgrade', ...args, repo], box.env, { cwd: box.dir });
  const open = () => RepositorySession.open(parseLocation(repo, { env: box.env }), { env: box.env, confirm: confirmFromEnv(box.env) });
  let tamFile: string;

  before(() => {
    mkdirSync(box.path('src'));
    writeFileSync(join(box.path('src'), 'file'), 'contents');
    const steps = borgBatch([
      { argv: ['init', '-e', 'repokey-blake2', repo] },
      { argv: ['create', '--timestamp', '2024-01-01T00:00:00', `${repo}::one`, 'src'] },
      { argv: ['create', '--timestamp', '2024-01-02T00:00:00', `${repo}::two`, 'src'] },
      { argv: ['create', '--timestamp', '2024-01-03T00:00:00', `${repo}::three`, 'src'] },
      { argv: ['rename', `${repo}::two`, 'two-renamed'] },
    ], box.env, box.dir);
    for (const r of steps) assert.equal(r.rc, 0, r.stderr);
    damage('three');
    const config = spawnSync('borg', ['config', repo, 'id'], { env: box.env, encoding: 'utf8' });
    tamFile = join(securityDir(config.stdout.trim(), box.env), 'tam_required');
  });
  after(() => box.cleanup());

  it('--check-archives-tam reports the archives without a valid TAM and changes nothing', async () => {
    const digest = treeDigest(repo);
    const r = await ours('--check-archives-tam');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Archive TAM present: one +Mon, 2024-01-01 00:00:00 \[[0-9a-f]{64}\]\nArchive TAM missing: two-renamed +.*\nArchive TAM missing: three +.*\n$/);
    assert.match(r.stderr, /^Found 2 archives with TAM issues!\n$/);
    assert.equal(treeDigest(repo), digest);
  });

  it('--archives-tam gives them valid TAMs; borg still reads and checks everything', async () => {
    const r = await ours('--archives-tam');
    assert.deepEqual([r.code, r.stderr], [0, '']);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^Archive TAM present: one /);
    assert.match(lines[1]!, /^Added archive TAM: {3}two-renamed +Tue, 2024-01-02 00:00:00 \[[0-9a-f]{64}\] -> \[[0-9a-f]{64}\]$/);
    assert.match(lines[2]!, /^Added archive TAM: {3}three /);
    assert.deepEqual(lines.slice(3), ['Fixed 2 archives with TAM issues!', 'All archives are TAM authenticated now.', '']);

    const session = await open();
    try {
      for (const entry of session.manifest.archives.values()) {
        const data = session.codec.unpack(entry.id, await session.repository.get(entry.id));
        assert.equal(unpackAndVerify(session.key, data, 'archive', { required: true }).verified, true, entry.name);
      }
    } finally {
      await session.close();
    }
    const [list, check] = borgBatch([{ argv: ['list', `${repo}::two-renamed`] }, { argv: ['check', '--verify-data', repo] }], box.env, box.dir);
    assert.match(list!.stdout, / src\/file\n$/);
    assert.deepEqual([check!.rc, check!.stderr], [0, '']);
    const again = await ours('--check-archives-tam');
    assert.deepEqual([again.code, again.stderr], [0, '']);
    assert.match(again.stdout, /All archives are TAM authenticated\.\n$/);
  });

  it('--disable-tam, --check-tam and --tam switch the manifest requirement everywhere', async () => {
    assert.ok(existsSync(tamFile));
    const off = await ours('--disable-tam');
    // Like borg, it warns that it reads the manifest without requiring its TAM.
    assert.deepEqual(off, { code: 0, stdout: `Key updated\nKey location: ${repo}\n`, stderr: 'Manifest authentication is disabled for this run\n' });
    assert.ok(!existsSync(tamFile));
    const session = await open();
    assert.deepEqual([session.key.tamRequired, session.manifest.config['tam_required']], [false, false]);
    await session.close();

    const check = await ours('--check-tam');
    assert.deepEqual([check.code, check.stdout, check.stderr.split('\n').length], [1, '', 4]);

    const on = await ours('--tam');
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /^Manifest contents:\none +.*\ntwo-renamed +.*\nthree +.*\nKey updated\nKey location: .*\nUpdated security database\n$/);
    assert.ok(existsSync(tamFile));
    assert.deepEqual(await ours('--check-tam'), { code: 0, stdout: 'Manifest authentication setup OK for this client and this repository.\n', stderr: '' });
    // borg 1.2.4 agrees: its --tam finds nothing left to do.
    assert.deepEqual(borgBatch([{ argv: ['upgrade', '--tam', repo] }], box.env, box.dir)[0], { rc: 0, stdout: '', stderr: '' });
  });

  it('--tam --force takes back a manifest written without TAM', async () => {
    damage('manifest');
    assert.equal((await runBorgTs(['list', repo], box.env)).code, 2);
    assert.equal((await ours('--tam')).code, 2);
    const forced = await ours('--tam', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^Manifest contents:\n(?:.*\n){3}$/);
    const [list] = borgBatch([{ argv: ['list', '--short', repo] }], box.env, box.dir);
    assert.deepEqual([list!.rc, list!.stdout], [0, 'one\ntwo-renamed\nthree\n']);
  });

  it('refuses to run without a 1.x upgrade option', async () => {
    const r = await ours();
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n').length, 2);
  });
});
