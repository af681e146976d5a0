// The native addon's system calls against the real file system (ext4 under tmpdir(), tmpfs at /dev/shm).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fgetxattr,
  flistxattr,
  fsetxattr,
  futimesNs,
  lgetxattr,
  lgetxattrOrNull,
  llistxattr,
  lremovexattr,
  lsetxattr,
  lutimesNs,
  mkfifo,
  mknod,
  posixFadvise,
  seekData,
  seekHole,
  type SystemError,
} from '../../src/platform/native.js';

const isRoot = process.getuid?.() === 0;
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'borg-ts-native-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectSystemError(fn: () => unknown, code: string, syscall: string): SystemError {
  try {
    fn();
  } catch (e) {
    const err = e as SystemError;
    assert.equal(err.code, code, String(e));
    assert.equal(err.syscall, syscall);
    assert.ok(err.errno < 0, 'errno is negative like in node:fs');
    assert.match(err.message, new RegExp(`^${code}: .+, ${syscall}`));
    return err;
  }
  assert.fail(`expected ${code}`);
}

// glibc's makedev(): how Linux and node's stat encode device numbers.
function makedev(major: number, minor: number): bigint {
  const M = BigInt(major);
  const m = BigInt(minor);
  return (m & 0xffn) | ((M & 0xfffn) << 8n) | ((m & ~0xffn) << 12n) | ((M & ~0xfffn) << 32n);
}

test('lutimesNs keeps full nanosecond precision on a file', () => {
  const f = join(dir, 'times');
  writeFileSync(f, 'x');
  lutimesNs(f, 1_234_567_890_123_456_789n, 987_654_321_987_654_321n);
  const st = lstatSync(f, { bigint: true });
  assert.equal(st.atimeNs, 1_234_567_890_123_456_789n);
  assert.equal(st.mtimeNs, 987_654_321_987_654_321n);
});

test('lutimesNs handles times before 1970 and null leaves a time unchanged', () => {
  const f = join(dir, 'old');
  writeFileSync(f, 'x');
  lutimesNs(f, 5n, -1_500_000_001n);
  lutimesNs(f, null, -1_500_000_001n);
  const st = lstatSync(f, { bigint: true });
  assert.equal(st.atimeNs, 5n);
  assert.equal(st.mtimeNs, -1_500_000_001n);
});

test('lutimesNs changes a symlink itself, not its target', () => {
  const target = join(dir, 'target');
  const link = join(dir, 'link');
  writeFileSync(target, 'x');
  symlinkSync('target', link);
  const before = statSync(target, { bigint: true }).mtimeNs;
  lutimesNs(link, 1_000_000_001n, 2_000_000_002n);
  const st = lstatSync(link, { bigint: true });
  assert.equal(st.atimeNs, 1_000_000_001n);
  assert.equal(st.mtimeNs, 2_000_000_002n);
  assert.equal(statSync(target, { bigint: true }).mtimeNs, before);
});

test('futimesNs sets times through a file descriptor', () => {
  const f = join(dir, 'fd-times');
  writeFileSync(f, 'x');
  const fd = openSync(f, 'r+');
  try {
    futimesNs(fd, 111_111_111_111n, 222_222_222_222n);
  } finally {
    closeSync(fd);
  }
  const st = lstatSync(f, { bigint: true });
  assert.equal(st.atimeNs, 111_111_111_111n);
  assert.equal(st.mtimeNs, 222_222_222_222n);
});

test('Buffer paths reach file names that are not UTF-8', () => {
  const name = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0xfe])]);
  writeFileSync(name, 'x');
  lutimesNs(name, 42n, 43n);
  assert.equal(lstatSync(name, { bigint: true }).mtimeNs, 43n);
  lsetxattr(name, 'user.k', Buffer.from('v'));
  assert.deepEqual(lgetxattr(name, Buffer.from('user.k')), Buffer.from('v'));
});

test('errors look like node:fs errors', () => {
  const missing = join(dir, 'missing', 'file');
  const err = expectSystemError(() => lutimesNs(missing, 1n, 1n), 'ENOENT', 'utimensat');
  assert.equal(err.errno, -osConstants.errno.ENOENT);
  assert.equal(err.path, missing);
  assert.ok(err.message.endsWith(`'${missing}'`));
  assert.throws(() => lutimesNs(join(dir, 'a\0b'), 1n, 1n), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => lutimesNs(missing, 1 as unknown as bigint, 1n), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('mknod creates character and block devices with their rdev', { skip: !isRoot && 'needs root' }, () => {
  const chr = join(dir, 'null-dev');
  mknod(chr, constants.S_IFCHR | 0o600, Number(makedev(1, 3)));
  let st = lstatSync(chr, { bigint: true });
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, makedev(1, 3));
  assert.equal(Number(st.mode) & 0o7777, 0o600);

  // Minors above 255 use the split encoding (the kernel allows 12-bit majors, 20-bit minors).
  const blk = join(dir, 'big-dev');
  mknod(blk, constants.S_IFBLK | 0o640, makedev(4000, 700000));
  st = lstatSync(blk, { bigint: true });
  assert.ok(st.isBlockDevice());
  assert.equal(st.rdev, makedev(4000, 700000));
  expectSystemError(() => mknod(blk, constants.S_IFBLK | 0o640, 0), 'EEXIST', 'mknod');
});

test('mkfifo creates a named pipe', () => {
  const fifo = join(dir, 'fifo');
  mkfifo(fifo, 0o640);
  const st = lstatSync(fifo);
  assert.ok(st.isFIFO());
  assert.equal(st.mode & 0o777, 0o640 & ~process.umask());
  expectSystemError(() => mkfifo(fifo, 0o640), 'EEXIST', 'mkfifo');
});

test('xattrs: binary values, empty values, list, remove and errors', () => {
  const f = join(dir, 'xattrs');
  writeFileSync(f, 'x');
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  lsetxattr(f, 'user.binary', binary);
  lsetxattr(f, Buffer.from('user.empty'), Buffer.alloc(0));
  assert.deepEqual(lgetxattr(f, 'user.binary'), binary);
  assert.deepEqual(lgetxattr(f, 'user.empty'), Buffer.alloc(0));
  const names = llistxattr(f).map(String).sort();
  assert.deepEqual(names, ['user.binary', 'user.empty']);
  lremovexattr(f, 'user.empty');
  expectSystemError(() => lgetxattr(f, 'user.empty'), 'ENODATA', 'lgetxattr');
  expectSystemError(() => lremovexattr(f, 'user.empty'), 'ENODATA', 'lremovexattr');
  expectSystemError(() => llistxattr(join(dir, 'nope')), 'ENOENT', 'llistxattr');
  expectSystemError(() => lsetxattr('/proc/self/comm', 'user.x', binary), 'ENOTSUP', 'lsetxattr');
  // The probing variant answers null instead of throwing for absent attributes and file systems.
  assert.deepEqual(lgetxattrOrNull(f, 'user.binary'), binary);
  assert.equal(lgetxattrOrNull(f, 'user.empty'), null);
  assert.equal(lgetxattrOrNull('/proc/self/comm', 'user.x'), null);
  expectSystemError(() => lgetxattrOrNull(join(dir, 'nope'), 'user.x'), 'ENOENT', 'lgetxattr');
});

test('xattrs through a file descriptor', () => {
  const f = join(dir, 'fd-xattrs');
  writeFileSync(f, 'x');
  const fd = openSync(f, 'r');
  try {
    fsetxattr(fd, 'user.fd', Buffer.from([0, 1, 2]));
    assert.deepEqual(flistxattr(fd).map(String), ['user.fd']);
    assert.deepEqual(fgetxattr(fd, 'user.fd'), Buffer.from([0, 1, 2]));
    expectSystemError(() => fgetxattr(fd, 'user.none'), 'ENODATA', 'fgetxattr');
  } finally {
    closeSync(fd);
  }
  expectSystemError(() => flistxattr(fd), 'EBADF', 'flistxattr');
});

test('xattrs of a symlink are its own, never its target\'s', () => {
  const target = join(dir, 'xtarget');
  const link = join(dir, 'xlink');
  writeFileSync(target, 'x');
  symlinkSync('xtarget', link);
  lsetxattr(target, 'user.on-target', Buffer.from('t'));
  assert.deepEqual(llistxattr(link).filter((n) => n.toString().startsWith('user.')), []);
  expectSystemError(() => lgetxattr(link, 'user.on-target'), 'ENODATA', 'lgetxattr');
  // The kernel allows no user.* xattrs on symlinks, only trusted.* (root) and security.*.
  expectSystemError(() => lsetxattr(link, 'user.x', Buffer.from('v')), 'EPERM', 'lsetxattr');
  if (isRoot) {
    lsetxattr(link, 'trusted.borgts', Buffer.from([0xff, 0]));
    assert.ok(llistxattr(link).some((n) => n.equals(Buffer.from('trusted.borgts'))));
    assert.deepEqual(lgetxattr(link, 'trusted.borgts'), Buffer.from([0xff, 0]));
    expectSystemError(() => lgetxattr(target, 'trusted.borgts'), 'ENODATA', 'lgetxattr');
  }
});

test('xattr lists and values larger than the first read buffer', (t) => {
  // ext4 keeps all xattrs of a file in one block; tmpfs has room for these sizes.
  let shm: string;
  try {
    shm = mkdtempSync('/dev/shm/borg-ts-native-');
  } catch {
    t.skip('no /dev/shm');
    return;
  }
  try {
    const f = join(shm, 'big');
    writeFileSync(f, 'x');
    const value = Buffer.alloc(20_000, 0xab);
    const names = Array.from({ length: 300 }, (_, i) => `user.name-${String(i).padStart(20, '0')}`);
    try {
      lsetxattr(f, 'user.big', value);
      for (const n of names) lsetxattr(f, n, Buffer.from('v'));
    } catch (e) {
      t.skip(`tmpfs refuses big xattrs here: ${(e as Error).message}`);
      return;
    }
    assert.deepEqual(lgetxattr(f, 'user.big'), value);
    const listed = llistxattr(f).map(String);
    assert.equal(listed.length, names.length + 1);
    assert.deepEqual(listed.filter((n) => n !== 'user.big').sort(), names.sort());
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});

test('seekData / seekHole find the holes of a sparse file', () => {
  const f = join(dir, 'sparse');
  const MiB = 1024 * 1024;
  const fd = openSync(f, 'w+');
  try {
    writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
    writeSync(fd, Buffer.alloc(4096, 2), 0, 4096, 2 * MiB);
    ftruncateSync(fd, 4 * MiB);
    fsyncSync(fd);
    assert.equal(seekData(fd, 0), 0);
    assert.equal(seekHole(fd, 0), 4096);
    assert.equal(seekData(fd, 4096), 2 * MiB);
    assert.equal(seekHole(fd, 2 * MiB), 2 * MiB + 4096);
    assert.equal(seekData(fd, 2 * MiB + 4096), -1, 'only a hole up to the end');
    assert.equal(seekHole(fd, 2 * MiB + 4096), 2 * MiB + 4096);
    assert.equal(seekData(fd, 4 * MiB), -1, 'at the end');
    assert.equal(seekHole(fd, 5 * MiB), -1, 'past the end');
  } finally {
    closeSync(fd);
  }
  expectSystemError(() => seekData(fd, 0), 'EBADF', 'lseek');
});

test('posixFadvise accepts borg\'s DONTNEED and reports a bad descriptor', () => {
  const f = join(dir, 'fadvise');
  writeFileSync(f, Buffer.alloc(65536));
  const fd = openSync(f, 'r');
  try {
    posixFadvise(fd, 0, 0, 'dontneed');
    posixFadvise(fd, 0, 4096, 'sequential');
  } finally {
    closeSync(fd);
  }
  expectSystemError(() => posixFadvise(fd, 0, 0, 'dontneed'), 'EBADF', 'posix_fadvise');
});
