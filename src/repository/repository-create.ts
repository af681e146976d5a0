// Creating the files of a new, empty repository (spec §1.1–§1.3), with borg's refusals: never over
// an existing repository, never over a non-empty directory or a file, never inside another repository.
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { newConfig, saveConfig } from './config.js';
import { AlreadyExists, ParentPathDoesNotExist, PathAlreadyExists } from './errors.js';

export const REPOSITORY_README = 'This is a Borg Backup repository.\nSee https://borgbackup.readthedocs.io/\n';

/** Whether `path` holds a borg repository README (also the text of borg 1.0). */
export function isRepository(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(path, 'README'), 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(100);
    const n = readSync(fd, head, 0, 100, 0);
    const text = head.subarray(0, n).toString('latin1');
    return text.includes('Borg Backup repository') || text.includes('Borg repository');
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

export function checkCanCreateRepository(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st) {
    if (isRepository(path)) throw new AlreadyExists(path);
    if (!st.isDirectory() || readdirSync(path).length > 0) throw new PathAlreadyExists(path);
  }
  // A repository nested inside another one would confuse both (and escape the outer one's quota).
  for (let p = resolve(path), parent = dirname(p); parent !== p; p = parent, parent = dirname(p)) {
    if (isRepository(parent)) throw new AlreadyExists(parent);
  }
}

export interface CreateFilesOptions {
  appendOnly: boolean;
  storageQuota: number;
  makeParentDirs: boolean;
  id?: Uint8Array;
  fileMode: number;
  dirMode: number;
}

export function createRepositoryFiles(path: string, options: CreateFilesOptions): void {
  checkCanCreateRepository(path);
  if (options.makeParentDirs) mkdirSync(dirname(resolve(path)), { recursive: true, mode: options.dirMode });
  try {
    mkdirSync(path, { mode: options.dirMode });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ParentPathDoesNotExist(path);
    if (code !== 'EEXIST') throw e; // an empty directory is fine
  }
  writeFileSync(join(path, 'README'), REPOSITORY_README, { mode: options.fileMode });
  mkdirSync(join(path, 'data'), { mode: options.dirMode });
  const id = options.id ? Buffer.from(options.id) : randomBytes(32);
  if (id.length !== 32) throw new RangeError(`Invalid repository id: expected 32 bytes, got ${id.length}`);
  saveConfig(path, newConfig({ id, appendOnly: options.appendOnly, storageQuota: options.storageQuota }), options.fileMode);
}
