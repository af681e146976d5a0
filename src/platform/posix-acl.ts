// Linux POSIX ACLs the way borg 1.2 archives them (items' acl_access / acl_default, spec §5.4).
//
// The kernel exposes ACLs as the xattrs system.posix_acl_access / system.posix_acl_default in a small
// binary format; borg stores libacl's acl_to_text() output, post-processed. We read and write the
// xattrs directly and reproduce that text byte for byte, including its quirks:
// - borg strips libacl's "#effective:" comments with the regex / *#.*/, which leaves the TAB libacl
//   puts before them: "user:4321:rw-\t:4321" (seen in archives made by borg 1.2.4);
// - named user/group entries get the numeric id as a 4th field; with --numeric-ids the name is
//   replaced by the id too ("user:1000:rwx:1000");
// - a directory whose access ACL is extended but which has no default ACL gets acl_default = b''.
import { lstatSync, constants } from 'node:fs';
import { lgetxattrOrNull, lsetxattr, type PathArg, type SystemError } from './native.js';
import { gid2group, group2gid, uid2user, user2uid } from './users.js';

export const ACL_ACCESS_XATTR = 'system.posix_acl_access';
export const ACL_DEFAULT_XATTR = 'system.posix_acl_default';

/** Entry tags, as in the kernel's xattr format (and in this order in a valid ACL). */
export const ACL_USER_OBJ = 0x01;
export const ACL_USER = 0x02;
export const ACL_GROUP_OBJ = 0x04;
export const ACL_GROUP = 0x08;
export const ACL_MASK = 0x10;
export const ACL_OTHER = 0x20;

const ACL_EA_VERSION = 2;
/** The id of entries without a qualifier (owner, owning group, mask, other). */
export const ACL_UNDEFINED_ID = 0xffffffff;
const HEADER_SIZE = 4;
const ENTRY_SIZE = 8;
const MINIMAL_SIZE = HEADER_SIZE + 3 * ENTRY_SIZE;

export interface AclEntry {
  tag: number;
  /** rwx bits: read 4, write 2, execute 1. */
  perm: number;
  /** uid/gid for ACL_USER/ACL_GROUP, ACL_UNDEFINED_ID otherwise. */
  id: number;
}

/** What borg stores: both absent when the file has no extended ACL. */
export interface PosixAcls {
  access?: Buffer;
  default?: Buffer;
}

export interface AclOptions {
  /** borg's --numeric-ids: store ids instead of names / restore the stored ids, ignoring names. */
  numericIds?: boolean;
  /** st_mode if already known (saves an lstat); symlinks have no ACLs. */
  mode?: number;
}

export function decodeAclXattr(data: Uint8Array): AclEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < HEADER_SIZE || (buf.length - HEADER_SIZE) % ENTRY_SIZE !== 0 || buf.readUInt32LE(0) !== ACL_EA_VERSION) {
    throw new Error(`malformed POSIX ACL xattr (${buf.length} bytes)`);
  }
  const entries: AclEntry[] = [];
  for (let off = HEADER_SIZE; off < buf.length; off += ENTRY_SIZE) {
    entries.push({ tag: buf.readUInt16LE(off), perm: buf.readUInt16LE(off + 2), id: buf.readUInt32LE(off + 4) });
  }
  return entries;
}

function compareEntries(a: AclEntry, b: AclEntry): number {
  return a.tag - b.tag || a.id - b.id;
}

/** Encodes entries in the order the kernel requires (by tag, then by id), as libacl does. */
export function encodeAclXattr(entries: readonly AclEntry[]): Buffer {
  const sorted = [...entries].sort(compareEntries);
  const buf = Buffer.alloc(HEADER_SIZE + sorted.length * ENTRY_SIZE);
  buf.writeUInt32LE(ACL_EA_VERSION, 0);
  sorted.forEach((e, i) => {
    const off = HEADER_SIZE + i * ENTRY_SIZE;
    buf.writeUInt16LE(e.tag, off);
    buf.writeUInt16LE(e.perm, off + 2);
    buf.writeUInt32LE(e.tag === ACL_USER || e.tag === ACL_GROUP ? e.id : ACL_UNDEFINED_ID, off + 4);
  });
  return buf;
}

/** The ACL equivalent to the permission bits, what libacl reports when there is no access xattr. */
export function aclFromMode(mode: number): AclEntry[] {
  return [
    { tag: ACL_USER_OBJ, perm: (mode >> 6) & 7, id: ACL_UNDEFINED_ID },
    { tag: ACL_GROUP_OBJ, perm: (mode >> 3) & 7, id: ACL_UNDEFINED_ID },
    { tag: ACL_OTHER, perm: mode & 7, id: ACL_UNDEFINED_ID },
  ];
}

function permText(perm: number): string {
  return (perm & 4 ? 'r' : '-') + (perm & 2 ? 'w' : '-') + (perm & 1 ? 'x' : '-');
}

// libacl escapes these characters in names as \ooo (and a backslash as \\).
const QUOTED = ':, \t\n\r';

function quoteName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch === '\\') out += '\\\\';
    else if (QUOTED.includes(ch)) out += '\\' + ch.charCodeAt(0).toString(8).padStart(3, '0');
    else out += ch;
  }
  return out;
}

function unquoteName(text: string): string {
  return text.replace(/\\([0-7]{3}|\\)/g, (_, esc: string) => (esc === '\\' ? '\\' : String.fromCharCode(parseInt(esc, 8))));
}

const TAG_NAMES: Record<number, string> = {
  [ACL_USER_OBJ]: 'user',
  [ACL_USER]: 'user',
  [ACL_GROUP_OBJ]: 'group',
  [ACL_GROUP]: 'group',
  [ACL_MASK]: 'mask',
  [ACL_OTHER]: 'other',
};

/** libacl's acl_to_text(): one entry per line, "#effective:" where the mask removes permissions. */
export function aclToText(entries: readonly AclEntry[]): string {
  const mask = entries.find((e) => e.tag === ACL_MASK);
  let text = '';
  for (const e of entries) {
    const tagName = TAG_NAMES[e.tag];
    if (tagName === undefined) continue; // libacl prints nothing for unknown tags
    let qualifier = '';
    if (e.tag === ACL_USER || e.tag === ACL_GROUP) {
      const name = e.tag === ACL_USER ? uid2user(e.id) : gid2group(e.id);
      qualifier = name === null ? String(e.id) : quoteName(name);
    }
    text += `${tagName}:${qualifier}:${permText(e.perm)}`;
    const masked = e.tag === ACL_USER || e.tag === ACL_GROUP_OBJ || e.tag === ACL_GROUP;
    if (mask !== undefined && masked && (e.perm & mask.perm) !== e.perm) {
      text += `\t#effective:${permText(e.perm & mask.perm)}`;
    }
    text += '\n';
  }
  return text;
}

/** borg's acl_append_numeric_ids / acl_numeric_ids applied to acl_to_text() output. */
export function borgAclText(entries: readonly AclEntry[], numericIds = false): string {
  const lines: string[] = [];
  for (const entry of aclToText(entries).replace(/ *#.*/g, '').split('\n')) {
    if (!entry) continue;
    const fields = entry.split(':');
    // Only a name containing '#' could break the 3 fields; borg would fail there, we keep the line.
    if (fields.length !== 3) {
      lines.push(entry);
      continue;
    }
    const [type, name, perm] = fields as [string, string, string];
    if (name && (type === 'user' || type === 'group')) {
      const id = String((type === 'user' ? user2uid(name) : group2gid(name)) ?? name);
      lines.push([type, numericIds ? id : name, perm, id].join(':'));
    } else {
      lines.push(entry);
    }
  }
  return lines.join('\n');
}

/** Thrown for ACL text that libacl's acl_from_text() would reject (borg then skips the ACL). */
export class AclTextError extends Error {}

// libacl resolves a qualifier as a number first, then as a name.
function resolveId(qualifier: string, isUser: boolean, line: string): number {
  if (/^[0-9]+$/.test(qualifier)) {
    const id = Number(qualifier);
    if (id <= 0xffffffff) return id;
  }
  const name = unquoteName(qualifier);
  const id = isUser ? user2uid(name) : group2gid(name);
  if (id === null) throw new AclTextError(`unknown ${isUser ? 'user' : 'group'} in ACL entry ${JSON.stringify(line)}`);
  return id;
}

function parsePerm(text: string, line: string): number {
  let perm = 0;
  // libacl accepts the letters in any order, '-' anywhere, and trailing white space (the TAB left
  // over from "#effective:" comments).
  for (const ch of text.replace(/\s+$/, '')) {
    if (ch === 'r') perm |= 4;
    else if (ch === 'w') perm |= 2;
    else if (ch === 'x') perm |= 1;
    else if (ch !== '-') throw new AclTextError(`bad permissions in ACL entry ${JSON.stringify(line)}`);
  }
  return perm;
}

const TAGS: Record<string, [number, number]> = {
  user: [ACL_USER_OBJ, ACL_USER],
  u: [ACL_USER_OBJ, ACL_USER],
  group: [ACL_GROUP_OBJ, ACL_GROUP],
  g: [ACL_GROUP_OBJ, ACL_GROUP],
  mask: [ACL_MASK, -1],
  m: [ACL_MASK, -1],
  other: [ACL_OTHER, -1],
  o: [ACL_OTHER, -1],
};

// The restore-side converters: posix_acl_use_stored_uid_gid (--numeric-ids) and
// acl_use_local_uid_gid (name -> local id, falling back to the stored id for unknown names).
function toLocalIds(line: string, numericIds: boolean): string {
  const fields = line.split(':');
  if (numericIds) return fields.length === 4 ? [fields[0], fields[3], fields[2]].join(':') : line;
  const [type, name] = fields;
  if (name && (type === 'user' || type === 'group') && fields[3] !== undefined) {
    fields[1] = String((type === 'user' ? user2uid(name) : group2gid(name)) ?? fields[3]);
  }
  return fields.slice(0, 3).join(':');
}

/** Parses borg's ACL text into entries with local ids, as borg's acl_set does via acl_from_text. */
export function aclFromBorgText(text: string, numericIds = false): AclEntry[] {
  const entries: AclEntry[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const line = toLocalIds(raw, numericIds);
    const fields = line.split(':');
    const tags = fields.length === 3 ? TAGS[fields[0]!] : undefined;
    if (tags === undefined) throw new AclTextError(`bad ACL entry ${JSON.stringify(raw)}`);
    const [, qualifier, perm] = fields as [string, string, string];
    if (qualifier === '') {
      entries.push({ tag: tags[0], perm: parsePerm(perm, raw), id: ACL_UNDEFINED_ID });
    } else if (tags[1] !== -1) {
      entries.push({ tag: tags[1], perm: parsePerm(perm, raw), id: resolveId(qualifier, tags[1] === ACL_USER, raw) });
    } else {
      throw new AclTextError(`bad ACL entry ${JSON.stringify(raw)}`);
    }
  }
  return entries.sort(compareEntries);
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).syscall === 'string';
}

// Like libacl's acl_extended_file(), which borg calls first: any failure means "no ACL"
// (usually ENODATA: none set, or ENOTSUP: the file system has no ACLs; both without an exception).
function readXattr(path: PathArg, name: string): Buffer | null {
  try {
    return lgetxattrOrNull(path, name);
  } catch (e) {
    if (isSystemError(e)) return null;
    throw e;
  }
}

function isType(mode: number, type: number): boolean {
  return (mode & constants.S_IFMT) === type;
}

/** borg's acl_get: the item's acl_access / acl_default, or {} when the ACL is not extended. */
export function readAcl(path: PathArg, options: AclOptions = {}): PosixAcls {
  const mode = options.mode ?? lstatSync(path).mode;
  if (isType(mode, constants.S_IFLNK)) return {};
  const isDir = isType(mode, constants.S_IFDIR);
  const access = readXattr(path, ACL_ACCESS_XATTR);
  // Only directories can carry a default ACL; don't spend a system call per file on it.
  const dflt = isDir ? readXattr(path, ACL_DEFAULT_XATTR) : null;
  const extended = (access !== null && access.length > MINIMAL_SIZE) || (dflt !== null && dflt.length >= MINIMAL_SIZE);
  if (!extended) return {};
  const numericIds = options.numericIds ?? false;
  const result: PosixAcls = {
    access: Buffer.from(borgAclText(access !== null ? decodeAclXattr(access) : aclFromMode(mode), numericIds)),
  };
  if (isDir) result.default = Buffer.from(dflt !== null ? borgAclText(decodeAclXattr(dflt), numericIds) : '');
  return result;
}

function textOf(value: Uint8Array | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
}

/**
 * borg's acl_set: restores acl_access / acl_default (empty values are skipped; symlinks, given
 * `options.mode`, too). Throws AclTextError for text libacl would reject and system errors such as
 * ENOTSUP or EINVAL from the kernel; borg ignores both silently, so callers decide whether to warn.
 */
export function writeAcl(
  path: PathArg,
  acls: { access?: Uint8Array | string | null; default?: Uint8Array | string | null },
  options: AclOptions = {},
): void {
  if (options.mode !== undefined && isType(options.mode, constants.S_IFLNK)) return;
  const numericIds = options.numericIds ?? false;
  const access = textOf(acls.access);
  const dflt = textOf(acls.default);
  const accessEntries = access ? aclFromBorgText(access, numericIds) : null;
  const defaultEntries = dflt ? aclFromBorgText(dflt, numericIds) : null;
  if (accessEntries !== null) lsetxattr(path, ACL_ACCESS_XATTR, encodeAclXattr(accessEntries));
  if (defaultEntries !== null) lsetxattr(path, ACL_DEFAULT_XATTR, encodeAclXattr(defaultEntries));
}
