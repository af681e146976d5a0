// Acceptance of the storage core: borg-ts and real borg 1.2.4 take turns on the same repositories.
// For every encryption mode borg-ts creates the repository; borg backs up a small tree into it,
// verifies every chunk and restores it byte for byte; borg-ts then reads borg's archive through the
// library. Keys travel both ways (key file and paper form), a passphrase changed by borg-ts is the
// only one borg accepts afterwards, and a setting changed by borg-ts is the one borg sees.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { loadArchiveMeta } from '../../src/archive/archive-meta.js';
import { isRegular } from '../../src/archive/item.js';
import { iterItems } from '../../src/archive/item-stream.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { KEY_MODES, type KeyMode } from '../../src/crypto/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { IniFile } from '../../src/repository/ini.js';
import { assertExit, PASSPHRASE, Sandbox, type Run } from './tools.js';

const XATTR = 'user.borg-ts-test';

/** Sets or reads user xattrs with Python (Node has no xattr API); null when the file system has none. */
function xattrs(command: 'set' | 'get', paths: string[]): Record<string, string> | null {
  const script = command === 'set'
    ? `import os,sys\nfor p in sys.argv[1:]: os.setxattr(p, '${XATTR}', b'value of ' + os.path.basename(p).encode())\nprint('{}')`
    : `import os,sys,json\nprint(json.dumps({p: os.getxattr(p, '${XATTR}').decode() for p in sys.argv[1:]}))`;
  const r = spawnSync('python3', ['-c', script, ...paths], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, string>) : null;
}

/** The source tree: a file over 8 MiB, a small file with an xattr, a symlink, a hard link, an empty file. */
function makeTree(root: string): { xattrs: boolean } {
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'big.bin'), randomBytes(9 * 1024 * 1024 + 123));
  writeFileSync(join(root, 'sub/small.txt'), 'hello from borg-ts\n'.repeat(50));
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('sub/small.txt', join(root, 'link'));
  linkSync(join(root, 'sub/small.txt'), join(root, 'hardlink.txt'));
  return { xattrs: xattrs('set', [join(root, 'sub/small.txt')]) !== null };
}

/** Every entry below `root` as relative path -> description (type, size, target, content digest). */
function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const rel = relative(root, path);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(path);
      } else if (st.isSymbolicLink()) out.set(rel, `link -> ${readlinkSync(path)}`);
      else out.set(rel, `file ${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

function ok(r: Run, what: string): Run {
  assertExit(r, 0, what);
  return r;
}

describe('storage core: borg-ts and borg 1.2.4 on one repository', () => {
  let box: Sandbox;
  let source: string;
  let withXattrs = false;
  before(() => {
    box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
    source = box.path('src');
    withXattrs = makeTree(source).xattrs;
  });
  after(() => box.cleanup());

  const repo = (mode: KeyMode) => box.path(`repo-${mode}`);

  /** Opens with the library (key, manifest, security checks) and returns path -> size of borg's archive. */
  async function readArchive(mode: KeyMode, env = box.env): Promise<Map<string, number | undefined>> {
    const session = await RepositorySession.open(parseLocation(repo(mode), { env }), { env, confirm: confirmFromEnv(env) });
    try {
      const entry = session.manifest.archives.get('first');
      assert.ok(entry, `${mode}: archive 'first' is in the manifest`);
      const { meta } = await loadArchiveMeta(session.repository, session.codec, session.key, entry.id);
      const items = new Map<string, number | undefined>();
      for await (const item of iterItems(session.repository, session.codec, meta.items)) {
        if (isRegular(item) && item.chunks !== undefined && item.size !== undefined) {
          assert.equal(item.chunks.reduce((sum, c) => sum + c.size, 0), item.size, `${item.path}: chunk sizes add up`);
        }
        items.set(item.path, isRegular(item) ? item.size : undefined);
      }
      return items;
    } finally {
      await session.close();
    }
  }

  it('borg backs up into, checks and restores from a repository borg-ts created, in every mode', async () => {
    const expected = describeTree(source);
    const sourcePrefix = relative('/', source);
    for (const mode of KEY_MODES) {
      ok(box.borgTs(['init', '-e', mode, repo(mode)]), `borg-ts init -e ${mode}`);
      ok(box.borg(['create', `${repo(mode)}::first`, source]), `${mode}: borg create`);
      ok(box.borg(['check', '--verify-data', repo(mode)]), `${mode}: borg check --verify-data`);
      const target = box.path(`extract-${mode}`);
      mkdirSync(target);
      ok(box.borg(['extract', `${repo(mode)}::first`], { cwd: target }), `${mode}: borg extract`);
      const restored = join(target, sourcePrefix);
      assert.deepEqual(describeTree(restored), expected, `${mode}: restored tree`);
      assert.ok(readFileSync(join(restored, 'big.bin')).equals(readFileSync(join(source, 'big.bin'))), `${mode}: big file bytes`);
      assert.equal(statSync(join(restored, 'hardlink.txt')).ino, statSync(join(restored, 'sub/small.txt')).ino, `${mode}: hard link`);
      if (withXattrs) assert.deepEqual(xattrs('get', [join(restored, 'sub/small.txt')]), { [join(restored, 'sub/small.txt')]: 'value of small.txt' });

      const items = await readArchive(mode);
      const sizes = new Map([...expected].map(([rel, what]) => [
        `${sourcePrefix}/${rel}`, what.startsWith('file') ? Number(what.split(' ')[1]) : undefined,
      ]));
      for (const [path, size] of sizes) {
        assert.ok(items.has(path), `${mode}: borg-ts sees ${path}`);
        // A hard link slave carries no size of its own in borg 1.2.
        if (size !== undefined && items.get(path) !== undefined) assert.equal(items.get(path), size, `${mode}: size of ${path}`);
      }
      assert.equal(items.get(`${sourcePrefix}/big.bin`), 9 * 1024 * 1024 + 123);
    }
  });

  const dropRepokey = (mode: KeyMode) => {
    const path = join(repo(mode), 'config');
    const config = IniFile.parse(readFileSync(path, 'utf8'));
    assert.ok(config.delete('repository', 'key'));
    writeFileSync(path, config.toString());
  };
  const bothOpen = async (mode: KeyMode, what: string, env = box.env) => {
    ok(box.borg(['list', repo(mode)], { env }), `${what}: borg opens ${mode}`);
    await readArchive(mode, env);
  };
  const typedLines = (paper: string) => paper.split('\n').filter((l) => /^\s*(id|\d+):/.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim()).join('\n') + '\n';

  it("imports borg's key exports (key file and paper) into a repository that lost its key", async () => {
    ok(box.borg(['key', 'export', repo('repokey'), box.path('borg-repokey.key')]), 'borg key export');
    const paper = ok(box.borg(['key', 'export', '--paper', repo('repokey')]), 'borg key export --paper').stdout;
    dropRepokey('repokey');
    assert.equal(box.borg(['list', repo('repokey')]).code, 2, 'without its key the repository cannot be opened');
    ok(box.borgTs(['key', 'import', repo('repokey'), box.path('borg-repokey.key')]), 'borg-ts key import');
    await bothOpen('repokey', 'after key import');
    dropRepokey('repokey');
    ok(box.borgTs(['key', 'import', '--paper', repo('repokey')], { input: typedLines(paper) }), 'borg-ts key import --paper');
    await bothOpen('repokey', 'after paper import');

    const keysDir = box.path('base/.config/borg/keys');
    const id = IniFile.parse(readFileSync(join(repo('keyfile-blake2'), 'config'), 'utf8')).get('repository', 'id')!;
    const keyFile = readdirSync(keysDir).map((name) => join(keysDir, name)).find((path) => readFileSync(path, 'utf8').startsWith(`BORG_KEY ${id}`))!;
    ok(box.borg(['key', 'export', repo('keyfile-blake2'), box.path('borg-keyfile.key')]), 'borg key export (keyfile)');
    unlinkSync(keyFile);
    ok(box.borgTs(['key', 'import', repo('keyfile-blake2'), box.path('borg-keyfile.key')]), 'borg-ts key import (keyfile)');
    await bothOpen('keyfile-blake2', 'after keyfile import');
  });

  it("lets borg import borg-ts's key exports (key file and paper)", async () => {
    ok(box.borgTs(['key', 'export', repo('repokey-blake2'), box.path('ts-repokey.key')]), 'borg-ts key export');
    const paper = ok(box.borgTs(['key', 'export', '--paper', repo('authenticated')]), 'borg-ts key export --paper').stdout;
    dropRepokey('repokey-blake2');
    ok(box.borg(['key', 'import', repo('repokey-blake2'), box.path('ts-repokey.key')]), 'borg key import');
    await bothOpen('repokey-blake2', 'after borg key import');
    dropRepokey('authenticated');
    ok(box.borg(['key', 'import', '--paper', repo('authenticated')], { input: typedLines(paper) }), 'borg key import --paper');
    await bothOpen('authenticated', 'after borg paper import');
  });

  it('a passphrase changed by borg-ts is the only one borg accepts afterwards', async () => {
    const fresh = box.with({ BORG_NEW_PASSPHRASE: 'a fresh passphrase' });
    ok(box.borgTs(['key', 'change-passphrase', repo('keyfile')], { env: fresh }), 'borg-ts key change-passphrase');
    assert.equal(box.borg(['list', repo('keyfile')]).code, 2, 'borg refuses the old passphrase');
    await bothOpen('keyfile', 'with the new passphrase', box.with({ BORG_PASSPHRASE: 'a fresh passphrase' }));
    assert.notEqual(PASSPHRASE, 'a fresh passphrase');
  });

  it('borg sees the append_only setting borg-ts wrote', () => {
    ok(box.borgTs(['config', repo('none'), 'append_only', '1']), 'borg-ts config append_only 1');
    assert.equal(ok(box.borg(['config', repo('none'), 'append_only']), 'borg config').stdout, '1\n');
    assert.equal(ok(box.borgTs(['config', repo('none'), 'append_only']), 'borg-ts config').stdout, '1\n');
  });
});
