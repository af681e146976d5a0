// The web suite of `npm run bench`: `borg-ts web` over an archive of BENCH_WEB_ITEMS items
// (default 1,000,000; imported from a generated tar, reused between runs). Measures the time to
// the first listing of the root with no archive tree yet (the tree build) and with the tree file
// on disk (a fresh server), to open a deep directory, to answer a search, the tree file's size,
// and the server's peak RSS (VmHWM).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeGnuHeader, TarType } from '../src/archive/tar/tar-header.js';

const BORG_TS = resolve(new URL('../dist/cli/main.js', import.meta.url).pathname);
const TOKEN = 'bench-token-0123456789abcdef';
const FILES_PER_DIR = 1000;
const DEEP = Array.from({ length: 12 }, (_, i) => `level${i}`).join('/');

function header(path: string, type: 'dir' | 'file', size: number): Buffer {
  return encodeGnuHeader({
    name: Buffer.from(path), mode: type === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000, size, mtime: 1_700_000_000,
    type: type === 'dir' ? TarType.DIR : TarType.REG, linkname: Buffer.alloc(0), uname: Buffer.from('bench'), gname: Buffer.from('bench'), devmajor: 0, devminor: 0,
  });
}

/** A tar stream of `items` entries: directories of FILES_PER_DIR small files, and one deep chain. */
function* tarStream(items: number): Generator<Buffer> {
  let made = 0;
  const pieces: Buffer[] = [];
  const flush = function* () {
    if (pieces.length) yield Buffer.concat(pieces.splice(0));
  };
  let path = 'tree';
  pieces.push(header('tree/', 'dir', 0));
  for (const part of DEEP.split('/')) {
    path += `/${part}`;
    pieces.push(header(`${path}/`, 'dir', 0));
    made += 1;
  }
  const content = Buffer.alloc(512);
  content.write('deep file\n');
  pieces.push(header(`${path}/target.txt`, 'file', 10), content);
  for (let d = 0; made < items; d++) {
    const dir = `tree/d${String(d).padStart(5, '0')}`;
    pieces.push(header(`${dir}/`, 'dir', 0));
    made += 1;
    for (let f = 0; f < FILES_PER_DIR && made < items; f++, made++) {
      // One file in 100 has (distinct) contents; the others are empty.
      if (f % 100 === 0) {
        const data = Buffer.alloc(512);
        data.write(`${dir}/${f}\n`);
        pieces.push(header(`${dir}/file${String(f).padStart(4, '0')}.txt`, 'file', data.indexOf(0)), data);
      } else {
        pieces.push(header(`${dir}/file${String(f).padStart(4, '0')}.txt`, 'file', 0));
      }
    }
    if (pieces.length > 2000) yield* flush();
  }
  pieces.push(Buffer.alloc(1024));
  yield* flush();
}

async function makeRepository(repo: string, items: number, env: NodeJS.ProcessEnv): Promise<void> {
  if (existsSync(join(repo, 'config'))) return;
  rmSync(repo, { recursive: true, force: true });
  const init = spawnSync(process.execPath, [BORG_TS, 'init', '-e', 'repokey-blake2', repo], { env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  const child = spawn(process.execPath, [BORG_TS, 'import-tar', `${repo}::big`, '-'], { env, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<number>((ok) => child.on('exit', (code) => ok(code ?? 1)));
  for (const piece of tarStream(items)) {
    if (!child.stdin!.write(piece)) await new Promise((ok) => child.stdin!.once('drain', ok));
  }
  child.stdin!.end();
  if ((await done) !== 0) throw new Error('import-tar failed');
}

interface Server {
  child: ChildProcess;
  origin: string;
}

async function startServer(repo: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, [BORG_TS, 'web', repo, '--listen', '127.0.0.1:0'], { env: { ...env, BORG_TS_WEB_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/[^/]+)\//.exec(out);
      if (m) ok(m[1]!);
    });
    child.on('exit', () => fail(new Error(`borg-ts web ended: ${out}`)));
  });
  return { child, origin };
}

async function stopServer(server: Server): Promise<number> {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const ended = new Promise((ok) => server.child.on('exit', ok));
  server.child.kill('SIGTERM');
  await ended;
  return hwm;
}

/** Seconds until `path` answers 200 (waiting out 202 while archive trees are built). */
async function timed(server: Server, path: string): Promise<{ seconds: number; body: any }> {
  const t0 = performance.now();
  for (;;) {
    const response = await fetch(`${server.origin}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = await response.json();
    if (response.status === 200) return { seconds: (performance.now() - t0) / 1000, body };
    if (response.status !== 202) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

function dirSize(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) : 0;
}

export async function webSuite(dir: string): Promise<void> {
  const items = Number(process.env['BENCH_WEB_ITEMS'] ?? 1_000_000);
  const work = join(dir, `web-${items}`);
  mkdirSync(work, { recursive: true });
  const env = { ...process.env, BORG_PASSPHRASE: 'bench', BORG_BASE_DIR: join(work, 'home'), BORG_TS_WEB_TOKEN: TOKEN };
  const repo = join(work, 'repo');
  const t0 = performance.now();
  await makeRepository(repo, items, env);
  console.log(`\nweb: archive of ${items} items (${((performance.now() - t0) / 1000).toFixed(1)} s to prepare)`);
  const indexRoot = join(work, 'home/.cache/borg/archive-trees');
  rmSync(indexRoot, { recursive: true, force: true });

  const rows: Array<[string, string]> = [];
  let server = await startServer(repo, env);
  const cold = await timed(server, '/api/repos/0/archives/big/dir');
  rows.push(['first listing of the root, no tree yet (= tree build)', `${cold.seconds.toFixed(2)} s`]);
  const coldRss = await stopServer(server);
  const [repoDir] = readdirSync(indexRoot);
  rows.push(['tree file size', `${(dirSize(join(indexRoot, repoDir!)) / 1e6).toFixed(1)} MB (${(dirSize(join(indexRoot, repoDir!)) / items).toFixed(0)} B/item)`]);

  server = await startServer(repo, env);
  const warm = await timed(server, '/api/repos/0/archives/big/dir');
  rows.push(['first listing of the root, tree file on disk (fresh server)', `${warm.seconds.toFixed(2)} s`]);
  const deep = await timed(server, `/api/repos/0/archives/big/dir?path=${encodeURIComponent(`tree/${DEEP}`)}`);
  rows.push(['open a deep directory', `${(deep.seconds * 1000).toFixed(0)} ms`]);
  const big = await timed(server, '/api/repos/0/archives/big/dir?path=tree/d00000&sort=size&order=desc');
  rows.push([`open a directory of ${FILES_PER_DIR} entries sorted by size`, `${(big.seconds * 1000).toFixed(0)} ms`]);
  const search = await timed(server, '/api/repos/0/search?q=target.txt');
  if (search.body.hits.length !== 1) throw new Error(`search found ${search.body.hits.length} hits`);
  rows.push(['search a name (trees loaded)', `${(search.seconds * 1000).toFixed(0)} ms`]);
  const glob = await timed(server, '/api/repos/0/search?q=file00*.txt&limit=100000');
  rows.push([`search a glob (${glob.body.hits.length} hits)`, `${(glob.seconds * 1000).toFixed(0)} ms`]);
  const warmRss = await stopServer(server);
  rows.push(['server peak RSS while building the tree', `${(coldRss / 1024).toFixed(0)} MiB`]);
  rows.push(['server peak RSS browsing and searching from the tree', `${(warmRss / 1024).toFixed(0)} MiB`]);
  console.log('| measurement | borg-ts web |');
  console.log('|---|---:|');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
}
