#!/usr/bin/env node
// `npm run demo`: a short tour of borg-ts with the built program (dist/cli/main.js) in a temp dir
// of its own: init a repository, back up a small tree twice (the second run shows deduplication),
// list the archives and one archive's contents, extract it elsewhere and verify every file byte
// for byte. Exits non-zero if any step fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/cli/main.js');
if (!existsSync(BIN)) {
  console.error(`demo: ${BIN} is missing; run "npm run build" first`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'borg-ts-demo-'));
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('BORG_'))),
  BORG_BASE_DIR: join(work, 'home'),
  BORG_PASSPHRASE: 'demo passphrase - not for real data',
};
const repo = join(work, 'repo');
const source = join(work, 'data');

function step(title) {
  console.log(`\n=== ${title}`);
}

/** Runs borg-ts, echoing the command and its output; fails the demo on a non-zero exit. */
function borgTs(args, options = {}) {
  console.log(`$ borg-ts ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd: work, encoding: 'utf8', ...options });
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(r.stderr);
  if (r.status !== 0) throw new Error(`borg-ts ${args[0]} exited with ${r.status ?? r.signal}`);
  return r;
}

/** Deterministic pseudo-random bytes (a counter hashed), so every run shows the same numbers. */
function bytes(tag, length) {
  const out = Buffer.alloc(length);
  for (let i = 0, offset = 0; offset < length; i++, offset += 32) createHash('sha256').update(`${tag}:${i}`).digest().copy(out, offset);
  return out;
}

function makeTree() {
  mkdirSync(join(source, 'docs'), { recursive: true });
  mkdirSync(join(source, 'photos'));
  for (let i = 1; i <= 5; i++) {
    const lines = Array.from({ length: 400 }, (_, n) => `note ${i}, line ${n}: backups are only as good as their restores`);
    writeFileSync(join(source, 'docs', `note-${i}.txt`), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(source, 'photos', 'holiday.raw'), bytes('photo', 3 * 1024 * 1024));
  writeFileSync(join(source, 'README'), 'A small tree for the borg-ts demo.\n');
  linkSync(join(source, 'README'), join(source, 'README.hardlink'));
  symlinkSync('docs/note-1.txt', join(source, 'latest-note'));
}

/** Relative path -> description (content hash, or link target) of every entry below `root`. */
function describeTree(root) {
  const entries = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const rel = relative(root, path);
      if (st.isDirectory()) walk(path);
      else if (st.isSymbolicLink()) entries.set(rel, `symlink -> ${readlinkSync(path)}`);
      else entries.set(rel, `file ${createHash('sha256').update(readFileSync(path)).digest('hex')} links=${st.nlink}`);
    }
  };
  walk(root);
  return entries;
}

try {
  console.log(`borg-ts demo in ${work}`);
  makeTree();
  step('Create a repository (encrypted, key stored in the repository)');
  borgTs(['init', '--encryption', 'repokey-blake2', repo]);
  step('First backup');
  borgTs(['create', '--stats', `${repo}::demo-1`, 'data']);
  step('Change one file, back up again: only the change is stored');
  writeFileSync(join(source, 'docs', 'note-3.txt'), 'rewritten\n');
  borgTs(['create', '--stats', '--list', '--filter', 'AM', `${repo}::demo-2`, 'data']);
  step('The archives, and the contents of the second one');
  borgTs(['list', repo]);
  borgTs(['list', `${repo}::demo-2`]);
  step('Extract the second backup elsewhere and compare');
  const restore = join(work, 'restore');
  mkdirSync(restore);
  borgTs(['extract', `${repo}::demo-2`], { cwd: restore });
  const want = describeTree(source);
  const got = describeTree(join(restore, 'data'));
  const problems = [...want].filter(([path, what]) => got.get(path) !== what).map(([path]) => path);
  for (const path of got.keys()) if (!want.has(path)) problems.push(path);
  if (problems.length > 0) throw new Error(`restored tree differs: ${problems.join(', ')}`);
  console.log(`\nverified: ${want.size} files identical`);
} catch (e) {
  console.error(`\ndemo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
