// The recursive walk of `create` (borg's _rec_walk): patterns decide per path (an excluded
// directory is still entered when a later pattern could include something below it), tagged
// directories (--exclude-caches, --exclude-if-present) and NODUMP objects are left out, other file
// systems are not entered with --one-file-system, and the cache and repository directories are
// skipped. A directory's item comes before its contents, which are visited in inode order (faster
// on spinning disks, and the order borg's archives have); its status line comes after them.
import { closeSync, constants, existsSync, fstatSync, lstatSync, opendirSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { readBsdFlags, UF_NODUMP } from '../../platform/bsd-flags.js';
import { decodeFsBytes, fsPath } from '../../format/surrogate-escape.js';
import { normpath } from '../../remote/location.js';
import { PatternMatcher } from '../patterns/index.js';
import { BackupError, backupIo, backupOSError, isBackupProblem } from './backup-errors.js';
import type { FilterOptions } from './create-options.js';
import { problemWarning } from './file-processor.js';
import type { ObjectHandler } from './fs-objects.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const CACHE_TAG_NAME = 'CACHEDIR.TAG';
const CACHE_TAG_CONTENTS = Buffer.from('Signature: 8a477f597d28d172789f06886806bc55');

function isDir(st: BigIntStats): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFDIR;
}

function inodeKey(st: BigIntStats): string {
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
  st: BigIntStats | null;
}

/** The names in a directory, in the order the file system lists them (readdirSync sorts them). */
function readdirRaw(path: string | Buffer): Buffer[] {
  // node:fs types omit it, but opendir takes the 'buffer' encoding like readdir (exact name bytes).
  const dir = opendirSync(path, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
  const names: Buffer[] = [];
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(entry.name as unknown as Buffer);
  } finally {
    dir.closeSync();
  }
  return names;
}

/**
 * A directory's entries sorted by inode number; entries that cannot be stat'ed go last, by name.
 * Hard links in one directory share an inode: they keep the file system's order, as in borg.
 */
export function scandirInorder(absPath: string): DirEntry[] {
  const names = readdirRaw(fsPath(absPath));
  const entries = names.map((raw): DirEntry => {
    const name = decodeFsBytes(raw);
    try {
      return { name, st: lstatSync(fsPath(join(absPath, name)), { bigint: true }) };
    } catch {
      return { name, st: null };
    }
  });
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

  /** Relative paths are relative to `cwd`. */
  constructor(private readonly handler: ObjectHandler, private readonly options: FilterOptions, private readonly cwd: string) {
    this.#matcher.addInclExcl(options.patterns);
  }

  #abs(path: string): string {
    return path.startsWith('/') ? path : join(this.cwd, path);
  }

  /** Never stores `path` (nor anything below it); ignored if it does not exist. */
  skip(path: string): void {
    try {
      this.#skip.add(inodeKey(statSync(fsPath(this.#abs(path)), { bigint: true })));
    } catch {
      // nothing there, nothing to skip
    }
  }

  /** Walks one root (a PATH argument). */
  async walkRoot(root: string): Promise<void> {
    const path = normpath(root);
    const name = basename(path) || path;
    let st: BigIntStats;
    try {
      st = lstatSync(fsPath(this.#abs(path)), { bigint: true });
    } catch (e) {
      this.handler.warning(problemWarning(path, backupOSError('', e, name)));
      return;
    }
    await this.#walk(path, name, st, this.options.oneFileSystem ? st.dev : null);
    // Walked once is enough, even if the root is given again.
    this.#skip.add(inodeKey(st));
  }

  async #walk(path: string, name: string, known: BigIntStats | null, restrictDev: bigint | null): Promise<void> {
    const handler = this.handler;
    if (!(await handler.ready())) return;
    const abs = this.#abs(path);
    const fs = fsPath(abs);
    let status: string | null = null;
    let recurseExcludedDir = false;
    try {
      let st: BigIntStats;
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
      if (this.#skip.has(inodeKey(st))) return;
      // A mount point of another file system is stored, but not entered.
      const recurse = restrictDev === null || st.dev === restrictDev;
      if (this.options.excludeNodump) {
        const flags = backupIo('flags', undefined, () => readBsdFlags(fs, Number(st.mode)));
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
          const entries = backupIo('scandir', undefined, () => scandirInorder(abs));
          const dir = normpath(path); // a tag directory's path is not normalised (as in borg)
          for (const entry of entries) await this.#walk(childPath(dir, entry.name), entry.name, entry.st, restrictDev);
        }
      }
    } catch (e) {
      if (!isBackupProblem(e)) throw e;
      handler.warning(problemWarning(path, e));
      status = 'E';
    }
    if (!recurseExcludedDir && status !== null) handler.line(status, path);
  }

  /** Opens the directory as borg does, so that an unreadable one fails here, before it is stored. */
  #checkDir(fs: string | Buffer, name: string, st: BigIntStats): void {
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
