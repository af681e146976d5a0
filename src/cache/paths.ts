// Where borg keeps its client-side state (spec §2.11, §7.1): the same rules, so that a user who
// switches from borg keeps keys, security info and caches.
import { mkdirSync, existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { saveFile } from '../platform/save-file.js';

export type Env = Record<string, string | undefined>;

export const CACHE_TAG_NAME = 'CACHEDIR.TAG';
export const CACHE_TAG_CONTENTS =
  'Signature: 8a477f597d28d172789f06886806bc55\n' +
  '# This file is a cache directory tag created by Borg.\n' +
  '# For information about cache directory tags, see:\n' +
  '#       http://www.bford.info/cachedir/spec.html\n';

function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}

export function baseDir(env: Env = process.env): string {
  const base = env['BORG_BASE_DIR'] || env['HOME'];
  if (base) return base;
  const user = env['USER'];
  if (user) {
    try {
      if (userInfo().username === user) return userInfo().homedir;
    } catch {
      // no passwd entry: fall through
    }
  }
  return homedir();
}

export function configDir(env: Env = process.env): string {
  let home = join(baseDir(env), '.config');
  if (!env['BORG_BASE_DIR'] && env['XDG_CONFIG_HOME']) home = env['XDG_CONFIG_HOME'];
  return ensureDir(env['BORG_CONFIG_DIR'] ?? join(home, 'borg'));
}

export function keysDir(env: Env = process.env): string {
  return ensureDir(env['BORG_KEYS_DIR'] ?? join(configDir(env), 'keys'));
}

export function securityDir(repositoryIdHex?: string, env: Env = process.env): string {
  const root = env['BORG_SECURITY_DIR'] ?? join(configDir(env), 'security');
  return ensureDir(repositoryIdHex ? join(root, repositoryIdHex) : root);
}

/** The cache root, tagged with CACHEDIR.TAG so that backup tools skip it. */
export function cacheRoot(env: Env = process.env): string {
  let home = join(baseDir(env), '.cache');
  if (!env['BORG_BASE_DIR'] && env['XDG_CACHE_HOME']) home = env['XDG_CACHE_HOME'];
  const dir = ensureDir(env['BORG_CACHE_DIR'] ?? join(home, 'borg'));
  const tag = join(dir, CACHE_TAG_NAME);
  if (!existsSync(tag)) saveFile(tag, CACHE_TAG_CONTENTS, 0o600);
  return dir;
}

export function repositoryCacheDir(repositoryIdHex: string, env: Env = process.env): string {
  return join(cacheRoot(env), repositoryIdHex);
}
