// Cached user and group lookups (borg's uid2user, user2uid, gid2group, group2gid). A backup asks
// for the same few ids millions of times, and NSS lookups can be slow (LDAP, sssd).
import { getgrgid, getgrnam, getpwnam, getpwuid } from './native.js';

const userNames = new Map<number, string | null>();
const groupNames = new Map<number, string | null>();
const userIds = new Map<string, number | null>();
const groupIds = new Map<string, number | null>();

// Like Python's pwd/grp modules, which borg uses, any failure of the database counts as "unknown".
function cached<K, V>(cache: Map<K, V | null>, key: K, lookup: (key: K) => V | null): V | null {
  let value = cache.get(key);
  if (value === undefined) {
    try {
      value = lookup(key);
    } catch {
      value = null;
    }
    cache.set(key, value);
  }
  return value;
}

/** Name of user `uid`, or null if unknown. */
export function uid2user(uid: number): string | null {
  return cached(userNames, uid, getpwuid);
}

/** Name of group `gid`, or null if unknown. */
export function gid2group(gid: number): string | null {
  return cached(groupNames, gid, getgrgid);
}

/** Id of user `name`, or null if unknown (also for the empty name, as in borg). */
export function user2uid(name: string): number | null {
  return name === '' ? null : cached(userIds, name, getpwnam);
}

/** Id of group `name`, or null if unknown. */
export function group2gid(name: string): number | null {
  return name === '' ? null : cached(groupIds, name, getgrnam);
}

/** Forgets all lookups, for long-running processes that must see changes to the databases. */
export function clearUserGroupCache(): void {
  userNames.clear();
  groupNames.clear();
  userIds.clear();
  groupIds.clear();
}
