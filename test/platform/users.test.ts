// User and group database lookups (native) and their caches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getgrgid, getgrnam, getpwnam, getpwuid } from '../../src/platform/native.js';
import { clearUserGroupCache, gid2group, group2gid, uid2user, user2uid } from '../../src/platform/users.js';

const UNUSED_ID = 3_999_999_999;

test('root is uid 0 and gid 0, both ways', () => {
  assert.equal(getpwuid(0), 'root');
  assert.equal(getgrgid(0), 'root');
  assert.equal(getpwnam('root'), 0);
  assert.equal(getgrnam(Buffer.from('root')), 0);
  assert.equal(uid2user(0), 'root');
  assert.equal(gid2group(0), 'root');
  assert.equal(user2uid('root'), 0);
  assert.equal(group2gid('root'), 0);
});

test('unknown ids and names give null', () => {
  assert.equal(getpwuid(UNUSED_ID), null);
  assert.equal(getgrgid(UNUSED_ID), null);
  assert.equal(getpwnam('no-such-user-borg-ts'), null);
  assert.equal(getgrnam('no-such-group-borg-ts'), null);
  assert.equal(uid2user(UNUSED_ID), null);
  assert.equal(user2uid(''), null);
  assert.equal(group2gid('a\0b'), null, 'a name the database cannot hold');
});

test('every entry of /etc/passwd and /etc/group resolves both ways', () => {
  for (const [file, byId, byName] of [
    ['/etc/passwd', uid2user, user2uid],
    ['/etc/group', gid2group, group2gid],
  ] as const) {
    const seen = new Set<string>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (!name || id === undefined || seen.has(name) || seen.has(`#${id}`)) continue;
      // With duplicates, the database answers with the first entry.
      seen.add(name).add(`#${id}`);
      assert.equal(byName(name), Number(id), `${file}: ${name}`);
      assert.equal(byId(Number(id)), name, `${file}: ${id}`);
    }
  }
});

test('lookups are cached until cleared', () => {
  clearUserGroupCache();
  assert.equal(uid2user(0), 'root');
  assert.equal(uid2user(0), 'root');
  assert.equal(user2uid('no-such-user-borg-ts'), null);
  clearUserGroupCache();
  assert.equal(user2uid('root'), 0);
});
