// Damaged files in a mount, as with borg: a file whose missing chunk `check --repair`
// replaced with zeros reads as EIO, or with its zeros under -o allow_damaged_files (compared
// with real borg mount). A chunk missing from an unrepaired repository reads as EIO too.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { deleteObject, repoLayout } from '../helpers/damage.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, borgTs, type Env, MountPoints, ok, sh } from './mount-helpers.js';

describe('borg-ts mount with damaged chunks', { timeout: 180_000 }, () => {
  let work: string;
  let repo: string;
  let env: Env;
  const mounts = new MountPoints(() => work);
  const mountpoint = () => mounts.next();

  /** Mounts with `mount` (ours or borg's), runs `body`, unmounts. */
  const withMount = <T>(tool: 'borg' | 'borg-ts', options: string[], body: (mnt: string) => T): T => {
    const mnt = mountpoint();
    const runTool = tool === 'borg' ? borg : borgTs;
    ok(runTool(['mount', ...options, `${repo}::damaged`, mnt], work, env), `${tool} mount`);
    try {
      return body(mnt);
    } finally {
      ok(runTool(['umount', mnt], work, env), `${tool} umount`);
    }
  };

  before(async () => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = {
      ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'damaged', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
      BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES',
    };
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'victim.bin'), pseudoRandom('victim', 200_000));
    writeFileSync(join(work, 'data', 'intact.txt'), 'still readable\n');
    ok(borg(['init', '-e', 'repokey', repo], work, env), 'borg init');
    ok(borg(['create', `${repo}::damaged`, 'data'], work, env), 'borg create');
    const layout = await repoLayout(repo, env);
    const [chunk] = layout.archives[0]!.files.get('data/victim.bin')!;
    await deleteObject(repo, chunk!);
  });

  after(() => {
    mounts.unmountAll();
    removeTemp(work);
  });

  it('reads a missing chunk as EIO, or as zeros with allow_damaged_files', () => {
    withMount('borg-ts', [], (mnt) => {
      const r = sh('cat', [`${mnt}/data/victim.bin`], work);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Input\/output error/);
      assert.equal(ok(sh('cat', [`${mnt}/data/intact.txt`], work), 'cat').stdout, 'still readable\n');
    });
    withMount('borg-ts', ['-o', 'allow_damaged_files'], (mnt) => {
      const r = ok(sh('cmp', ['-n', '200000', `${mnt}/data/victim.bin`, '/dev/zero'], work), 'cmp with zeros');
      assert.equal(r.stdout, '');
    });
  });

  it('after check --repair: EIO by default, the zeros with allow_damaged_files, as borg', () => {
    // Repaired by borg-ts: archives that borg 1.2.4's repair rewrites carry no valid archive TAM,
    // which borg-ts (like borg >= 1.2.5) refuses to read.
    const repair = borgTs(['check', '--repair', repo], work, env);
    assert.ok(repair.code === 0 || repair.code === 1, repair.stderr);
    for (const tool of ['borg', 'borg-ts'] as const) {
      withMount(tool, [], (mnt) => {
        const r = sh('cat', [`${mnt}/data/victim.bin`], work);
        assert.notEqual(r.code, 0, tool);
        assert.match(r.stderr, /Input\/output error/, tool);
      });
    }
    const sums = (['borg', 'borg-ts'] as const).map((tool) => withMount(tool, ['-o', 'allow_damaged_files'], (mnt) => {
      return ok(sh('sha256sum', [`${mnt}/data/victim.bin`], mnt), `${tool} read`).stdout.split(' ')[0];
    }));
    assert.equal(sums[1], sums[0]);
    const zeros = ok(sh('sh', ['-c', 'head -c 200000 /dev/zero | sha256sum'], work), 'zeros').stdout.split(' ')[0];
    assert.equal(sums[1], zeros);
  });
});
