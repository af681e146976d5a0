// Key blobs, key files and paper keys exchanged with the real borg 1.2.4 (skipped where borg is not
// installed). Everything happens in a temp dir with BORG_BASE_DIR pointing into it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decryptKeyBlob, encryptKeyBlob, keyBlobFromText, keyBlobToText } from '../../src/crypto/key-blob.js';
import { formatKeyFile, parseKeyFile } from '../../src/crypto/key-file.js';
import { Key } from '../../src/crypto/key.js';
import { renderKeyHtml } from '../../src/crypto/paper-html.js';
import { formatPaperKey } from '../../src/crypto/paper.js';
import { BORG_PYTHON } from './fixtures.js';

const hasBorg = spawnSync('borg', ['--version'], { encoding: 'utf8' }).status === 0 && BORG_PYTHON !== null;
const skip = hasBorg ? false : 'borg 1.2 is not installed';

let tmp = '';
let repo = '';

function borg(args: string[], options: { passphrase?: string; input?: string } = {}): string {
  const env: Record<string, string | undefined> = { ...process.env, BORG_BASE_DIR: join(tmp, 'base'), BORG_PASSPHRASE: options.passphrase ?? 'old pass' };
  for (const k of ['BORG_PASSCOMMAND', 'BORG_PASSPHRASE_FD', 'BORG_NEW_PASSPHRASE', 'BORG_KEY_FILE', 'BORG_KEYS_DIR', 'BORG_CONFIG_DIR', 'BORG_SECURITY_DIR', 'BORG_CACHE_DIR', 'BORG_REPO']) delete env[k];
  const r = spawnSync('borg', args, { cwd: tmp, env, input: options.input ?? '', encoding: 'utf8' });
  assert.equal(r.status, 0, `borg ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Decrypts a key blob with borg's own code; returns the inner key map's fields as hex/ints. */
function borgDecrypt(blobText: string, passphrase: string): Record<string, string | number | boolean> {
  const script = `
import json, sys, binascii
from borg.crypto.key import KeyfileKeyBase, Passphrase
from borg.helpers import msgpack
args = json.load(sys.stdin)
data = KeyfileKeyBase.decrypt_key_file(None, binascii.a2b_base64(args['blob']), Passphrase(args['passphrase']))
if data is None:
    print('null'); sys.exit(0)
d = msgpack.unpackb(data)
print(json.dumps({k.decode(): (v.hex() if isinstance(v, bytes) else v) for k, v in d.items()}))
`;
  const r = spawnSync(BORG_PYTHON!, ['-c', script], { input: JSON.stringify({ blob: blobText, passphrase }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string | number | boolean>;
}

function configKey(): string {
  const text = readFileSync(join(repo, 'config'), 'utf8');
  return /^key = (.*(?:\n\t.*)*)/m.exec(text)![1]!.replace(/\n\t/g, '\n');
}

describe('interop with borg 1.2', { skip }, () => {
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'borg-ts-interop-'));
    repo = join(tmp, 'repo');
    borg(['init', '-e', 'repokey', repo]);
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("opens borg's repokey blob and renders borg's paper export byte for byte", () => {
    const text = configKey();
    const material = decryptKeyBlob(keyBlobFromText(text), 'old pass');
    assert.ok(material);
    assert.equal(decryptKeyBlob(keyBlobFromText(text), 'wrong'), null);
    const repoId = readFileSync(join(repo, 'config'), 'utf8').match(/^id = ([0-9a-f]{64})$/m)![1]!;
    assert.equal(material.repositoryId.toString('hex'), repoId);

    borg(['key', 'export', '--paper', repo, 'paper.txt']);
    assert.equal(formatPaperKey(keyBlobFromText(text), material.repositoryId), readFileSync(join(tmp, 'paper.txt'), 'utf8'));
    borg(['key', 'export', repo, 'key.txt']);
    const exported = readFileSync(join(tmp, 'key.txt'), 'utf8');
    assert.equal(formatKeyFile(material.repositoryId, text), exported);
    borg(['key', 'export', '--qr-html', repo, 'key.html']);
    assert.ok(readFileSync(join(tmp, 'key.html'), 'utf8').includes(exported));
    assert.ok(renderKeyHtml(exported).includes(exported));
  });

  it('borg decrypts blobs we encrypt (all key sizes)', () => {
    for (const mode of ['repokey', 'keyfile-blake2'] as const) {
      const material = Key.generate(mode, Buffer.alloc(32, 3)).material;
      const text = keyBlobToText(encryptKeyBlob(material, 'pässphrase', { iterations: 1000 }));
      const d = borgDecrypt(text, 'pässphrase');
      assert.equal(d['enc_key'], material.encKey.toString('hex'));
      assert.equal(d['enc_hmac_key'], material.encHmacKey.toString('hex'));
      assert.equal(d['id_key'], material.idKey.toString('hex'));
      assert.equal(d['repository_id'], material.repositoryId.toString('hex'));
      assert.equal(d['chunk_seed'], material.chunkSeed);
      assert.equal(d['tam_required'], true);
      assert.equal(d['version'], 1);
      assert.equal(borgDecrypt(text, 'passphrase') as unknown, null);
    }
  });

  it('borg imports our key file and our paper key and opens the repository with them', () => {
    const material = decryptKeyBlob(keyBlobFromText(configKey()), 'old pass')!;
    // Re-encrypt under a new passphrase (default iterations, as borg would), import, use.
    const ours = keyBlobToText(encryptKeyBlob(material, 'new pass'));
    writeFileSync(join(tmp, 'ours.txt'), formatKeyFile(material.repositoryId, ours));
    borg(['key', 'import', repo, 'ours.txt']);
    assert.equal(parseKeyFile(formatKeyFile(material.repositoryId, configKey())).blobText.trim(), ours);
    assert.match(borg(['info', repo], { passphrase: 'new pass' }), /Encrypted: Yes \(repokey\)/);

    // Paper import: borg prompts 'id: ', ' 1: ', …; we type what follows each label.
    const paperBlob = encryptKeyBlob(material, 'paper pass', { iterations: 1000 });
    const typed = formatPaperKey(paperBlob, material.repositoryId)
      .split('\n')
      .filter((l) => /^\s*(id|\d+):/.test(l))
      .map((l) => l.slice(l.indexOf(':') + 1).trim());
    borg(['key', 'import', '--paper', repo], { passphrase: 'new pass', input: `${typed.join('\n')}\n` });
    assert.deepEqual(keyBlobFromText(configKey()), paperBlob);
    assert.match(borg(['info', repo], { passphrase: 'paper pass' }), /Encrypted: Yes \(repokey\)/);
  });
});
