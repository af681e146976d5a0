// The native directory scan must tell the walk exactly what lstat, getArchivedFlags and
// llistxattr would, fail like opendir does, and leave undecided what it cannot know.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, opendirSync, rmSync, symlinkSync, utimesSync, writeFileSync, type BigIntStats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScannedStat, scanDir, type ScannedEntry } from '../../src/platform/dir-scan.js';
import { getArchivedFlags, lsetxattr, mkfifo, llistxattr, type SystemError } from '../../src/platform/native.js';
import { DirPrefetch } from '../../src/archive/create/dir-prefetch.js';

let dir = '';
let chattrOk = false;
let aclOk = false;
const FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'atimeNs', 'mtimeNs', 'ctimeNs'] as const;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'borg-ts-dir-scan-'));
  writeFileSync(join(dir, 'plain'), 'x');
  writeFileSync(join(dir, 'big'), Buffer.alloc(100_000, 1));
  linkSync(join(dir, 'plain'), join(dir, 'hardlink'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'inner'), 'y');
  symlinkSync('plain', join(dir, 'link'));
  symlinkSync('/nonexistent/target', join(dir, 'dangling'));
  mkfifo(join(dir, 'fifo'), 0o644);
  writeFileSync(join(dir, 'xattr'), 'z');
  lsetxattr(join(dir, 'xattr'), 'user.note', Buffer.from('hello'));
  writeFileSync(Buffer.concat([Buffer.from(join(dir, 'bad-')), Buffer.of(0xff), Buffer.from('-name')]), 'n');
  writeFileSync(join(dir, 'nodump'), 'd');
  chattrOk = spawnSync('chattr', ['+d', join(dir, 'nodump')]).status === 0;
  writeFileSync(join(dir, 'acl'), 'a');
  aclOk = spawnSync('setfacl', ['-m', 'u:12345:r', join(dir, 'acl')]).status === 0;
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function names(dirPath: string): Buffer[] {
  const d = opendirSync(dirPath, { encoding: 'buffer' as BufferEncoding });
  const out: Buffer[] = [];
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(e.name as unknown as Buffer);
  } finally {
    d.closeSync();
  }
  return out;
}

function byName(entries: ScannedEntry[], name: string): ScannedEntry {
  const found = entries.find((e) => e.name.equals(Buffer.from(name)));
  assert.ok(found, name);
  return found;
}

test('scanDir lists the same names, in the same order, as opendir', async () => {
  const entries = await scanDir(dir, true, true);
  assert.deepEqual(entries.map((e) => e.name), names(dir));
});

test('every entry has the fields lstat gives', async () => {
  for (const entry of await scanDir(Buffer.from(dir), true, true)) {
    const path = Buffer.concat([Buffer.from(dir + '/'), entry.name]);
    const st = lstatSync(path, { bigint: true });
    assert.ok(entry.st instanceof ScannedStat, entry.name.toString());
    for (const f of FIELDS) assert.equal(entry.st[f], (st as BigIntStats)[f], `${entry.name.toString()}.${f}`);
  }
});

test('flags: as getArchivedFlags for files and directories, undecided for other types', async () => {
  const entries = await scanDir(dir, true, true);
  for (const name of ['plain', 'big', 'sub', 'nodump', 'xattr']) {
    const st = byName(entries, name).st as ScannedStat;
    assert.equal(st.inodeFlags, getArchivedFlags(join(dir, name)), name);
  }
  if (chattrOk) assert.notEqual((byName(entries, 'nodump').st as ScannedStat).inodeFlags, 0);
  for (const name of ['link', 'dangling', 'fifo']) assert.equal((byName(entries, name).st as ScannedStat).inodeFlags, null, name);
  const without = await scanDir(dir, false, false);
  assert.equal((byName(without, 'plain').st as ScannedStat).inodeFlags, null);
});

test('xattrs: only entries without any xattr (nor ACL) are marked', async () => {
  const entries = await scanDir(dir, true, true);
  for (const entry of entries) {
    const path = Buffer.concat([Buffer.from(dir + '/'), entry.name]);
    let none: boolean;
    try {
      none = llistxattr(path).length === 0;
    } catch (e) {
      none = (e as SystemError).code === 'ENOTSUP';
    }
    assert.equal((entry.st as ScannedStat).noXattrs, none, entry.name.toString());
  }
  assert.equal((byName(entries, 'xattr').st as ScannedStat).noXattrs, false);
  if (aclOk) assert.equal((byName(entries, 'acl').st as ScannedStat).noXattrs, false);
  const unasked = await scanDir(dir, true, false);
  assert.ok(unasked.every((e) => !(e.st as ScannedStat).noXattrs));
});

test('times beyond 64-bit nanoseconds (after 2262) come from node:fs lstat, exactly', async () => {
  const sub = join(dir, 'far');
  mkdirSync(sub);
  try {
    writeFileSync(join(sub, 'future'), 'f');
    utimesSync(join(sub, 'future'), 1e10, 1e10); // year 2286, where the file system keeps it
    const st = lstatSync(join(sub, 'future'), { bigint: true });
    const [entry] = await scanDir(sub, true, true);
    assert.ok(entry?.st);
    if (st.mtimeNs > 2n ** 63n - 1n) assert.ok(!(entry.st instanceof ScannedStat));
    for (const f of FIELDS) assert.equal(entry.st[f], st[f], f);
  } finally {
    rmSync(sub, { recursive: true });
  }
});

test('failures are opendir errors with node:fs codes', async () => {
  await assert.rejects(scanDir(join(dir, 'missing'), true, true), (e: SystemError) => e.code === 'ENOENT' && e.syscall === 'opendir');
  await assert.rejects(scanDir(join(dir, 'plain'), true, true), (e: SystemError) => e.code === 'ENOTDIR' && e.syscall === 'opendir');
  await assert.rejects(scanDir(join(dir, 'dangling'), true, true), (e: SystemError) => e.code === 'ENOENT');
});

test('an empty directory has no entries', async () => {
  mkdirSync(join(dir, 'empty'));
  try {
    assert.deepEqual(await scanDir(join(dir, 'empty'), true, true), []);
  } finally {
    rmSync(join(dir, 'empty'), { recursive: true });
  }
});

test('DirPrefetch: read-ahead results equal direct scans, errors come when asked for', async () => {
  const prefetch = new DirPrefetch(true, true);
  const sub = join(dir, 'sub');
  const missing = join(dir, 'gone');
  mkdirSync(missing);
  prefetch.ahead([sub, missing]);
  rmSync(missing, { recursive: true }); // may vanish before or after its scan: either way, no stray rejection
  const got = await prefetch.entries(sub);
  const direct = await scanDir(sub, true, true);
  assert.deepEqual(got.map((e) => [e.name, e.st?.ino]), direct.map((e) => [e.name, e.st?.ino]));
  // Asked for after being forgotten: scanned again, now failing.
  prefetch.forget([sub, missing]);
  await assert.rejects(prefetch.entries(missing), (e: SystemError) => e.code === 'ENOENT');
  assert.deepEqual((await prefetch.entries(dir)).map((e) => e.name), names(dir));
});
