// Every run loads every command file, so command files load their implementation inside the handler
// (see src/cli/commands/index.ts) and codecs load their native addon at first use. These tests run
// the built program (`npm run build` first) with a module loader hook that records every module it
// loads, and check that a command does not load what only other commands need.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'dist/cli/main.js');

// ES modules pass through the loader hook; CommonJS ones (native addons, npm packages loaded with
// createRequire) are in the shared require cache when the process exits.
const HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function load(url, context, next) { appendFileSync(file, url + '\\n'); return next(url, context); }
`;
const PRELOAD = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const file = process.env.LOADED_MODULES_FILE;
register(new URL('./hooks.mjs', import.meta.url), { data: { file } });
process.on('exit', () => appendFileSync(file, Object.keys(createRequire(import.meta.url).cache).map((p) => 'cjs:' + p + '\\n').join('')));
`;

const dir = mkdtempSync(path.join(tmpdir(), 'borg-ts-lazy-'));
writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
writeFileSync(path.join(dir, 'preload.mjs'), PRELOAD);
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs borg-ts; returns the modules it loaded, as paths relative to the package root. */
function loadedBy(args: string[]): string[] {
  const file = path.join(dir, 'loaded.txt');
  writeFileSync(file, '');
  const env = { ...process.env, LOADED_MODULES_FILE: file, BORG_BASE_DIR: path.join(dir, 'base'), BORG_PASSPHRASE: '' };
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(dir, 'preload.mjs')).href, BIN, ...args], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean)
    .map((entry) => entry.replace(/^cjs:/, '').replace(/^file:\/\//, ''))
    .filter((p) => p.startsWith(ROOT)).map((p) => path.relative(ROOT, p));
}

/** Modules that only some commands need: the create pipeline, web UI, FUSE mount, tar, check, serve, native codecs. */
const HEAVY = [
  /^dist\/web\//, /^dist\/mount\//, /^dist\/archive\/create\/(?!create-options)/, /^dist\/archive\/tar\//,
  /^dist\/archive\/check\//, /^dist\/archive\/extract\//, /^dist\/remote\/serve\//,
  /^node_modules\/lzma-native\//, /^node_modules\/zstd-napi\//,
];

function heavyIn(modules: string[]): string[] {
  return modules.filter((m) => HEAVY.some((re) => re.test(m)));
}

describe('what a command loads', () => {
  it('--version loads neither the repository layers nor any codec or hash addon', () => {
    const modules = loadedBy(['--version']);
    assert.ok(modules.includes('dist/cli/commands/index.js'), 'the hook saw the registry load');
    assert.deepEqual(heavyIn(modules), []);
    const layers = [/^dist\/repository\/(?!config|ini|errors)/, /^dist\/compress\/(?!compression-spec|errors)/, /^dist\/archive\/repository-session/, /^node_modules\//];
    assert.deepEqual(modules.filter((m) => layers.some((re) => re.test(m)) && !m.startsWith('node_modules/commander/')), []);
  });

  it('list loads what listing needs, not what create, mount, web or tar need', () => {
    const repo = path.join(dir, 'repo');
    const init = spawnSync(process.execPath, [BIN, 'init', '-e', 'none', repo], { encoding: 'utf8', env: { ...process.env, BORG_BASE_DIR: path.join(dir, 'base') } });
    assert.equal(init.status, 0, init.stderr);
    const modules = loadedBy(['list', repo]);
    assert.ok(modules.includes('dist/archive/repository-session.js'), 'list opened the repository');
    assert.deepEqual(heavyIn(modules), []);
  });
});
