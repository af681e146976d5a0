// Inode flags (chattr) and their mapping to borg's bsdflags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, lstatSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getArchivedFlags, getFlags, inodeFlagBits, setFlags, type SystemError } from '../../src/platform/native.js';
import {
  UF_APPEND,
  UF_COMPRESSED,
  UF_IMMUTABLE,
  UF_NODUMP,
  bsdToLinuxFlags,
  linuxToBsdFlags,
  readBsdFlags,
  writeBsdFlags,
} from '../../src/platform/bsd-flags.js';

let dir = '';
let file = '';
let skip: string | false = false;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'borg-ts-flags-'));
  file = join(dir, 'f');
  writeFileSync(file, 'x');
  // chattr is the independent witness; without it, or on a file system refusing flags, skip.
  const r = spawnSync('chattr', ['+d', file], { encoding: 'utf8' });
  if (r.error || r.status !== 0) skip = `chattr +d refused here: ${r.error?.message ?? r.stderr.trim()}`;
});
after(() => {
  if (!dir) return;
  spawnSync('chattr', ['-R', '-i', '-a', dir]);
  rmSync(dir, { recursive: true, force: true });
});

function lsattr(path: string): string {
  return execFileSync('lsattr', ['-d', path], { encoding: 'utf8' }).split(' ')[0]!;
}

test('BSD flag mapping matches borg (NODUMP 1, IMMUTABLE 2, APPEND 4, COMPRESSED 0x20)', () => {
  const fl = inodeFlagBits();
  assert.deepEqual(fl, { nodump: 0x40, immutable: 0x10, append: 0x20, compressed: 0x4 });
  assert.equal(linuxToBsdFlags(0x40 | 0x10 | 0x20 | 0x4 | 0x80000), UF_NODUMP | UF_IMMUTABLE | UF_APPEND | UF_COMPRESSED);
  assert.equal(bsdToLinuxFlags(UF_NODUMP | UF_APPEND), 0x40 | 0x20);
  assert.equal(linuxToBsdFlags(0x80 /* NOATIME: not mapped */), 0);
});

test('getFlags sees what chattr set, by path and by fd', (t) => {
  if (skip) return t.skip(skip);
  const fl = inodeFlagBits();
  assert.ok(getFlags(file) & fl.nodump);
  const fd = openSync(file, 'r');
  try {
    assert.equal(getFlags(fd), getFlags(file));
  } finally {
    closeSync(fd);
  }
  assert.equal(readBsdFlags(file, lstatSync(file).mode), UF_NODUMP);
});

test('writeBsdFlags changes only the mapped bits and keeps the others', (t) => {
  if (skip) return t.skip(skip);
  execFileSync('chattr', ['+A', file]); // noatime: not one of borg's flags, must survive
  const others = lsattr(file).replace(/[da]/g, '-');
  writeBsdFlags(file, UF_NODUMP | UF_APPEND);
  assert.match(lsattr(file), /a/);
  assert.match(lsattr(file), /d/);
  assert.equal(lsattr(file).replace(/[da]/g, '-'), others);
  assert.equal(readBsdFlags(file, lstatSync(file).mode), UF_NODUMP | UF_APPEND);
  writeBsdFlags(file, 0);
  assert.equal(lsattr(file), others);
  assert.match(others, /A/);
});

test('setFlags writes the exact value', (t) => {
  if (skip) return t.skip(skip);
  const fl = inodeFlagBits();
  const current = getFlags(file);
  setFlags(file, current | fl.nodump);
  assert.equal(getFlags(file), (current | fl.nodump) >>> 0);
  setFlags(file, current & ~fl.nodump);
  assert.equal(getFlags(file) & fl.nodump, 0);
});

test('symlinks and devices are skipped like borg does; errors say why', () => {
  const link = join(dir, 'link');
  symlinkSync('f', link);
  assert.equal(readBsdFlags(link, lstatSync(link).mode), 0);
  writeBsdFlags(link, UF_NODUMP, lstatSync(link).mode); // no-op, and never touches the target
  assert.throws(() => getFlags(link), (e: SystemError) => e.code === 'ELOOP' && e.syscall === 'open');
  assert.equal(readBsdFlags(join(dir, 'missing'), constants.S_IFREG), 0);
  assert.throws(() => getFlags(join(dir, 'missing')), { code: 'ENOENT' });
  assert.equal(readBsdFlags(join(dir, 'missing'), constants.S_IFCHR), 0);
});

test('immutable needs the capability and is restored as well', (t) => {
  if (skip) return t.skip(skip);
  const f = join(dir, 'imm');
  writeFileSync(f, 'x');
  try {
    writeBsdFlags(f, UF_IMMUTABLE);
  } catch (e) {
    if ((e as SystemError).code === 'EPERM') return t.skip('no CAP_LINUX_IMMUTABLE');
    throw e;
  }
  try {
    assert.equal(readBsdFlags(f, lstatSync(f).mode), UF_IMMUTABLE);
    assert.throws(() => writeFileSync(f, 'y'), { code: 'EPERM' });
  } finally {
    writeBsdFlags(f, 0);
  }
});

test('getArchivedFlags (statx where the file system tells) gives the archived bits of getFlags', { skip }, () => {
  const fl = inodeFlagBits();
  const archived = fl.nodump | fl.immutable | fl.append | fl.compressed;
  const sub = join(dir, 'statx-dir');
  execFileSync('mkdir', [sub]);
  const plain = join(dir, 'statx-plain');
  writeFileSync(plain, 'y');
  const appendOnly = join(dir, 'statx-append');
  writeFileSync(appendOnly, 'z');
  execFileSync('chattr', ['+d', sub]);
  execFileSync('chattr', ['+a', '+d', appendOnly]);
  for (const path of [file, sub, plain, appendOnly]) {
    assert.equal(getArchivedFlags(path), getFlags(path) & archived, path);
  }
  assert.equal(getArchivedFlags(appendOnly), fl.append | fl.nodump);
  assert.equal(readBsdFlags(appendOnly, lstatSync(appendOnly).mode), UF_APPEND | UF_NODUMP);
  assert.equal(readBsdFlags(sub, lstatSync(sub).mode), UF_NODUMP);
  execFileSync('chattr', ['-a', appendOnly]);
});
