// Test fixture for the web UI: a repository with five archives of a small tree (a deep directory,
// text files that change, a PNG, a name present in exactly three archives), made by borg-ts, and
// a running web server over it with a known token. Everything lives in one temp directory.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLocation } from '../../src/remote/location.js';
import { WebRepository } from '../../src/web/repository-handle.js';
import { WebServer } from '../../src/web/server.js';
import { runBorgTs } from '../helpers/run-borg-ts.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const DEEP = 'src/deep/l1/l2/l3/l4';
export const SOMETIMES = 'src/sometimes.txt';
/** Archives holding SOMETIMES. */
export const WITH_SOMETIMES = ['a2', 'a3', 'a5'];

/** A 1×1 PNG. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201c5d3a7d50000000049454e44ae426082', 'hex');

export interface WebFixture {
  dir: string;
  repo: string;
  /** Source tree as of the last archive (a5). */
  source: string;
  env: Record<string, string>;
}

export async function makeWebFixture(): Promise<WebFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'borgts-web-'));
  const source = join(dir, 'src');
  const repo = join(dir, 'repo');
  const env = { BORG_PASSPHRASE: 'web-secret', BORG_BASE_DIR: join(dir, 'home'), HOME: join(dir, 'home'), BORG_TS_WORKERS: '1', PATH: process.env['PATH'] ?? '' };
  const run = async (...args: string[]) => {
    const r = await runBorgTs(args, { env, cwd: dir });
    if (r.code !== 0) throw new Error(`borg-ts ${args.join(' ')} failed: ${r.stderr}`);
  };
  mkdirSync(join(dir, DEEP), { recursive: true });
  writeFileSync(join(dir, DEEP, 'deep.txt'), 'deep file\nin a deep directory\n');
  writeFileSync(join(dir, 'src/notes.txt'), 'first line\nsecond line\nthird line\n');
  writeFileSync(join(dir, 'src/pixel.png'), PNG);
  writeFileSync(join(dir, 'src/data.bin'), createHash('sha512').update('x').digest());
  mkdirSync(join(dir, 'src/docs'));
  for (let i = 0; i < 20; i++) writeFileSync(join(dir, `src/docs/doc-${String(i).padStart(2, '0')}.md`), `# Doc ${i}\n`.repeat(i + 1));
  symlinkSync('notes.txt', join(dir, 'src/link-to-notes'));
  await run('init', '-e', 'repokey', repo);
  await run('create', `${repo}::a1`, 'src');
  writeFileSync(join(dir, SOMETIMES), 'here in a2\n');
  writeFileSync(join(dir, 'src/notes.txt'), 'first line\nsecond line, changed\nthird line\nfourth line\n');
  await run('create', `${repo}::a2`, 'src');
  writeFileSync(join(dir, SOMETIMES), 'here in a3\n');
  await run('create', `${repo}::a3`, 'src');
  rmSync(join(dir, SOMETIMES));
  await run('create', `${repo}::a4`, 'src');
  writeFileSync(join(dir, SOMETIMES), 'back in a5\n');
  writeFileSync(join(dir, DEEP, 'new.txt'), 'added in a5\n');
  await run('create', `${repo}::a5`, 'src');
  return { dir, repo, source, env };
}

export async function startServer(fixture: WebFixture, options: { allowRestore?: boolean } = {}): Promise<WebServer> {
  const env = fixture.env;
  const repository = await WebRepository.open(parseLocation(fixture.repo), { env, lockWait: 5, passphrase: { env }, confirm: () => true });
  return WebServer.start({
    repositories: [repository], env, token: TOKEN, allowRestore: options.allowRestore ?? false, host: '127.0.0.1', port: 0,
    publicDir: join(process.cwd(), 'dist/web/public'),
  });
}

/** Relative path -> "type mode-bits content-hash/target" of every entry under `root`. */
export function treeSummary(root: string): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    const perms = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      if (rel !== '') result.set(rel, `dir ${perms}`);
      for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      result.set(rel, `link ${readlinkSync(abs)}`);
    } else {
      result.set(rel, `file ${perms} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
    }
  };
  walk('');
  return result;
}

/** GET as JSON with the bearer token, waiting out 202 answers (jobs building indexes). */
export async function getJson(server: WebServer, path: string): Promise<{ status: number; body: any }> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${server.origin}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = await response.json();
    if (response.status !== 202) return { status: response.status, body };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} stayed pending`);
}
