// End to end in a real browser: Debian's chromium, headless, driven by playwright-core. Opens the
// token URL, lists archives, walks into a deep directory, previews a text file, downloads a file
// and a directory tar (compared with the source tree), searches a name found in 3 of 5 archives,
// opens a path's history, diffs two archives and restores a file. Screenshots of every page go
// to test-artifacts/web/ (git-ignored).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { WebServer } from '../../src/web/server.js';
import { DEEP, makeWebFixture, startServer, treeSummary, WITH_SOMETIMES, type WebFixture } from './web-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts/web');

let fixture: WebFixture;
let server: WebServer;
let context: BrowserContext;
let page: Page;

const skip = existsSync(CHROMIUM) ? false : 'chromium is not installed (scripts/install-test-deps.sh)';

before(async () => {
  if (skip) return;
  execFileSync(process.execPath, ['scripts/build-web.mjs']);
  mkdirSync(ARTIFACTS, { recursive: true });
  fixture = await makeWebFixture();
  server = await startServer(fixture, { allowRestore: true });
  context = await chromium.launchPersistentContext(mkdtempSync(join(fixture.dir, 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20000);
});

after(async () => {
  await context?.close();
  await server?.close();
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function download(click: () => Promise<void>): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(fixture.dir, `download-${Date.now()}-${file.suggestedFilename()}`);
  await file.saveAs(path);
  return path;
}

test('the web UI in chromium', { skip, timeout: 90000 }, async (t) => {
  await t.test('the token URL logs in and the archives are listed', async () => {
    await page.goto(server.url);
    assert.equal(new URL(page.url()).search, '');
    await page.locator('tr[data-archive="a1"]').waitFor();
    assert.equal(await page.locator('tbody tr[data-archive]').count(), 5);
    await page.locator('figure.chart svg').waitFor();
    await shot('01-repository');
  });

  await t.test('a deep directory opens and a text file is previewed', async () => {
    await page.getByRole('link', { name: 'a5', exact: true }).click();
    const parts = DEEP.split('/');
    for (let i = 0; i < parts.length; i++) {
      await page.locator(`tr[data-path="${parts.slice(0, i + 1).join('/')}"] button`).click();
      await page.getByText(`entries in /${parts.slice(0, i + 1).join('/')}`).waitFor();
    }
    await page.locator(`tr[data-path="${DEEP}/deep.txt"] button`).click();
    const preview = page.locator('pre.preview');
    await preview.waitFor();
    assert.equal(await preview.textContent(), 'deep file\nin a deep directory\n');
    assert.equal(await page.locator(`li[data-path="${DEEP}"] > button`).getAttribute('aria-selected'), 'true');
    await shot('02-browser-preview');
  });

  await t.test('a file and a directory tar download with the source bytes', async () => {
    const file = await download(() => page.getByRole('link', { name: 'Download', exact: true }).click());
    assert.deepEqual(readFileSync(file), readFileSync(join(fixture.dir, DEEP, 'deep.txt')));
    const tar = await download(() => page.getByRole('link', { name: 'Download this directory (tar)' }).click());
    const out = mkdtempSync(join(fixture.dir, 'tar-'));
    execFileSync('tar', ['-xf', tar, '-C', out]);
    assert.deepEqual(treeSummary(join(out, 'l4')), treeSummary(join(fixture.dir, DEEP)));
  });

  await t.test('search finds a name in exactly the 3 archives that hold it', async () => {
    await page.getByRole('link', { name: 'Search' }).click();
    await page.getByLabel('Name or pattern').fill('sometimes.txt');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('.found-archives').waitFor();
    assert.equal(await page.locator('.found-archives').textContent(), WITH_SOMETIMES.join(', '));
    const rows = await page.locator('section[aria-label="Search results"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-archive')));
    assert.deepEqual(rows, WITH_SOMETIMES);
    await shot('03-search');
  });

  await t.test("a path's history shows where it exists and changed", async () => {
    await page.getByRole('link', { name: '(history)' }).first().click();
    await page.locator('tr[data-archive="a5"]').waitFor();
    const present = await page.locator('section[aria-label="History"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-present')));
    assert.deepEqual(present, ['false', 'true', 'true', 'false', 'true']);
    await shot('04-history');
  });

  await t.test('two archives are compared', async () => {
    await page.getByRole('link', { name: 'Compare' }).click();
    await page.getByLabel('Older archive').selectOption('a1');
    await page.getByLabel('Newer archive').selectOption('a5');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator(`tr[data-path="${DEEP}/new.txt"]`).waitFor();
    assert.match(await page.locator(`tr[data-path="${DEEP}/new.txt"]`).textContent() ?? '', /added/);
    assert.match(await page.locator('tr[data-path="src/notes.txt"]').textContent() ?? '', /modified/);
    await shot('05-diff');
  });

  await t.test('a file is restored with --allow-restore', async () => {
    const target = mkdtempSync(join(fixture.dir, 'restore-'));
    await page.goto(`${server.origin}/#/r/0/a/a2?path=src&item=src%2Fnotes.txt`);
    await page.getByLabel('Restore into directory on the server').fill(target);
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText(`Restored to ${target}/notes.txt`).waitFor();
    assert.equal(readFileSync(join(target, 'notes.txt'), 'utf8'), 'first line\nsecond line, changed\nthird line\nfourth line\n');
    await shot('06-restore');
  });

  await t.test('the pages work at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.origin}/#/r/0`);
    await page.locator('tr[data-archive="a1"]').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await shot('07-phone');
  });
});
