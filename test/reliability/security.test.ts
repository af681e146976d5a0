// Security properties: an encrypted repository (what a server stores) holds no file name and no
// content of the backed-up files, byte for byte; passphrases and keys never appear in process
// arguments, output, logs or error messages; key files, cache and security files are private
// (0600, directories 0700) whatever the caller's umask.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { parseLocation } from '../../src/remote/location.js';
import { CI_LAB, Lab } from './lib/lab.js';
import { BORG_TS_BIN, describeResult, runProcess, type ProcessResult } from './lib/processes.js';
import { Prng } from './lib/prng.js';
import { localTransport } from './lib/transport.js';

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) out.push(path, ...filesBelow(path));
    else out.push(path);
  }
  return out;
}

/** Where any needle occurs in the files below `dir`. */
function scan(dir: string, needles: Buffer[]): string[] {
  const found: string[] = [];
  for (const path of filesBelow(dir)) {
    if (lstatSync(path).isDirectory()) continue;
    const bytes = readFileSync(path);
    for (const needle of needles) if (bytes.includes(needle)) found.push(`${path}: ${needle.toString('latin1').slice(0, 40)}`);
  }
  return found;
}

/**
 * The markers' common prefix (every name and many contents carry a marker) and content slices of
 * every source file of the lab.
 */
function corpusNeedles(lab: Lab): Buffer[] {
  const needles: Buffer[] = [Buffer.from('BTSMARK')];
  for (const name of lab.sources.keys()) {
    for (const path of filesBelow(lab.sourceDir(name))) {
      if (!lstatSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      if (bytes.length >= 64) needles.push(bytes.subarray(0, 32), bytes.subarray(bytes.length >> 1, (bytes.length >> 1) + 32));
    }
  }
  return needles;
}

describe('security properties', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create(join(tmpdir(), 'borg-ts-reliability'), new Prng(19), localTransport, { ...CI_LAB, encryption: 'repokey' });
    lab.reset();
  });
  after(() => lab?.cleanup());

  it('no byte of an encrypted repository reveals a file name or file content', async () => {
    const needles = corpusNeedles(lab);
    assert.ok(needles.length > 100);
    assert.deepEqual(scan(lab.repo, needles), []);
    // The scan does find them where they are stored in the clear (so the check above means something).
    const plain = join(lab.root, 'plain');
    await lab.tsOk(['init', '-e', 'none', plain], { env: { ...lab.env, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' } });
    await lab.tsOk(['create', '-C', 'none', `${plain}::a`, 'data'], { cwd: lab.sourceDir('base1'), env: { ...lab.env, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' } });
    assert.ok(scan(plain, lab.sources.get('base1')!.markers.map((m) => Buffer.from(m))).length > 0);
  });

  it('the passphrase and the key never appear in arguments, output, logs or errors', async () => {
    const session = await RepositorySession.open(parseLocation(lab.repo, { env: lab.env }), { env: lab.env, confirm: confirmFromEnv(lab.env) });
    const { encKey, encHmacKey, idKey } = session.key.material;
    await session.close();
    const secrets = [lab.env['BORG_PASSPHRASE']!, 'wrong passphrase 12345'];
    for (const key of [encKey, encHmacKey, idKey]) secrets.push(Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64'));
    const leaks = (r: ProcessResult) => secrets.filter((s) => r.stdout.includes(s) || r.stderr.includes(s));

    const cmdlines: string[] = [];
    const watch = (pid: number) => {
      const read = () => {
        try {
          cmdlines.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
          return true;
        } catch {
          return false;
        }
      };
      const timer = setInterval(() => void (read() || clearInterval(timer)), 20);
    };
    const debug = ['--debug', '--log-json'];
    const create = lab.createArgs('new', 'new', ['--list', '--stats', ...debug]);
    const runs: Array<[string, ProcessResult]> = [
      ['create', await lab.ts(create.args, { cwd: create.cwd, onSpawn: watch })],
      ['list', await lab.ts(['list', ...debug, lab.loc('new')])],
      ['info', await lab.ts(['info', ...debug, lab.loc()])],
      ['check --verify-data', await lab.ts(['check', '--verify-data', ...debug, lab.loc()], { onSpawn: watch })],
      ['extract --dry-run', await lab.ts(['extract', '--dry-run', ...debug, lab.loc('a1')])],
      ['wrong passphrase', await lab.ts(['list', ...debug, lab.loc()], { env: { ...lab.env, BORG_PASSPHRASE: 'wrong passphrase 12345' } })],
      ['key change-passphrase without a new one', await lab.ts(['key', 'change-passphrase', ...debug, lab.loc()], { env: { ...lab.env, BORG_NEW_PASSPHRASE: '' } })],
    ];
    assert.equal(runs[0]![1].code, 0, describeResult('create', runs[0]![1]));
    assert.equal(runs[5]![1].code, 2, describeResult('wrong passphrase', runs[5]![1]));
    for (const [what, r] of runs) assert.deepEqual(leaks(r), [], `${what} leaks a secret`);
    assert.ok(cmdlines.length > 0);
    for (const line of cmdlines) for (const s of secrets) assert.ok(!line.includes(s), 'a secret in the process arguments');
    // Client state holds no key bytes either (repokey: the key lives only in the repository).
    const keyBytes = [encKey, encHmacKey, idKey].map((k) => Buffer.from(k));
    assert.deepEqual(scan(lab.base, keyBytes), []);
  });

  it('key files, cache and security files are 0600 and their directories 0700, whatever the umask', async () => {
    const repo = join(lab.root, 'private');
    const env = lab.env;
    // A permissive umask in the caller; borg-ts applies its own (--umask, default 0077), like borg.
    const run = (args: string[], cwd = lab.root) => runProcess('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, BORG_TS_BIN, ...args], { env, cwd });
    for (const [what, r] of [
      ['init', await run(['init', '-e', 'keyfile', repo])],
      ['create', await run(['create', `${repo}::a`, 'data'], lab.sourceDir('base1'))],
    ] as const) assert.equal(r.code, 0, describeResult(what, r));
    const base = lab.base;
    const checked = [...filesBelow(join(base, '.config', 'borg')), ...filesBelow(join(base, '.cache', 'borg')), ...filesBelow(repo)];
    assert.ok(checked.some((p) => p.includes('/keys/')), 'a key file was written');
    const wrong = checked
      .map((p) => ({ p, mode: lstatSync(p).mode & 0o777, dir: lstatSync(p).isDirectory() }))
      .filter(({ p, mode, dir }) => mode !== (dir ? 0o700 : 0o600) && !p.endsWith('/README') && !p.endsWith('CACHEDIR.TAG'))
      .map(({ p, mode }) => `${p}: ${mode.toString(8)}`);
    assert.deepEqual(wrong, []);
  });
});
