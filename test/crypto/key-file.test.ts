import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyfileInvalidError, KeyfileMismatchError, KeyfileNotFoundError } from '../../src/crypto/errors.js';
import { decryptKeyBlob, keyBlobFromText } from '../../src/crypto/key-blob.js';
import {
  findKeyFile,
  formatKeyFile,
  keyFileName,
  locateKeyFile,
  newKeyFilePath,
  parseKeyFile,
  readKeyFile,
  writeKeyFile,
} from '../../src/crypto/key-file.js';
import { BorgError } from '../../src/errors.js';
import { hex, loadDump, PASSPHRASE, REPOS_DIR } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'borg-ts-keyfile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const realKeyText = readFileSync(join(REPOS_DIR, 'repo-keyfile-blake2.key'), 'utf8');
const realId = hex(loadDump('repo-keyfile-blake2').config['id']!);

describe('key file text', () => {
  it("parses borg's key file and decrypts its blob", () => {
    const parsed = parseKeyFile(realKeyText);
    assert.deepEqual(parsed.repositoryId, realId);
    const material = decryptKeyBlob(keyBlobFromText(parsed.blobText), PASSPHRASE);
    assert.ok(material);
    assert.deepEqual(material.repositoryId, realId);
    assert.equal(formatKeyFile(parsed.repositoryId, parsed.blobText), realKeyText);
    assert.equal(formatKeyFile(parsed.repositoryId, parsed.blobText.trimEnd()), realKeyText);
  });

  it('rejects files that are not key files', () => {
    const body = realKeyText.slice(realKeyText.indexOf('\n') + 1);
    for (const bad of ['', 'BORG_KEY', `BORG_KEY ${'0'.repeat(64)}`, `BORG_KEY xyz\n${body}`, `BORG_KEY ${'0'.repeat(64)}\nnot base64!\n`, `BORG_KEY ${'0'.repeat(64)}\nAAAA\n`]) {
      assert.throws(() => parseKeyFile(bad), KeyfileInvalidError, JSON.stringify(bad.slice(0, 30)));
    }
  });
});

describe('keyFileName()', () => {
  const cases: Array<[{ host?: string; path: string }, string]> = [
    [{ path: 'repo-keyfile-blake2' }, 'repo_keyfile_blake2'],
    [{ path: '/home/user/backups/my repo/' }, 'home_user_backups_my_repo'],
    [{ path: '/srv/dir-ünïcødé-Ω' }, 'srv_dir_ünïcødé_Ω'],
    [{ host: 'backup.example.org', path: '/./borg/repo' }, 'backup_example_org__borg_repo'],
    [{ host: '[::1]', path: '~/repo' }, '___1___repo'],
    [{ path: `/${'ä'.repeat(150)}` }, 'ä'.repeat(100)],
  ];

  it("follows borg's rules (checked against Python's re where available)", (t) => {
    for (const [loc, name] of cases) assert.equal(keyFileName(loc), name, JSON.stringify(loc));
    const py = spawnSync(
      'python3',
      ['-c', `import json,re,sys
out=[]
for loc in json.load(sys.stdin):
    n=re.sub(r'[^\\w]','_',loc['path']).strip('_')
    if 'host' in loc: n=re.sub(r'[^\\w]','_',loc['host'])+'__'+n
    out.append(n[:100])
print(json.dumps(out))`],
      { input: JSON.stringify(cases.map((c) => c[0])), encoding: 'utf8' },
    );
    if (py.status !== 0) return t.skip('no python3 on this machine');
    assert.deepEqual(JSON.parse(py.stdout), cases.map((c) => c[1]));
  });
});

describe('key files on disk', () => {
  const keysDir = join(tmp, 'keys');
  mkdirSync(keysDir, { recursive: true });
  const otherId = Buffer.alloc(32, 0xee);

  it('writes atomically with mode 0600 and refuses to overwrite on create', async () => {
    const path = join(keysDir, 'repo_keyfile_blake2');
    await writeKeyFile(path, realKeyText, { create: true });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), realKeyText);
    await assert.rejects(writeKeyFile(path, realKeyText, { create: true }), (e: unknown) => e instanceof BorgError && e.code === 'Error');
    await writeKeyFile(path, realKeyText);
    const nested = join(tmp, 'new-keys-dir', 'k');
    await writeKeyFile(nested, realKeyText);
    assert.equal(statSync(join(tmp, 'new-keys-dir')).mode & 0o777, 0o700);
  });

  it('finds the key of a repository among other files', async () => {
    writeFileSync(join(keysDir, 'aaa-not-a-key'), 'hello\n');
    writeFileSync(join(keysDir, 'aab-other'), formatKeyFile(otherId, parseKeyFile(realKeyText).blobText));
    mkdirSync(join(keysDir, 'aac-dir'), { recursive: true });
    assert.equal(await findKeyFile(keysDir, realId), join(keysDir, 'repo_keyfile_blake2'));
    assert.equal(await findKeyFile(keysDir, Buffer.alloc(32)), null);
    assert.equal(await findKeyFile(join(tmp, 'missing'), realId), null);
    assert.equal(await locateKeyFile(realId, { keysDir }), join(keysDir, 'repo_keyfile_blake2'));
    await assert.rejects(locateKeyFile(Buffer.alloc(32), { keysDir, location: '/r' }), KeyfileNotFoundError);
  });

  it('honours BORG_KEY_FILE and checks that it belongs to the repository', async () => {
    const envFile = join(tmp, 'env.key');
    writeFileSync(envFile, realKeyText);
    assert.equal(await locateKeyFile(realId, { keysDir: '/nonexistent', keyFileEnv: envFile }), envFile);
    await assert.rejects(locateKeyFile(otherId, { keysDir, keyFileEnv: envFile }), KeyfileMismatchError);
    await assert.rejects(readKeyFile(join(keysDir, 'aaa-not-a-key'), realId), KeyfileInvalidError);
    assert.equal(await newKeyFilePath(keysDir, { path: 'x' }, { keyFileEnv: envFile }), envFile);
  });

  it('newKeyFilePath() appends .2, .3, … while the name is taken', async () => {
    const base = join(keysDir, 'repo_keyfile_blake2');
    assert.equal(await newKeyFilePath(keysDir, { path: 'fresh/repo' }), join(keysDir, 'fresh_repo'));
    assert.equal(await newKeyFilePath(keysDir, { path: 'repo-keyfile-blake2' }), `${base}.2`);
    writeFileSync(`${base}.2`, 'x');
    assert.equal(await newKeyFilePath(keysDir, { path: 'repo-keyfile-blake2' }), `${base}.3`);
  });
});
