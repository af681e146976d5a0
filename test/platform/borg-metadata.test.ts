// What our platform readers return for a file equals what borg 1.2.4 stores in its item:
// xattrs, bsdflags, user/group names, ns times, rdev (ACLs: posix-acl.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsetxattr, lutimesNs, mkfifo, mknod } from '../../src/platform/native.js';
import { readBsdFlags } from '../../src/platform/bsd-flags.js';
import { gid2group, uid2user } from '../../src/platform/users.js';
import { readXattrs } from '../../src/platform/xattrs.js';
import { borgArchive, borgSkip, type BorgItem } from './borg-items.js';

const isRoot = process.getuid?.() === 0;
let work = '';
let src = '';
let paths: string[] = [];
before(() => {
  work = mkdtempSync(join(tmpdir(), 'borg-ts-meta-'));
  src = join(work, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'xattrs'), 'x');
  lsetxattr(join(src, 'xattrs'), 'user.bin', Buffer.from([0, 1, 0xff]));
  lsetxattr(join(src, 'xattrs'), 'user.empty', Buffer.alloc(0));
  writeFileSync(join(src, 'nodump'), 'x');
  spawnSync('chattr', ['+d', join(src, 'nodump')]);
  mkdirSync(join(src, 'dir'));
  lutimesNs(join(src, 'dir'), 1n, 1_600_000_000_123_456_789n);
  symlinkSync('xattrs', join(src, 'link'));
  if (isRoot) lsetxattr(join(src, 'link'), 'trusted.link', Buffer.from('on the link'));
  mkfifo(join(src, 'fifo'), 0o644);
  paths = ['xattrs', 'nodump', 'dir', 'link', 'fifo', '.'];
  if (isRoot) {
    mknod(join(src, 'chr'), constants.S_IFCHR | 0o600, (1 << 8) | 3);
    paths.push('chr');
  }
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function xattrsOf(item: BorgItem): [string, string | null][] {
  const map = (item.xattrs as Map<string, Buffer | null> | undefined) ?? new Map<string, Buffer | null>();
  return [...map].map(([n, v]): [string, string | null] => [n, v === null ? null : v.toString('hex')]).sort();
}

test('platform readers agree with the items borg 1.2.4 writes', { skip: borgSkip }, () => {
  const { items } = borgArchive(work, src);
  for (const path of paths) {
    const full = join(src, path);
    const item = items.get(path);
    assert.ok(item, path);
    const st = lstatSync(full, { bigint: true });
    const mode = Number(st.mode);
    const ours = readXattrs(full).map(([n, v]): [string, string | null] => [n.toString('latin1'), v === null ? null : v.toString('hex')]);
    assert.deepEqual(ours.sort(), xattrsOf(item), `${path}: xattrs`);
    const flags = readBsdFlags(full, mode);
    assert.equal(flags === 0 ? undefined : flags, item.bsdflags, `${path}: bsdflags`);
    assert.equal(uid2user(Number(st.uid)), (item.user as Buffer | null)?.toString() ?? null, `${path}: user`);
    assert.equal(gid2group(Number(st.gid)), (item.group as Buffer | null)?.toString() ?? null, `${path}: group`);
    assert.equal(BigInt(item.mtime as bigint), st.mtimeNs, `${path}: mtime`);
    assert.equal(BigInt(item.ctime as bigint), st.ctimeNs, `${path}: ctime`);
    assert.equal(item.mode, mode, `${path}: mode`);
    if (path === 'chr') assert.equal(BigInt(item.rdev as number), st.rdev, `${path}: rdev`);
  }
  assert.equal(items.get('nodump')!.bsdflags ?? 'chattr refused', 1, 'the bsdflags case is covered');
});
