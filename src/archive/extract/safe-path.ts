// Keeping a hostile archive inside the extraction target. borg 1.2.4 only refuses paths that
// start with "/" or "../" and then follows whatever it finds on the way (a symlink item "a"
// followed by an item "a/x" writes through the link). Here:
//
// - an item path with a ".." component, a leading "/" or a NUL byte is refused;
// - every directory above an item must be a real directory (lstat, never followed); a symlink or
//   other file there makes the item fail, and missing ones are created (borg's makedirs);
// - the item's own name is cleared first (unlink, or rmdir if empty, like borg), so the final
//   component is never an old symlink, and new files are opened with O_EXCL | O_NOFOLLOW.
//
// Directories already checked are remembered (relative path strings). The set stays true because
// this extraction is the only thing that removes entries from the target: removing a path drops
// it from the set, and a directory can only be removed when it is empty, i.e. after everything
// below it was removed the same way. Other processes changing the target concurrently are out of
// scope (borg does not guard against them either).
import { lstatSync, mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';

import { fsPath } from '../../format/surrogate-escape.js';
import { ItemWarning, isSystemError } from './errors.js';

/**
 * The path below the target that an archive path is extracted to: "." and empty components are
 * dropped ("" is the target itself). Throws ItemWarning for paths that could leave the target.
 */
export function extractionPath(path: string): string {
  if (path.includes('\0')) throw new ItemWarning('Path contains a NUL byte');
  if (path.startsWith('/')) throw new ItemWarning('Path should be relative and local, refusing an absolute path');
  // Most paths have no empty, "." or ".." component: nothing to drop or refuse.
  if (!path.includes('//') && !path.includes('./') && !path.endsWith('/') && !path.endsWith('/.') && !path.endsWith('/..') && path !== '.' && path !== '..') {
    return path;
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new ItemWarning('Path should be relative and local, refusing a ".." component');
  return parts.join('/');
}

/** The parent of a relative path ('' for top-level names and for the target itself). */
function parentOf(relative: string): string {
  const slash = relative.lastIndexOf('/');
  return slash < 0 ? '' : relative.slice(0, slash);
}

export class ExtractTarget {
  readonly root: string;
  /** Relative paths known to be real directories; '' is the target itself. */
  readonly #dirs = new Set<string>(['']);

  /** `root` is created (with its parents) if it does not exist. */
  constructor(root: string) {
    this.root = resolve(root);
    mkdirSync(this.root, { recursive: true, mode: 0o777 });
  }

  /** The path for fs calls (Buffer when the name is not valid UTF-8). */
  absolute(relative: string): string | Buffer {
    return fsPath(relative === '' ? this.root : `${this.root}/${relative}`);
  }

  /**
   * Makes sure every directory above `relative` is a real directory, creating missing ones with
   * mode 0777 (less the umask, as borg's makedirs) when `create` is set. Throws ItemWarning when
   * a symlink or another non-directory is in the way, system errors as they come.
   */
  ensureParents(relative: string, create: boolean): void {
    const parent = parentOf(relative);
    if (this.#dirs.has(parent)) return;
    const parts = parent.split('/');
    let prefix = '';
    for (const part of parts) {
      prefix = prefix === '' ? part : `${prefix}/${part}`;
      if (this.#dirs.has(prefix)) continue;
      this.#checkDirectory(prefix, create);
      this.#dirs.add(prefix);
    }
  }

  #checkDirectory(relative: string, create: boolean): void {
    const path = this.absolute(relative);
    let isDir: boolean;
    let isLink = false;
    try {
      const st = lstatSync(path);
      isDir = st.isDirectory();
      isLink = st.isSymbolicLink();
    } catch (error) {
      if (!create || !isSystemError(error) || error.code !== 'ENOENT') throw error;
      mkdirSync(path, 0o777);
      return;
    }
    if (!isDir) {
      throw new ItemWarning(`Refusing to extract below '${relative}': it is ${isLink ? 'a symbolic link' : 'not a directory'}`);
    }
  }

  /**
   * Removes what is at `relative` before an item takes its place, like borg: a directory only
   * if it is empty, anything else unlinked; failures are left for the creation to report.
   */
  clear(relative: string): void {
    if (relative === '') return;
    const path = this.absolute(relative);
    try {
      // Mostly nothing is there: no exception (with its stack trace) for that.
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st === undefined) return;
      if (st.isDirectory()) rmdirSync(path);
      else unlinkSync(path);
      this.#dirs.delete(relative);
    } catch (error) {
      if (!isSystemError(error)) throw error;
    }
  }

  /** Records a directory this extraction made or found at `relative`. */
  addDirectory(relative: string): void {
    this.#dirs.add(relative);
  }

  /** Whether `relative` was seen as a real directory (after clear(), only if it stayed). */
  hasDirectory(relative: string): boolean {
    return this.#dirs.has(relative);
  }
}
