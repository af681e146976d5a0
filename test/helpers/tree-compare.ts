// Test helper: a snapshot of everything a backup tool must bring back for each entry of a file
// tree (type, mode, owner, size, rdev, ns times, hard link structure, symlink target, content
// hash, xattrs, POSIX ACLs as getfacl prints them, inode flags, allocated blocks), and a compare
// that lists every difference. Used to check extract against real borg, and create/mount too;
// buildSampleTree() makes a tree with every kind of entry for such comparisons.
//
// Snapshots are taken in two passes: first lstat of every entry (a directory before its listing),
// then contents, so reading a file (or another link of it) cannot change a recorded atime.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, chownSync, closeSync, constants, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync,
  symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { resolve } from 'node:path';

import { decodeFsBytes } from '../../src/format/surrogate-escape.js';
import { getFlags, inodeFlagBits, lgetxattr, llistxattr, lsetxattr, lutimesNs, mkfifo, mknod, setFlags } from '../../src/platform/native.js';

export type EntryType = 'dir' | 'file' | 'symlink' | 'fifo' | 'chr' | 'blk' | 'socket';

export interface EntrySnapshot {
  /** Relative to the snapshot root ('' is the root); undecodable bytes as lone surrogates. */
  path: string;
  type: EntryType;
  /** Full st_mode, type bits included. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  rdev: number;
  nlink: number;
  mtimeNs: bigint;
  atimeNs: bigint;
  /** 512-byte blocks allocated (shows holes of sparse files). */
  blocks: number;
  /** For non-directories with several links: the smallest path of the inode within the tree. */
  linkGroup?: string;
  /** Symlink target bytes as hex. */
  target?: string;
  /** Regular files: sha256 of the content. */
  sha256?: string;
  /** name -> hex value, without the system.posix_acl_* attributes (see `acl`). */
  xattrs: Record<string, string>;
  /** getfacl's entries (numeric ids) for entries with an extended ACL, else undefined. */
  acl?: string;
  /** Linux inode flags (lsattr bits) of regular files and directories, when asked for. */
  flags?: number;
}

export interface SnapshotOptions {
  /** Include the root directory itself as path ''. Default false. */
  root?: boolean;
  /** Read ACLs with getfacl. Default true. */
  acls?: boolean;
  /** Read inode flags. Default false. */
  flags?: boolean;
}

export type TreeSnapshot = Map<string, EntrySnapshot>;

const S_IFMT = 0o170000;
const TYPES: Record<number, EntryType> = {
  0o040000: 'dir', 0o100000: 'file', 0o120000: 'symlink', 0o010000: 'fifo', 0o020000: 'chr', 0o060000: 'blk', 0o140000: 'socket',
};

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}

interface Walked {
  abs: Buffer;
  entry: EntrySnapshot;
  inode: string;
}

function lstatEntry(abs: Buffer, path: string): Walked {
  const st = lstatSync(abs, { bigint: true });
  const type = TYPES[Number(st.mode) & S_IFMT];
  if (type === undefined) throw new Error(`unknown file type of ${abs.toString()}`);
  return {
    abs, inode: `${st.dev}:${st.ino}`,
    entry: {
      path, type, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: type === 'dir' ? 0 : Number(st.size),
      rdev: Number(st.rdev), nlink: type === 'dir' ? 0 : Number(st.nlink), mtimeNs: st.mtimeNs, atimeNs: st.atimeNs,
      blocks: type === 'dir' ? 0 : Number(st.blocks), xattrs: {},
    },
  };
}

function walk(root: Buffer, includeRoot: boolean): Walked[] {
  const out: Walked[] = [];
  const visit = (abs: Buffer, rel: Buffer | null) => {
    const walked = lstatEntry(abs, rel === null ? '' : decodeFsBytes(rel));
    if (rel !== null || includeRoot) out.push(walked);
    if (walked.entry.type !== 'dir') return;
    const names = readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) visit(join(abs, name), rel === null ? name : join(rel, name));
  };
  visit(root, null);
  return out;
}

function sha256(abs: Buffer): string {
  // O_NOATIME (owner or root only): hashing must not change what a later snapshot sees.
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOATIME);
  } catch {
    fd = openSync(abs, constants.O_RDONLY);
  }
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function xattrsOf(abs: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let names: Buffer[];
  try {
    names = llistxattr(abs);
  } catch {
    return result;
  }
  for (const name of names.sort(Buffer.compare)) {
    const text = name.toString('latin1');
    if (text.startsWith('system.posix_acl_')) continue;
    result[text] = lgetxattr(abs, name).toString('hex');
  }
  return result;
}

/** getfacl's octal escapes (\ooo, \\) back to bytes. */
function unescapeGetfacl(text: string): Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString('latin1'))) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else if (raw[i] === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(raw[i]!);
    }
  }
  return Buffer.from(bytes);
}

/** ACL entries (getfacl -R -s -P -n) of every entry with an extended ACL, by absolute path bytes (hex). */
function aclsOf(root: string): Map<string, string> {
  const output = execFileSync('getfacl', ['-R', '-s', '-P', '-n', '-p', '--', root], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const result = new Map<string, string>();
  for (const block of output.split('\n\n')) {
    const lines = block.split('\n').filter((line) => line !== '');
    const fileLine = lines.find((line) => line.startsWith('# file: '));
    if (fileLine === undefined) continue;
    const abs = unescapeGetfacl(fileLine.slice('# file: '.length));
    result.set(abs.toString('hex'), lines.filter((line) => !line.startsWith('#')).join('\n'));
  }
  return result;
}

/** Snapshots the tree below `root` (a directory). */
export function snapshotTree(rootPath: string, options: SnapshotOptions = {}): TreeSnapshot {
  const root = resolve(rootPath);
  const rootBytes = Buffer.from(root);
  const walked = walk(rootBytes, options.root ?? false);
  const acls = options.acls === false ? new Map<string, string>() : aclsOf(root);
  const groups = new Map<string, string>();
  for (const { entry, inode } of walked) {
    if (entry.type === 'dir' || entry.nlink < 2) continue;
    const first = groups.get(inode);
    if (first === undefined || entry.path < first) groups.set(inode, entry.path);
  }
  const snapshot: TreeSnapshot = new Map();
  for (const { abs, entry, inode } of walked) {
    if (entry.type !== 'dir' && entry.nlink > 1) entry.linkGroup = groups.get(inode)!;
    if (entry.type === 'symlink') entry.target = readlinkSync(abs, { encoding: 'buffer' }).toString('hex');
    if (entry.type === 'file') entry.sha256 = sha256(abs);
    entry.xattrs = xattrsOf(abs);
    const acl = acls.get(abs.toString('hex'));
    if (acl !== undefined) entry.acl = acl;
    if (options.flags && (entry.type === 'file' || entry.type === 'dir')) entry.flags = getFlags(abs);
    snapshot.set(entry.path, entry);
  }
  return snapshot;
}

export interface CompareOptions {
  /** Fields not to compare (e.g. 'atimeNs' when one side cannot have restored it). */
  ignore?: readonly (keyof EntrySnapshot)[];
  /** Paths to leave out on both sides. */
  skip?: (path: string) => boolean;
  /** Compare only these inode flag bits (e.g. the ones borg maps to BSD flags). */
  flagMask?: number;
}

const FIELDS: readonly (keyof EntrySnapshot)[] = [
  'type', 'mode', 'uid', 'gid', 'size', 'rdev', 'nlink', 'mtimeNs', 'atimeNs', 'blocks', 'linkGroup', 'target', 'sha256', 'xattrs', 'acl', 'flags',
];

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return `${value} (0o${value.toString(8)})`;
  return JSON.stringify(value);
}

/** Every difference between two snapshots, one line each; empty when they agree. */
export function compareTrees(expected: TreeSnapshot, actual: TreeSnapshot, options: CompareOptions = {}): string[] {
  const ignore = new Set(options.ignore ?? []);
  const skip = options.skip ?? (() => false);
  const problems: string[] = [];
  for (const [path, want] of expected) {
    if (skip(path)) continue;
    const got = actual.get(path);
    if (got === undefined) {
      problems.push(`${JSON.stringify(path)}: missing`);
      continue;
    }
    for (const field of FIELDS) {
      if (ignore.has(field)) continue;
      const value = (entry: EntrySnapshot) => (field === 'flags' && options.flagMask !== undefined && entry.flags !== undefined ? entry.flags & options.flagMask : entry[field]);
      const a = JSON.stringify(value(want), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      const b = JSON.stringify(value(got), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      if (a !== b) problems.push(`${JSON.stringify(path)}: ${field} expected ${show(value(want))}, got ${show(value(got))}`);
    }
  }
  for (const path of actual.keys()) {
    if (!skip(path) && !expected.has(path)) problems.push(`${JSON.stringify(path)}: unexpected`);
  }
  return problems;
}

/** Snapshots both trees and returns their differences (see compareTrees). */
export function diffTrees(expectedRoot: string, actualRoot: string, options: SnapshotOptions & CompareOptions = {}): string[] {
  return compareTrees(snapshotTree(expectedRoot, options), snapshotTree(actualRoot, options), options);
}

// --- a tree with every kind of entry borg archives ------------------------------------------------

export interface SampleTreeOptions {
  /** Add a file of 9 MiB + a bit (several chunks with borg's default chunker). Default true. */
  big?: boolean;
  /** Add what needs root: devices, foreign owners, suid files, the nodump flag. Default: when root. */
  privileged?: boolean;
}

/** Deterministic bytes: sha256(tag || counter) blocks, like the spec's test vectors. */
export function pseudoRandom(tag: string, length: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(length / 32) * 32);
  for (let i = 0, offset = 0; offset < length; i++, offset += 32) {
    createHash('sha256').update(`${tag}:${i}`).digest().copy(out, offset);
  }
  return out.subarray(0, length);
}

const NS = 1_000_000_000n;

/**
 * Builds below `root` (created) regular files (empty, unicode and non-UTF-8 names, a big one),
 * directories with odd modes, symlinks (relative, dangling, to a directory, absolute, non-UTF-8
 * target), a 3-link hard link group, a fifo, xattrs (text, binary, empty), POSIX ACLs (access and
 * default, known and unknown ids), and as root devices, foreign and unknown owners, suid/sgid
 * files and the nodump flag. Every entry gets distinct ns mtimes and atimes. Returns the paths
 * of the hard link group, relative to `root`.
 */
export function buildSampleTree(root: string, options: SampleTreeOptions = {}): { hardlinks: string[] } {
  const privileged = options.privileged ?? process.getuid?.() === 0;
  const p = (...parts: (string | Buffer)[]) => Buffer.concat([Buffer.from(root), ...parts.map((x) => Buffer.concat([Buffer.from('/'), Buffer.from(x)]))]);
  mkdirSync(root, { recursive: true });
  const times: [Buffer, bigint][] = [];
  let tick = 0n;
  const file = (path: Buffer, data: string | Buffer, mode = 0o644) => {
    writeFileSync(path, data, { mode });
    chmodSync(path, mode);
    times.push([path, 1_600_000_000n * NS + (tick += 1_234_567_891n)]);
  };
  const dir = (path: Buffer, mode: number) => {
    mkdirSync(path);
    times.push([path, 1_500_000_000n * NS + (tick += 987_654_321n)]);
    return mode;
  };
  const dirModes: [Buffer, number][] = [];

  file(p('small.txt'), 'Hello, borg-ts!\n');
  file(p('empty'), '', 0o600);
  file(p('ünïcødé-Ω.txt'), 'unicode name\n');
  file(p(Buffer.from('latin1-\xe9\xff.bin', 'latin1')), pseudoRandom('latin1', 3000));
  dirModes.push([p(Buffer.from('dir-\xfe', 'latin1')), dir(p(Buffer.from('dir-\xfe', 'latin1')), 0o755)]);
  file(p(Buffer.from('dir-\xfe', 'latin1'), 'inner.txt'), 'inside a non-UTF-8 directory\n');
  if (options.big ?? true) file(p('big.bin'), pseudoRandom('big', 9 * 1024 * 1024 + 4321));
  file(p('medium.bin'), Buffer.concat([pseudoRandom('medium', 100_000), Buffer.alloc(70_000), pseudoRandom('medium2', 5)]));
  for (const [name, mode] of [['dir-odd', 0o705], ['dir-ro', 0o500], ['dir-sticky', 0o1777], ['dir-sgid', 0o2750]] as const) {
    dirModes.push([p(name), dir(p(name), mode)]);
    if (name !== 'dir-sticky') file(p(name, 'file'), `in ${name}\n`, 0o640);
  }
  dirModes.push([p('links'), dir(p('links'), 0o755)]);
  const links: [string, string | Buffer][] = [
    ['rel', '../small.txt'], ['dangling', 'does/not/exist'], ['to-dir', '../dir-odd'], ['abs', '/etc/passwd'],
    ['nonutf8', Buffer.from('target-\xff', 'latin1')],
  ];
  for (const [name, target] of links) {
    symlinkSync(target, p('links', name));
    times.push([p('links', name), 1_400_000_000n * NS + (tick += 111_111_111n)]);
  }
  dirModes.push([p('sub'), dir(p('sub'), 0o751)]);
  file(p('hl-1'), 'hard linked content\n', 0o640);
  linkSync(p('hl-1'), p('hl-2'));
  linkSync(p('hl-1'), p('sub', 'hl-3'));
  mkfifo(p('fifo'), 0o640);
  chmodSync(p('fifo'), 0o640);
  times.push([p('fifo'), 1_300_000_000n * NS + 5n]);

  file(p('xattrs.txt'), 'with extended attributes\n');
  lsetxattr(p('xattrs.txt'), 'user.text', Buffer.from('hello'));
  lsetxattr(p('xattrs.txt'), 'user.binary', Buffer.from([0, 0xff, 0x10, 0x80]));
  lsetxattr(p('xattrs.txt'), 'user.empty', Buffer.alloc(0));
  lsetxattr(p('sub'), 'user.on-dir', Buffer.from('dir value'));

  file(p('acl-file'), 'with an access ACL\n', 0o640);
  execFileSync('setfacl', ['-m', 'u:1234:rwx,g:2345:r-x,u:daemon:r--', p('acl-file').toString()]);
  dirModes.push([p('dir-acl'), dir(p('dir-acl'), 0o750)]);
  execFileSync('setfacl', ['-d', '-m', 'u:1234:r-x,g:daemon:rwx', p('dir-acl').toString()]);
  file(p('dir-acl', 'inherits'), 'gets the default ACL\n', 0o640);

  if (privileged) {
    mknod(p('dev-null'), 0o020000 | 0o666, (1 << 8) | 3);
    mknod(p('dev-blk'), 0o060000 | 0o660, (7 << 8) | 200);
    for (const name of ['dev-null', 'dev-blk']) times.push([p(name), 1_200_000_000n * NS + 7n]);
    const owned = (name: string, uid: number, gid: number, mode: number) => {
      file(p(name), `owned by ${uid}:${gid}\n`, mode);
      chownSync(p(name), uid, gid);
      chmodSync(p(name), mode); // after chown, which clears suid/sgid
    };
    owned('suid', 1000, 1000, 0o4755);
    owned('sgid', 0, 1000, 0o2755);
    owned('owned-unknown', 4321, 8765, 0o644);
    owned('owned-nobody', 65534, 65534, 0o600);
    owned('owned-daemon', 1, 1, 0o640);
    file(p('nodump'), 'not for dump\n');
    setFlags(p('nodump'), getFlags(p('nodump')) | inodeFlagBits().nodump);
  }

  for (const [path, mtime] of times) lutimesNs(path, mtime - 3n * NS - 17n, mtime);
  // Directories last, deepest first: their mode may forbid writing, their times must stay.
  for (const [path, mode] of dirModes.reverse()) chmodSync(path, mode);
  for (const [path, mtime] of times.filter(([path]) => lstatSync(path).isDirectory()).reverse()) lutimesNs(path, mtime + 19n, mtime);
  lutimesNs(Buffer.from(root), 1_100_000_000n * NS + 42n, 1_100_000_000n * NS + 4242n);
  return { hardlinks: ['hl-1', 'hl-2', 'sub/hl-3'] };
}

/** A file of `size` bytes with data at the given [offset, length] ranges and holes elsewhere. */
export function writeSparseFile(path: string, size: number, data: readonly [offset: number, length: number][]): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    for (const [offset, length] of data) writeSync(fd, pseudoRandom(`sparse${offset}`, length), 0, length, offset);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}
