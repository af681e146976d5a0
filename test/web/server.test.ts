// The web server over real HTTP against a real repository made by borg-ts: authentication, path
// and CSRF checks, the repository page, browsing from the item index, previews and downloads
// compared with the source tree, search, history, diffs and restores.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WebServer } from '../../src/web/server.js';
import { runBorgTs } from '../helpers/run-borg-ts.js';
import { DEEP, getJson, makeWebFixture, SOMETIMES, startServer, TOKEN, treeSummary, WITH_SOMETIMES, type WebFixture } from './web-fixture.js';

let fixture: WebFixture;
let server: WebServer;

/** A raw request (no URL normalisation), returning status, headers and body. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${server.port}`, ...options.headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const bearer = { Authorization: `Bearer ${TOKEN}` };

before(async () => {
  execFileSync(process.execPath, ['scripts/build-web.mjs']);
  fixture = await makeWebFixture();
  server = await startServer(fixture, { allowRestore: true });
});

after(async () => {
  await server?.close();
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

describe('access control', () => {
  test('requests without the token get 401, with a wrong token too', async () => {
    assert.equal((await raw('/api/session')).status, 401);
    assert.equal((await raw('/')).status, 401);
    assert.equal((await raw('/api/session', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await raw('/?token=wrong')).status, 401);
  });

  test('the token URL sets an HttpOnly SameSite cookie and redirects to a URL without the token', async () => {
    const r = await raw(`/?token=${TOKEN}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers['location'], '/');
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await raw('/', { headers: { Cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<script type="module" src="\/static\/app.js">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  });

  test("'..' in a path gets 400, raw, encoded or in a parameter", async () => {
    assert.equal((await raw('/static/../../etc/passwd', { headers: bearer })).status, 400);
    assert.equal((await raw('/api/repos/0/archives/%2e%2e/dir', { headers: bearer })).status, 400);
    assert.equal((await raw(`/api/repos/0/archives/a1/dir?path=${encodeURIComponent('src/../..')}`, { headers: bearer })).status, 400);
    assert.equal((await raw(`/api/repos/0/archives/a1/content?path=${encodeURIComponent('../etc/passwd')}`, { headers: bearer })).status, 400);
  });

  test('a Host header naming another site is refused (DNS rebinding)', async () => {
    assert.equal((await raw('/api/session', { headers: { ...bearer, Host: `evil.example:${server.port}` } })).status, 400);
  });

  test('POSTs made with the cookie need the CSRF token and the same origin', async () => {
    const cookie = `borgts_token_${server.port}=${TOKEN}`;
    const session = JSON.parse((await raw('/api/session', { headers: { Cookie: cookie } })).body.toString());
    const json = { 'Content-Type': 'application/json', Cookie: cookie };
    const body = JSON.stringify({ archive: 'a1', path: 'src/notes.txt', destination: '/nonexistent' });
    assert.equal((await raw('/api/repos/0/restore', { method: 'POST', headers: json, body })).status, 403);
    assert.equal((await raw('/api/repos/0/restore', { method: 'POST', headers: { ...json, 'X-BorgTs-Csrf': session.csrf, Origin: 'http://evil.example' }, body })).status, 403);
    // Same origin with the token: accepted (and refused for its destination).
    const ok = await raw('/api/repos/0/restore', { method: 'POST', headers: { ...json, 'X-BorgTs-Csrf': session.csrf, Origin: `http://127.0.0.1:${server.port}` }, body });
    assert.equal(ok.status, 400);
    assert.match(ok.body.toString(), /not an existing directory/);
  });
});

describe('repository page', () => {
  test('lists the archives oldest first with sizes, then deduplicated sizes and growth', async () => {
    let answer = (await getJson(server, '/api/repos/0/archives')).body;
    assert.deepEqual(answer.archives.map((a: { name: string }) => a.name), ['a1', 'a2', 'a3', 'a4', 'a5']);
    for (let i = 0; i < 100 && answer.statsJob !== null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = (await getJson(server, '/api/repos/0/archives')).body;
    }
    const info = JSON.parse((await runBorgTs(['info', '--json', fixture.repo], { env: fixture.env, cwd: fixture.dir })).stdout.toString());
    const a5 = JSON.parse((await runBorgTs(['info', '--json', `${fixture.repo}::a5`], { env: fixture.env, cwd: fixture.dir })).stdout.toString()).archives[0];
    const last = answer.archives.at(-1);
    assert.equal(last.nfiles, a5.stats.nfiles);
    assert.equal(last.originalSize, a5.stats.original_size);
    assert.equal(last.deduplicatedSize, a5.stats.deduplicated_size);
    // Nothing was deleted: the growth ends at the repository's unique stored size.
    assert.equal(last.storedTotal, info.cache.stats.unique_csize);
    assert.ok(answer.archives.every((a: { storedTotal: number }, i: number, all: Array<{ storedTotal: number }>) => i === 0 || a.storedTotal >= all[i - 1]!.storedTotal));
  });
});

describe('browsing', () => {
  test('lists a deep directory from the index, sorted; details and preview of a text file', async () => {
    const listing = (await getJson(server, `/api/repos/0/archives/a5/dir?path=${encodeURIComponent(DEEP)}`)).body;
    assert.deepEqual(listing.entries.map((e: { name: string }) => e.name), ['deep.txt', 'new.txt']);
    const bySize = (await getJson(server, `/api/repos/0/archives/a5/dir?path=src/docs&sort=size&order=desc&limit=3`)).body;
    assert.equal(bySize.total, 20);
    assert.deepEqual(bySize.entries.map((e: { name: string }) => e.name), ['doc-19.md', 'doc-18.md', 'doc-17.md']);
    const root = (await getJson(server, '/api/repos/0/archives/a5/dir')).body;
    assert.deepEqual(root.entries.map((e: { name: string }) => e.name), ['src']);
    const details = (await getJson(server, `/api/repos/0/archives/a5/item?path=${encodeURIComponent(`${DEEP}/deep.txt`)}`)).body;
    const st = statSync(join(fixture.dir, DEEP, 'deep.txt'));
    assert.equal(details.item.size, st.size);
    assert.equal(details.item.uid, st.uid);
    assert.equal(details.item.chunkCount, 1);
    const preview = (await getJson(server, `/api/repos/0/archives/a5/preview?path=${encodeURIComponent(`${DEEP}/deep.txt`)}`)).body;
    assert.deepEqual(preview, { kind: 'text', size: st.size, text: 'deep file\nin a deep directory\n', truncated: false });
    assert.equal((await getJson(server, '/api/repos/0/archives/a5/preview?path=src/pixel.png')).body.kind, 'image');
    assert.equal((await getJson(server, '/api/repos/0/archives/a5/preview?path=src/data.bin')).body.kind, 'binary');
    const link = (await getJson(server, '/api/repos/0/archives/a5/item?path=src/link-to-notes')).body;
    assert.equal(link.item.linkTarget, 'notes.txt');
    assert.equal((await getJson(server, '/api/repos/0/archives/a5/dir?path=src/nothing')).status, 404);
    assert.equal((await getJson(server, '/api/repos/0/archives/nope/dir')).status, 404);
  });

  test('archive tree files are private (0600 in a 0700 directory)', () => {
    const root = join(fixture.env.BORG_BASE_DIR, '.cache/borg/archive-trees');
    const [repoDir] = readdirSync(root);
    assert.equal(statSync(join(root, repoDir!)).mode & 0o777, 0o700);
    const files = readdirSync(join(root, repoDir!));
    assert.ok(files.length > 0);
    for (const f of files) assert.equal(statSync(join(root, repoDir!, f)).mode & 0o777, 0o600);
  });

  test('a file downloads byte for byte; content served inline is sandboxed', async () => {
    const r = await raw('/api/repos/0/archives/a5/content?path=src/data.bin', { headers: bearer });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, readFileSync(join(fixture.dir, 'src/data.bin')));
    assert.match(String(r.headers['content-disposition']), /^attachment; filename="data.bin"/);
    const inline = await raw('/api/repos/0/archives/a5/content?path=src/pixel.png&inline=1', { headers: bearer });
    assert.equal(inline.headers['content-type'], 'image/png');
    assert.match(String(inline.headers['content-security-policy']), /sandbox/);
  });

  test('a directory downloads as tar and as zip with the same tree as the source', async () => {
    const expected = treeSummary(join(fixture.dir, 'src'));
    for (const format of ['tar', 'zip']) {
      const r = await raw(`/api/repos/0/archives/a5/download?path=src&format=${format}`, { headers: bearer });
      assert.equal(r.status, 200);
      const out = mkdtempSync(join(fixture.dir, `dl-${format}-`));
      writeFileSync(join(out, `x.${format}`), r.body);
      mkdirSync(join(out, 'x'));
      if (format === 'tar') execFileSync('tar', ['-xf', join(out, 'x.tar'), '-C', join(out, 'x')]);
      else execFileSync('/usr/bin/python3', ['-c', 'import sys, zipfile, os, stat\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n  p = os.path.join(sys.argv[2], i.filename)\n  m = i.external_attr >> 16\n  if stat.S_ISLNK(m): os.symlink(z.read(i).decode(), p)\n  elif i.is_dir(): os.makedirs(p, exist_ok=True); os.chmod(p, stat.S_IMODE(m))\n  else:\n    open(p, "wb").write(z.read(i)); os.chmod(p, stat.S_IMODE(m))\nz.testzip()', join(out, 'x.zip'), join(out, 'x')]);
      assert.deepEqual(treeSummary(join(out, 'x', 'src')), expected, format);
    }
  });
});

describe('search, history and diffs', () => {
  test('a name found in 3 of 5 archives is found in exactly those', async () => {
    const r = (await getJson(server, '/api/repos/0/search?q=sometimes.txt')).body;
    assert.deepEqual(r.archives, WITH_SOMETIMES);
    assert.deepEqual(r.hits.map((h: { path: string }) => h.path), [SOMETIMES, SOMETIMES, SOMETIMES]);
    const glob = (await getJson(server, '/api/repos/0/search?q=doc-1*.md&archives=a1')).body;
    assert.equal(glob.hits.length, 10);
    const regex = (await getJson(server, `/api/repos/0/search?mode=regex&q=${encodeURIComponent('l3/l4/.*\\.txt$')}`)).body;
    assert.equal(regex.hits.length, 6);
    const big = (await getJson(server, '/api/repos/0/search?q=*&type=file&minSize=60&archives=a5')).body;
    assert.deepEqual(big.hits.map((h: { path: string }) => h.path).sort(), ['src/data.bin', 'src/docs/doc-06.md', 'src/docs/doc-07.md', 'src/docs/doc-08.md', 'src/docs/doc-09.md', 'src/docs/doc-10.md', 'src/docs/doc-11.md', 'src/docs/doc-12.md', 'src/docs/doc-13.md', 'src/docs/doc-14.md', 'src/docs/doc-15.md', 'src/docs/doc-16.md', 'src/docs/doc-17.md', 'src/docs/doc-18.md', 'src/docs/doc-19.md', 'src/pixel.png'].filter((p) => big.hits.some((h: { path: string }) => h.path === p)));
    assert.ok(big.hits.every((h: { size: number }) => h.size >= 60));
    assert.equal((await getJson(server, `/api/repos/0/search?mode=regex&q=${encodeURIComponent('(')}`)).status, 400);
  });

  test('the history of a path shows presence and which versions differ', async () => {
    const r = (await getJson(server, `/api/repos/0/history?path=${SOMETIMES}`)).body;
    assert.deepEqual(r.versions.map((v: { archive: string; present: boolean; changed: boolean }) => [v.archive, v.present, v.changed]),
      [['a1', false, false], ['a2', true, true], ['a3', true, true], ['a4', false, true], ['a5', true, true]]);
    const notes = (await getJson(server, '/api/repos/0/history?path=src/notes.txt')).body;
    assert.deepEqual(notes.versions.map((v: { changed: boolean }) => v.changed), [true, true, false, false, false]);
  });

  test('two versions of a text file are diffed by line', async () => {
    const r = (await getJson(server, '/api/repos/0/file-diff?path=src/notes.txt&from=a1&to=a2')).body;
    assert.equal(r.hunks.length, 1);
    assert.deepEqual(r.hunks[0].lines.map((l: { op: string; text: string }) => `${l.op}${l.text}`),
      [' first line', '-second line', '+second line, changed', ' third line', '+fourth line']);
    assert.equal((await getJson(server, '/api/repos/0/file-diff?path=src/data.bin&from=a1&to=a2')).status, 415);
  });

  test('the diff of two archives is what borg-ts diff reports', async () => {
    const r = (await getJson(server, '/api/repos/0/diff?from=a1&to=a5')).body;
    const cli = await runBorgTs(['diff', '--sort', '--json-lines', `${fixture.repo}::a1`, 'a5'], { env: fixture.env, cwd: fixture.dir });
    const expected = cli.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(r.changes.map((c: { path: string }) => c.path), expected.map((c: { path: string }) => c.path));
    assert.deepEqual(r.changes.map((c: { changes: Array<{ type: string }> }) => c.changes.map((x) => x.type)), expected.map((c: { changes: Array<{ type: string }> }) => c.changes.map((x) => x.type)));
  });
});

describe('restore', () => {
  test('restores a file with progress as a job, refuses to overwrite', async () => {
    const target = join(fixture.dir, 'restored');
    mkdirSync(target);
    const post = () => fetch(`${server.origin}/api/repos/0/restore`, {
      method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: JSON.stringify({ archive: 'a2', path: 'src/notes.txt', destination: target }),
    });
    const started = await post();
    assert.equal(started.status, 200);
    const { job } = await started.json() as { job: { id: string } };
    let state: { status: string } = { status: 'running' };
    for (let i = 0; i < 100 && state.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await getJson(server, `/api/jobs/${job.id}`)).body;
    }
    assert.equal(state.status, 'done');
    assert.equal(readFileSync(join(target, 'notes.txt'), 'utf8'), 'first line\nsecond line, changed\nthird line\nfourth line\n');
    assert.equal((await post()).status, 409);
    const relative = await fetch(`${server.origin}/api/repos/0/restore`, {
      method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: JSON.stringify({ archive: 'a2', path: 'src/notes.txt', destination: 'relative/dir' }),
    });
    assert.equal(relative.status, 400);
  });
});
