// borg's xattr semantics (get_all / set_all) over the native calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsetxattr } from '../../src/platform/native.js';
import { writeAcl } from '../../src/platform/posix-acl.js';
import { readXattrs, writeXattrs } from '../../src/platform/xattrs.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'borg-ts-xattrs-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const asText = (list: [Buffer, Buffer | null][]) => list.map(([n, v]) => [n.toString(), v?.toString('hex') ?? null]).sort();

test('readXattrs: empty value as null, ACL xattrs left out, same by path and by fd', () => {
  const f = join(dir, 'f');
  writeFileSync(f, 'x');
  lsetxattr(f, 'user.bin', Buffer.from([0, 0xff]));
  lsetxattr(f, 'user.empty', Buffer.alloc(0));
  writeAcl(f, { access: 'user::rw-\nuser:0:r--:0\ngroup::r--\nmask::r--\nother::r--' });
  const expected = [
    ['user.bin', '00ff'],
    ['user.empty', null],
  ];
  assert.deepEqual(asText(readXattrs(f)), expected);
  const fd = openSync(f, 'r');
  try {
    assert.deepEqual(asText(readXattrs(fd)), expected);
  } finally {
    closeSync(fd);
  }
});

test('readXattrs: no xattr support means none; a missing file throws', () => {
  assert.deepEqual(readXattrs('/proc/self/comm'), []);
  assert.throws(() => readXattrs(join(dir, 'missing')), { code: 'ENOENT' });
});

test('writeXattrs sets values, null as empty, and reports refused names', () => {
  const f = join(dir, 'w');
  writeFileSync(f, 'x');
  const warned: string[] = [];
  const failed = writeXattrs(f, [
    [Buffer.from('user.a'), Buffer.from('1')],
    ['user.none', null],
  ]);
  assert.equal(failed, false);
  assert.deepEqual(asText(readXattrs(f)), [
    ['user.a', '31'],
    ['user.none', null],
  ]);
  const link = join(dir, 'link');
  symlinkSync('w', link);
  // user.* xattrs are not allowed on symlinks: a warning, not an exception, as in borg.
  assert.equal(writeXattrs(link, [['user.x', Buffer.from('v')]], (n, e) => warned.push(`${n}: ${(e as { code?: string }).code}`)), true);
  assert.deepEqual(warned, ['user.x: EPERM']);
});
