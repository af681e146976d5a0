// The recursive walk of `create` (borg's _rec_walk): patterns decide per path (an excluded
// directory is still entered when a later pattern could include something below it), tagged
// directories (--exclude-caches, --exclude-if-present) and NODUMP objects are left out, other file
// systems are not entered with --one-file-system, and the cache and repository directories are
// skipped. A directory's item comes before its contents, which are visited in inode order (faster
// on spinning disks, and the order borg's archives have); its status line comes after them.
// Directory listings (names, lstat, flags and whether there are xattrs) come from native scans
// run ahead of the walk on the thread pool (dir-prefetch.ts), so storing an unchanged file costs
// no system call here.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { UF_NODUMP } from '../../platform/bsd-flags.js';
import type { ScannedEntry, StatInfo } from '../../platform/dir-scan.js';
import { decodeFsBytes, fsPath } from '../../format/surrogate-escape.js';
import { normpath } from '../../remote/location.js';
import { PatternMatcher } from '../patterns/index.js';
import { BackupError, backupIo, backupOSError, isBackupProblem } from './backup-errors.js';
import type { FilterOptions } from './create-options.js';
import { DirPrefetch } from './dir-prefetch.js';
import { problemWarning } from './file-processor.js';
import type { ObjectHandler } from './fs-objects.js';
import { bsdFlagsOf } from './metadata.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const CACHE_TAG_NAME = 'CACHEDIR.TAG';
const CACHE_TAG_CONTENTS = Buffer.from('Signature: 8a477f597d28d172789f06886806bc55');

function isDir(st: StatInfo): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFDIR;
}

function inodeKey(st: StatInfo): string {
  return `${st.dev}:${st.ino}`;
}

/** Python's os.path.join for two parts (the second one relative). */
function join(path: string, name: string): string {
  return path.endsWith('/') ? path + name : `${path}/${name}`;
}

/** `path` for file system calls: made absolute with `cwd` (the library never relies on process.cwd()). */
export function fsPathIn(cwd: string, path: string): string | Buffer {
  return fsPath(path.startsWith('/') ? path : join(cwd, path));
}

/**
 * normpath(join(dir, name)) for a normalised `dir` and a name read from the directory (never '',
 * '.', '..' and without '/'): only a leading "./" can go. Saves a normpath per file.
 */
function childPath(dir: string, name: string): string {
  return dir === '.' ? name : join(dir, name);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

interface DirEntry {
  name: string;
  st: StatInfo | null;
}

/**
 * A directory's entries sorted by inode number; entries that cannot be stat'ed go last, by name.
 * Hard links in one directory share an inode: they keep the file system's order, as in borg.
 */
function inorder(scanned: readonly ScannedEntry[]): DirEntry[] {
  const entries = scanned.map((e): DirEntry => ({ name: decodeFsBytes(e.name), st: e.st }));
  return entries.sort((a, b) => {
    if (a.st !== null && b.st !== null) return a.st.ino < b.st.ino ? -1 : a.st.ino > b.st.ino ? 1 : 0;
    if (a.st !== null) return -1;
    if (b.st !== null) return 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** borg's dir_is_cachedir: a CACHEDIR.TAG file starting with the signature. */
function isCacheDir(absPath: string): boolean {
  const tag = fsPath(join(absPath, CACHE_TAG_NAME));
  try {
    if (!existsSync(tag)) return false;
    const fd = openSync(tag, constants.O_RDONLY);
    try {
      const head = Buffer.alloc(CACHE_TAG_CONTENTS.length);
      const n = readSync(fd, head, 0, head.length, 0);
      return n === head.length && head.equals(CACHE_TAG_CONTENTS);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

export class Walker {
  readonly #matcher = new PatternMatcher(true);
  /** Objects never stored (cache dir, repository), and roots already walked. */
  readonly #skip = new Set<string>();
  /** Their inode numbers: a cheap first test, run for every entry. */
  readonly #skipInos = new Set<bigint>();

  readonly #prefetch: DirPrefetch;

  /**
   * Relative paths are relative to `cwd`. `readsXattrs`: whether items get xattrs or ACLs (the
   * directory scans then note which entries have none).
   */
  constructor(private readonly handler: ObjectHandler, private readonly options: FilterOptions, private readonly cwd: string, readsXattrs = true) {
    this.#matcher.addInclExcl(options.patterns);
    this.#prefetch = new DirPrefetch(true, readsXattrs);
  }

  #abs(path: string): string {
    return path.startsWith('/') ? path : join(this.cwd, path);
  }

  /** Never stores `path` (nor anything below it); ignored if it does not exist. */
  skip(path: string): void {
    try {
      this.#skipObject(statSync(fsPath(this.#abs(path)), { bigint: true }));
    } catch {
      // nothing there, nothing to skip
    }
  }

  #skipObject(st: StatInfo): void {
    this.#skip.add(inodeKey(st));
    this.#skipInos.add(st.ino);
  }

  #skipped(st: StatInfo): boolean {
    return this.#skipInos.has(st.ino) && this.#skip.has(inodeKey(st));
  }

  /** Walks one root (a PATH argument). */
  async walkRoot(root: string): Promise<void> {
    const path = normpath(root);
    const name = basename(path) || path;
    let st: StatInfo;
    try {
      st = lstatSync(fsPath(this.#abs(path)), { bigint: true });
    } catch (e) {
      this.handler.warning(problemWarning(path, backupOSError('', e, name)));
      return;
    }
    await this.#walk(path, name, st, this.options.oneFileSystem ? st.dev : null);
    // Walked once is enough, even if the root is given again.
    this.#skipObject(st);
  }

  async #walk(path: string, name: string, known: StatInfo | null, restrictDev: bigint | null): Promise<void> {
    const handler = this.handler;
    if (!(await handler.ready())) return;
    const abs = this.#abs(path);
    const fs = fsPath(abs);
    let status: string | null = null;
    let recurseExcludedDir = false;
    try {
      let st: StatInfo;
      if (this.#matcher.match(path)) {
        st = known ?? backupIo('stat', name, () => lstatSync(fs, { bigint: true }));
      } else {
        handler.line('x', path);
        // Excluded: only a directory that later patterns may reach into is entered (not stored).
        if (!this.#matcher.recurseDir) return;
        recurseExcludedDir = true;
        st = known ?? backupIo('stat', name, () => lstatSync(fs, { bigint: true }));
        if (!isDir(st)) return;
      }
      if (this.#skipped(st)) return;
      // A mount point of another file system is stored, but not entered.
      const recurse = restrictDev === null || st.dev === restrictDev;
      if (this.options.excludeNodump) {
        const flags = backupIo('flags', undefined, () => bsdFlagsOf(fs, st));
        if (flags & UF_NODUMP) {
          handler.line('x', path);
          return;
        }
      }
      if (!isDir(st)) {
        status = await handler.processAny(path, fs, name, st);
      } else {
        this.#checkDir(fs, name, st);
        if (recurse) {
          const tags = this.#tags(abs);
          if (tags.length > 0) {
            if (!recurseExcludedDir) {
              if (this.options.keepExcludeTags) {
                handler.processDir(path, fs, st);
                for (const tag of tags) await this.#walk(join(path, tag), tag, null, restrictDev);
              }
              handler.line('x', path);
            }
            return;
          }
        }
        if (!recurseExcludedDir) status = handler.processDir(path, fs, st);
        if (recurse) {
          const entries = await this.#scandir(abs);
          const dir = normpath(path); // a tag directory's path is not normalised (as in borg)
          // Scans of the subdirectories start now; the walk takes them in this order.
          const subdirs: string[] = [];
          for (const entry of entries) {
            const st = entry.st;
            if (st !== null && isDir(st) && (restrictDev === null || st.dev === restrictDev) && !this.#skipped(st)) {
              subdirs.push(this.#abs(childPath(dir, entry.name)));
            }
          }
          this.#prefetch.ahead(subdirs);
          try {
            for (const entry of entries) await this.#walk(childPath(dir, entry.name), entry.name, entry.st, restrictDev);
          } finally {
            this.#prefetch.forget(subdirs);
          }
        }
      }
    } catch (e) {
      if (!isBackupProblem(e)) throw e;
      handler.warning(problemWarning(path, e));
      status = 'E';
    }
    if (!recurseExcludedDir && status !== null) handler.line(status, path);
  }

  /** The directory's entries in inode order (borg's scandir_inorder). */
  async #scandir(abs: string): Promise<DirEntry[]> {
    try {
      return inorder(await this.#prefetch.entries(abs));
    } catch (e) {
      throw backupOSError('scandir', e);
    }
  }

  /** Opens the directory as borg does, so that an unreadable one fails here, before it is stored. */
  #checkDir(fs: string | Buffer, name: string, st: StatInfo): void {
    backupIo('dir_open', name, () => {
      const fd = openSync(fs, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        const now = fstatSync(fd, { bigint: true });
        if (now.ino !== st.ino || !isDir(now)) throw new BackupError('file inode changed (race condition), skipping file');
      } finally {
        closeSync(fd);
      }
    });
  }

  /** Names of the tags that exclude directory `absPath` (borg's dir_is_tagged). */
  #tags(absPath: string): string[] {
    const tags: string[] = [];
    if (this.options.excludeCaches && isCacheDir(absPath)) tags.push(CACHE_TAG_NAME);
    for (const tag of this.options.excludeIfPresent) if (existsSync(fsPath(join(absPath, tag)))) tags.push(tag);
    return tags;
  }
}
