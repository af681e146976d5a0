// The files of a repository's cache directory (spec §7.1) outside the transaction: creating a new
// cache the way borg does, destroying one, breaking its lock, and `pre12-meta` (borg's store of
// statistics it computed for archives made before 1.2, kept so the two tools share it).
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkIndex } from '../format/hashindex.js';
import { saveFile } from '../platform/save-file.js';
import { Lock } from '../repository/lock.js';
import { CacheConfig, cacheLockPath } from './cache-config.js';
import { repositoryCacheDir, type Env } from './paths.js';

export const CACHE_README = 'This is a Borg Backup cache.\nSee https://borgbackup.readthedocs.io/\n';

export type Pre12Meta = Record<string, unknown>;

/** A new empty cache: README, config (never synced), empty chunks and files, `chunks.archive.d/`, pre12-meta. */
export function createCacheDir(path: string, repositoryIdHex: string, filesName: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  writeFileSync(join(path, 'README'), CACHE_README);
  CacheConfig.create(path, repositoryIdHex).save();
  saveFile(join(path, 'chunks'), new ChunkIndex().toBytes());
  mkdirSync(join(path, 'chunks.archive.d'));
  saveFile(join(path, filesName), new Uint8Array(0));
  writePre12Meta(path, {});
}

export function readPre12Meta(path: string): Pre12Meta {
  try {
    const value: unknown = JSON.parse(readFileSync(join(path, 'pre12-meta'), 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Pre12Meta) : {};
  } catch {
    return {};
  }
}

/** As Python's json.dump(..., indent=4) writes it. */
export function writePre12Meta(path: string, meta: Pre12Meta): void {
  const text = JSON.stringify(meta, null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(join(path, 'pre12-meta'), text);
}

/** Deletes a repository's cache (the config first, so a half-deleted cache is never taken for one). */
export function destroyCache(repositoryIdHex: string, options: { env?: Env; path?: string } = {}): void {
  const path = options.path ?? repositoryCacheDir(repositoryIdHex, options.env);
  const config = join(path, 'config');
  if (!existsSync(config)) return;
  unlinkSync(config);
  rmSync(path, { recursive: true, force: true });
}

/** Removes the cache lock, whoever holds it (`break-lock`). */
export function breakCacheLock(repositoryIdHex: string, options: { env?: Env; path?: string } = {}): void {
  const path = options.path ?? repositoryCacheDir(repositoryIdHex, options.env);
  new Lock(cacheLockPath(path), { exclusive: true, timeout: 1 }).breakLock();
}
