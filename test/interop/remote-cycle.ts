// The remote acceptance cycle, run by one test file per server: borg-ts talks over a real OpenSSH
// connection to 127.0.0.1 with a `serve` (real borg's, or borg-ts's) and goes through init
// (repokey-blake2 and keyfile), create twice, list, info, extract (compared with the source tree,
// metadata included), prune, compact and check --verify-data; then real borg checks and extracts
// the same repositories locally.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { SshServer } from '../helpers/sshd.js';
import { buildSampleTree, diffTrees } from '../helpers/tree-compare.js';
import { assertExit, Sandbox } from './tools.js';

export interface RemoteServer {
  /** Shown in the test names. */
  name: string;
  /** --remote-path for the client; undefined runs `borg` (real borg serve). */
  remotePath?: string;
}

/** Atime is not archived by default; without --sparse holes come back as zeros. */
const TREE_COMPARE = { root: true, ignore: ['atimeNs', 'blocks'] as const };

export function remoteCycle(server: RemoteServer): void {
  describe(`borg-ts → ${server.name} over ssh`, () => {
    let sshd: SshServer;
    let box: Sandbox;
    const remoteArgs = server.remotePath !== undefined ? ['--remote-path', server.remotePath] : [];
    const ts = (args: string[], cwd?: string) => box.borgTs([...remoteArgs, ...args], cwd !== undefined ? { cwd } : {});

    before(async () => {
      sshd = await SshServer.start();
      box = new Sandbox({ TZ: 'UTC', BORG_RSH: sshd.client.rsh });
      buildSampleTree(box.path('tree'));
    });
    after(async () => {
      await sshd.stop();
      box.cleanup();
    });

    const local = (mode: string) => box.path(`repo-${mode}`);
    const url = (mode: string) => sshd.url(local(mode));
    // Real borg opens the same repository under its local path: the location changed on purpose.
    const borgLocal = (args: string[], cwd?: string) =>
      box.borg(args, { env: box.with({ BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' }), ...(cwd !== undefined ? { cwd } : {}) });
    const extractAndCompare = (run: (args: string[], cwd: string) => ReturnType<Sandbox['borg']>, archive: string, out: string) => {
      mkdirSync(out);
      assertExit(run(['extract', archive], out), 0, `extract ${archive}`);
      assert.deepEqual(diffTrees(box.path('tree'), `${out}/tree`, TREE_COMPARE), []);
    };

    describe('repokey-blake2: the whole cycle', () => {
      it('init, create twice, list and info', () => {
        assertExit(ts(['init', '-e', 'repokey-blake2', url('repokey')]), 0, 'init');
        assertExit(ts(['create', `${url('repokey')}::one`, 'tree']), 0, 'create one');
        writeFileSync(box.path('tree', 'added.txt'), 'only in the second archive\n');
        const two = ts(['create', '--stats', `${url('repokey')}::two`, 'tree']);
        assertExit(two, 0, 'create two');
        assert.match(two.stderr, /Archive name: two/);
        const list = ts(['list', '--short', url('repokey')]);
        assertExit(list, 0, 'list');
        assert.deepEqual(list.stdout.trim().split('\n'), ['one', 'two']);
        const info = ts(['info', '--json', `${url('repokey')}::two`]);
        assertExit(info, 0, 'info');
        const parsed = JSON.parse(info.stdout) as { repository: { location: string }; archives: Array<{ name: string }> };
        assert.equal(parsed.repository.location, url('repokey'));
        assert.deepEqual(parsed.archives.map((a) => a.name), ['two']);
      });

      it('extract brings back bytes and metadata', () => {
        extractAndCompare((args, cwd) => ts(args, cwd), `${url('repokey')}::two`, box.path('out-repokey'));
      });

      it('prune, compact and check --verify-data', () => {
        const prune = ts(['prune', '--list', '--keep-last', '1', url('repokey')]);
        assertExit(prune, 0, 'prune');
        assert.match(prune.stderr, /Pruning archive.*\bone\b/);
        assertExit(ts(['compact', url('repokey')]), 0, 'compact');
        const check = ts(['check', '-v', '--verify-data', url('repokey')]);
        assertExit(check, 0, 'check --verify-data');
        // The repository part ran on the server and reported through its log.
        assert.match(check.stderr, /^Remote: .*repository check/im);
      });

      it('real borg checks and extracts the same repository locally', () => {
        assertExit(borgLocal(['check', '--verify-data', local('repokey')]), 0, 'borg check --verify-data');
        const list = borgLocal(['list', '--short', local('repokey')]);
        assert.deepEqual(list.stdout.trim().split('\n'), ['two']);
        extractAndCompare(borgLocal, `${local('repokey')}::two`, box.path('borg-out-repokey'));
      });
    });

    describe('keyfile: the key file is found by repository id', () => {
      it('init, create, extract and check --verify-data over ssh; real borg reads it locally with the same key file', () => {
        assertExit(ts(['init', '-e', 'keyfile', url('keyfile')]), 0, 'init');
        assertExit(ts(['create', `${url('keyfile')}::k`, 'tree']), 0, 'create');
        extractAndCompare((args, cwd) => ts(args, cwd), `${url('keyfile')}::k`, box.path('out-keyfile'));
        assertExit(ts(['check', '--verify-data', url('keyfile')]), 0, 'check --verify-data');
        assertExit(borgLocal(['check', '--verify-data', local('keyfile')]), 0, 'borg check --verify-data');
      });
    });
  });
}
