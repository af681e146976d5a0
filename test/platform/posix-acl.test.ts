// POSIX ACLs: the xattr codec, borg's text form, and equality with what real borg archives/extracts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkfifo } from '../../src/platform/native.js';
import {
  ACL_GROUP,
  ACL_GROUP_OBJ,
  ACL_MASK,
  ACL_OTHER,
  ACL_UNDEFINED_ID,
  ACL_USER,
  ACL_USER_OBJ,
  AclTextError,
  aclFromBorgText,
  aclToText,
  borgAclText,
  decodeAclXattr,
  encodeAclXattr,
  readAcl,
  writeAcl,
  type AclEntry,
} from '../../src/platform/posix-acl.js';
import { borgArchive, borgExtract, borgSkip, type BorgItem } from './borg-items.js';

const U = ACL_UNDEFINED_ID;
const setfaclSkip = (() => {
  try {
    execFileSync('setfacl', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'setfacl missing (Debian package acl, see scripts/install-test-deps.sh)';
  }
})();

let work = '';
let src = '';
// path -> setfacl arguments; the cases cover named users/groups (known and unknown ids), masks that
// hide permissions (libacl's "#effective:" comments), default ACLs and a fifo.
const TREE: [path: string, kind: 'file' | 'dir' | 'fifo', mode: number, setfacl: string[][]][] = [
  ['plain', 'file', 0o644, []],
  ['named', 'file', 0o644, [['-m', 'u:daemon:rwx,g:adm:r-x']]],
  ['masked', 'file', 0o644, [['-m', 'u:4321:rw-,m::r--']]],
  ['group-masked', 'file', 0o770, [['-m', 'g:adm:rwx,m::r--']]],
  ['fifo', 'fifo', 0o600, [['-m', 'u:daemon:r--']]],
  ['d-default', 'dir', 0o755, [['-d', '-m', 'u:bin:rwx']]],
  ['d-both', 'dir', 0o755, [['-m', 'u:nobody:r-x'], ['-d', '-m', 'g:4444:rwx']]],
  ['d-access', 'dir', 0o755, [['-m', 'u:daemon:rwx,m::r-x']]],
  ['d-mask-default', 'dir', 0o755, [['-d', '-m', 'g::rwx,m::--x']]],
  ['d-plain', 'dir', 0o750, []],
];

function makeNode(path: string, kind: 'file' | 'dir' | 'fifo', mode: number): void {
  if (kind === 'dir') mkdirSync(path);
  else if (kind === 'fifo') mkfifo(path, 0o600);
  else writeFileSync(path, 'x');
  chmodSync(path, mode);
}

function getfacl(path: string): string {
  return execFileSync('getfacl', ['-n', '-c', '-p', path], { encoding: 'utf8' });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'borg-ts-acl-'));
  src = join(work, 'src');
  mkdirSync(src);
  if (setfaclSkip) return;
  for (const [path, kind, mode, commands] of TREE) {
    makeNode(join(src, path), kind, mode);
    for (const args of commands) execFileSync('setfacl', [...args, join(src, path)]);
  }
  symlinkSync('named', join(src, 'link'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('xattr codec: version 2 header, little-endian entries, kernel order', () => {
  const entries: AclEntry[] = [
    { tag: ACL_OTHER, perm: 4, id: U },
    { tag: ACL_USER, perm: 7, id: 1000 },
    { tag: ACL_USER_OBJ, perm: 6, id: U },
    { tag: ACL_USER, perm: 5, id: 2 },
    { tag: ACL_GROUP_OBJ, perm: 4, id: U },
    { tag: ACL_MASK, perm: 7, id: U },
  ];
  const xattr = encodeAclXattr(entries);
  assert.equal(xattr.toString('hex').slice(0, 24), '02000000' + '0100' + '0600' + 'ffffffff');
  assert.deepEqual(
    decodeAclXattr(xattr).map((e) => [e.tag, e.id]),
    [[ACL_USER_OBJ, U], [ACL_USER, 2], [ACL_USER, 1000], [ACL_GROUP_OBJ, U], [ACL_MASK, U], [ACL_OTHER, U]],
  );
  assert.throws(() => decodeAclXattr(Buffer.from('01000000', 'hex')), /malformed/);
  assert.throws(() => decodeAclXattr(xattr.subarray(0, 10)), /malformed/);
});

test('acl_to_text form with #effective comments, and borg\'s post-processing', () => {
  const entries = aclFromBorgText('user::rwx\nuser:4321:rw-\ngroup::rwx\ngroup:0:-wx\nmask::r--\nother::---');
  assert.equal(
    aclToText(entries),
    'user::rwx\nuser:4321:rw-\t#effective:r--\ngroup::rwx\t#effective:r--\ngroup:root:-wx\t#effective:---\nmask::r--\nother::---\n',
  );
  // borg strips / *#.*/ and so keeps the TAB; named entries get the id as 4th field.
  assert.equal(
    borgAclText(entries),
    'user::rwx\nuser:4321:rw-\t:4321\ngroup::rwx\t\ngroup:root:-wx\t:0\nmask::r--\nother::---',
  );
  assert.equal(borgAclText(entries, true), 'user::rwx\nuser:4321:rw-\t:4321\ngroup::rwx\t\ngroup:0:-wx\t:0\nmask::r--\nother::---');
});

test('restore text: local ids by name, stored ids for unknown names or with --numeric-ids', () => {
  const text = 'user::rw-\nuser:root:rwx\t:4242\nuser:no-such-user-borg-ts:r--:4243\ngroup::r--\nmask::rwx\nother::r--';
  const ids = (numeric: boolean) => aclFromBorgText(text, numeric).filter((e) => e.tag === ACL_USER).map((e) => [e.id, e.perm]);
  assert.deepEqual(ids(false), [[0, 7], [4243, 4]]);
  assert.deepEqual(ids(true), [[4242, 7], [4243, 4]]);
  // Entries without the 4th field (very old archives) resolve the name, numbers first.
  assert.deepEqual(aclFromBorgText('user:root:r-x\ngroup:77:rw-'), [
    { tag: ACL_USER, perm: 5, id: 0 },
    { tag: ACL_GROUP, perm: 6, id: 77 },
  ]);
  assert.throws(() => aclFromBorgText('user:no-such-user-borg-ts:rwx'), AclTextError);
  assert.throws(() => aclFromBorgText('user::rwz'), AclTextError);
  assert.throws(() => aclFromBorgText('bogus::rwx'), AclTextError);
  assert.throws(() => aclFromBorgText('mask:root:rwx'), AclTextError);
});

// Both sides as text (latin1 keeps every byte) so that a failure shows a readable diff.
function asText(access: unknown, dflt: unknown): { access?: string; default?: string } {
  return { access: (access as Buffer | undefined)?.toString('latin1'), default: (dflt as Buffer | undefined)?.toString('latin1') };
}

for (const numericIds of [false, true]) {
  const flag = numericIds ? ' with --numeric-ids' : '';

  test(`readAcl gives the same acl_access / acl_default as borg 1.2.4${flag}`, { skip: setfaclSkip || borgSkip }, () => {
    const { items } = borgArchive(work, src, numericIds ? ['--numeric-ids'] : []);
    for (const path of [...TREE.map(([p]) => p), 'link', '.']) {
      const ours = readAcl(join(src, path), { numericIds });
      const item: BorgItem = items.get(path)!;
      assert.deepEqual(asText(ours.access, ours.default), asText(item.acl_access, item.acl_default), path);
    }
    // The quirks are really there, so the comparison above covers them.
    assert.equal(String(items.get('masked')!.acl_access), 'user::rw-\nuser:4321:rw-\t:4321\ngroup::r--\nmask::r--\nother::r--');
    assert.deepEqual(items.get('d-access')!.acl_default, Buffer.alloc(0));
  });

  test(`writeAcl restores borg's ACL text like borg extract does${flag}`, { skip: setfaclSkip || borgSkip }, () => {
    const archive = borgArchive(work, src, numericIds ? ['--numeric-ids'] : []);
    const extracted = borgExtract(work, archive, numericIds ? ['--numeric-ids'] : []);
    const ours = join(work, `ours${numericIds ? '-numeric' : ''}`);
    mkdirSync(ours);
    for (const [path, kind] of TREE) {
      const item = archive.items.get(path)!;
      const mode = item.mode as number;
      makeNode(join(ours, path), kind, mode & 0o7777); // borg: chown, chmod, then ACLs
      writeAcl(join(ours, path), { access: item.acl_access as Buffer, default: item.acl_default as Buffer }, { numericIds, mode });
      const expected = getfacl(join(extracted, path));
      assert.equal(getfacl(join(ours, path)), expected, path);
      assert.equal(expected, getfacl(join(src, path)), `${path}: borg restores the original`);
    }
  });
}

test('readAcl then writeAcl copies an ACL to another file', { skip: setfaclSkip }, () => {
  for (const [path, kind, mode] of TREE) {
    const copy = join(work, `copy-${path}`);
    makeNode(copy, kind, mode);
    const acl = readAcl(join(src, path));
    writeAcl(copy, acl, { mode: lstatSync(copy).mode });
    assert.deepEqual(readAcl(copy), acl, path);
    assert.equal(getfacl(copy).replace(/^# file: .*\n/, ''), getfacl(join(src, path)).replace(/^# file: .*\n/, ''), path);
  }
});

test('symlinks have no ACL and writeAcl leaves them alone', () => {
  const link = join(work, 'acl-link');
  symlinkSync('nowhere', link);
  assert.deepEqual(readAcl(link), {});
  writeAcl(link, { access: 'user::rwx\ngroup::rwx\nother::rwx' }, { mode: lstatSync(link).mode });
});
