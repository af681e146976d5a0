// What `borg-ts serve` lets a client reach and change: repository paths as borg's server resolves
// them (~, /./, symlinks, ..), --restrict-to-path and --restrict-to-repository, the server's
// --append-only and --storage-quota over the client's wishes, --umask, and the options a forced
// command takes from the client's own command line (SSH_ORIGINAL_COMMAND).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  NO_RESTRICTIONS, checkRepositoryAllowed, effectiveAppendOnly, realPath, resolveRepositoryPath,
} from '../../src/remote/serve/serve-restrictions.js';
import { Sandbox } from '../interop/tools.js';
import { ServeProcess } from './serve-process.js';

const text = (v: unknown): string => Buffer.from(v as Uint8Array).toString('utf8');

describe('serve path rules', () => {
  let box: Sandbox;

  before(() => {
    box = new Sandbox();
    mkdirSync(box.path('home', 'repos'), { recursive: true });
    mkdirSync(box.path('allowed', 'sub'), { recursive: true });
    mkdirSync(box.path('elsewhere'));
    symlinkSync(box.path('elsewhere'), box.path('allowed', 'escape'));
    symlinkSync(box.path('allowed', 'sub'), box.path('into-allowed'));
  });
  after(() => box.cleanup());

  it('resolves ~, /~/, /./ and relative paths like borg serve', () => {
    const where = { env: { BORG_BASE_DIR: box.path('home') }, cwd: box.path('allowed') };
    assert.equal(resolveRepositoryPath('/~/repos/r', where), box.path('home', 'repos', 'r'));
    assert.equal(resolveRepositoryPath('~/repos/r', where), box.path('home', 'repos', 'r'));
    assert.equal(resolveRepositoryPath('/./sub/r', where), box.path('allowed', 'sub', 'r'));
    assert.equal(resolveRepositoryPath('sub/r', where), box.path('allowed', 'sub', 'r'));
    assert.equal(resolveRepositoryPath('/~root/r', where), '/root/r');
    assert.equal(resolveRepositoryPath('~nosuchuser-xyz/r', where), box.path('allowed', '~nosuchuser-xyz', 'r'));
    // HOME stands in when BORG_BASE_DIR is not set.
    assert.equal(resolveRepositoryPath('/~/r', { env: { HOME: box.path('home') }, cwd: '/' }), box.path('home', 'r'));
  });

  it('follows symlinks of the existing part and applies .. to the rest', () => {
    assert.equal(realPath(box.path('allowed', 'escape', 'new', 'repo'), '/'), box.path('elsewhere', 'new', 'repo'));
    assert.equal(realPath(box.path('into-allowed', 'r'), '/'), box.path('allowed', 'sub', 'r'));
    assert.equal(realPath(box.path('allowed', 'missing', '..', '..', 'elsewhere'), '/'), box.path('elsewhere'));
  });

  it('allows a path in or below --restrict-to-path, and exactly --restrict-to-repository', () => {
    const cwd = '/';
    const paths = { ...NO_RESTRICTIONS, restrictToPaths: [box.path('home'), box.path('allowed')] };
    checkRepositoryAllowed(box.path('allowed'), paths, cwd);
    checkRepositoryAllowed(box.path('allowed', 'sub', 'r'), paths, cwd);
    checkRepositoryAllowed(box.path('home', 'r'), paths, cwd);
    for (const refused of [box.path('allowed-evil'), box.path('elsewhere'), box.dir, '/']) {
      assert.throws(() => checkRepositoryAllowed(refused, paths, cwd), (e: Error & { code?: string; args?: unknown[] }) => {
        assert.equal(e.code, 'PathNotAllowed');
        assert.deepEqual(e.args, [refused]);
        return true;
      });
    }
    // A restriction given through a symlink means where the link points.
    checkRepositoryAllowed(box.path('allowed', 'sub', 'r'), { ...NO_RESTRICTIONS, restrictToPaths: [box.path('into-allowed')] }, cwd);

    const repos = { ...NO_RESTRICTIONS, restrictToRepositories: [box.path('allowed', 'sub')] };
    checkRepositoryAllowed(box.path('allowed', 'sub'), repos, cwd);
    assert.throws(() => checkRepositoryAllowed(box.path('allowed', 'sub', 'inner'), repos, cwd), /not allowed/);
    assert.throws(() => checkRepositoryAllowed(box.path('allowed'), repos, cwd), /not allowed/);
  });

  it('lets the server decide append-only, except for a repository the client creates', () => {
    const server = { ...NO_RESTRICTIONS, appendOnly: true };
    assert.equal(effectiveAppendOnly(false, false, server), true);
    assert.equal(effectiveAppendOnly(true, false, server), false);
    assert.equal(effectiveAppendOnly(true, true, server), true);
    assert.equal(effectiveAppendOnly(false, true, NO_RESTRICTIONS), true);
    assert.equal(effectiveAppendOnly(false, false, NO_RESTRICTIONS), false);
  });
});

describe('borg-ts serve restrictions, end to end', () => {
  let box: Sandbox;

  before(() => {
    box = new Sandbox();
    mkdirSync(box.path('allowed'));
    mkdirSync(box.path('elsewhere'));
    symlinkSync(box.path('elsewhere'), box.path('allowed', 'escape'));
  });
  after(() => box.cleanup());

  async function serve(args: string[], env: NodeJS.ProcessEnv = box.env): Promise<ServeProcess> {
    const s = new ServeProcess({ cwd: box.dir, args, env });
    await s.negotiate();
    return s;
  }

  it('refuses repositories outside --restrict-to-path with PathNotAllowed and creates nothing there', async () => {
    const s = await serve(['--restrict-to-path', box.path('allowed')]);
    assert.equal((await s.call('open', { path: box.path('allowed', 'r1'), create: true, exclusive: true })).error, undefined);
    for (const [path, resolved] of [
      [box.path('allowed-evil', 'r'), box.path('allowed-evil', 'r')],
      [box.path('allowed', 'escape', 'r'), box.path('elsewhere', 'r')],
      [`${box.path('allowed')}/../elsewhere/r`, box.path('elsewhere', 'r')],
      ['/./elsewhere/r', box.path('elsewhere', 'r')],
    ] as const) {
      const r = await s.call('open', { path, create: true, exclusive: true });
      assert.equal(r.error?.className, 'PathNotAllowed', path);
      assert.deepEqual(r.error.args.map(text), [resolved]);
      assert.equal(r.error.short[0], `Repository path not allowed: ${resolved}`);
    }
    assert.equal((await s.end()).code, 0);
    assert.equal(existsSync(box.path('elsewhere', 'r')), false);
    assert.equal(existsSync(box.path('allowed-evil')), false);
    assert.ok(existsSync(box.path('allowed', 'r1', 'config')));
  });

  it('--restrict-to-repository allows that repository (also to create it) and nothing below it', async () => {
    const repo = box.path('allowed', 'only');
    const s = await serve(['--restrict-to-repository', repo]);
    assert.equal((await s.call('open', { path: `${repo}/`, create: true, exclusive: true })).error, undefined);
    assert.equal((await s.call('open', { path: join(repo, 'data'), create: false })).error?.className, 'PathNotAllowed');
    assert.equal((await s.call('open', { path: box.path('allowed', 'r1') })).error?.className, 'PathNotAllowed');
    assert.equal((await s.end()).code, 0);
  });

  it('--append-only rules over the client for existing repositories, not for new ones', async () => {
    const s = await serve(['--append-only']);
    await s.result('open', { path: box.path('ao-new'), create: true, exclusive: true });
    await s.result('put', { id: randomBytes(32), data: Buffer.from('x') });
    await s.result('commit', { compact: false });
    assert.match(readFileSync(box.path('ao-new', 'config'), 'utf8'), /^append_only = 0$/m);
    assert.equal(existsSync(box.path('ao-new', 'transactions')), false, 'created: not append-only');
    await s.result('open', { path: box.path('ao-new'), exclusive: true });
    await s.result('put', { id: randomBytes(32), data: Buffer.from('y') });
    await s.result('commit', {});
    assert.match(readFileSync(box.path('ao-new', 'transactions'), 'utf8'), /^transaction \d+, UTC time /);
    assert.equal((await s.call('destroy')).error?.className, 'RepositoryAppendOnly');
    await s.result('open', { path: box.path('ao-client'), create: true, exclusive: true, append_only: true });
    assert.match(readFileSync(box.path('ao-client', 'config'), 'utf8'), /^append_only = 1$/m);
    assert.equal((await s.end()).code, 0);
    assert.ok(existsSync(box.path('ao-new', 'config')));
  });

  it('--storage-quota is written into new repositories and enforced', async () => {
    const s = await serve(['--storage-quota', '10M']);
    await s.result('open', { path: box.path('quota'), create: true, exclusive: true });
    assert.match(readFileSync(box.path('quota', 'config'), 'utf8'), /^storage_quota = 10000000$/m);
    let refused: string | undefined;
    for (let i = 0; i < 12 && refused === undefined; i++) {
      refused = (await s.call('put', { id: randomBytes(32), data: randomBytes(1_000_000) })).error?.className;
    }
    refused ??= (await s.call('commit', {})).error?.className;
    assert.equal(refused, 'StorageQuotaExceeded');
    assert.equal((await s.end()).code, 0);
    const small = new ServeProcess({ cwd: box.dir, args: ['--storage-quota', '5M'], env: box.env });
    assert.equal((await small.end()).code, 2);
    assert.match(small.stderr, /quota is too small/);
  });

  it('creates repository files with the server umask', async () => {
    const s = await serve(['--umask', '0027']);
    await s.result('open', { path: box.path('umask'), create: true, exclusive: true });
    assert.equal((await s.end()).code, 0);
    assert.equal(statSync(box.path('umask', 'config')).mode & 0o777, 0o640);
    assert.equal(statSync(box.path('umask', 'data')).mode & 0o777, 0o750);
  });

  it('under a forced command takes only log level and debug topics from the client command', async () => {
    const forced = (original: string) => box.with({ SSH_ORIGINAL_COMMAND: original });
    // The client asks for --debug and for no restriction: it gets the debug log, not the path.
    const s = await serve(['--restrict-to-path', box.path('allowed')], forced(`BORG_X=1 node /opt/borg-ts/main.js serve --debug --restrict-to-path / --umask 0000`));
    assert.equal((await s.call('open', { path: box.path('elsewhere', 'f'), create: true })).error?.className, 'PathNotAllowed');
    assert.equal((await s.end()).code, 0);
    assert.match(s.stderr, /"levelname":"DEBUG"/);
    // The forced command's --debug does not count when the client asked for the default level.
    const quiet = await serve(['--debug'], forced('borg serve'));
    await quiet.call('open', { path: box.path('missing') });
    assert.equal((await quiet.end()).code, 0);
    assert.doesNotMatch(quiet.stderr, /DEBUG/);
    // A client command that is not serve changes nothing.
    const other = await serve(['--debug'], forced('borg list /'));
    await other.call('open', { path: box.path('missing') });
    await other.end();
    assert.match(other.stderr, /DEBUG/);
  });
});
