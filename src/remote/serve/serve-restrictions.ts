// What a `serve` process lets its client reach (spec §6.1): the repository path the client sends in
// `open` is resolved like borg's server does (`/~/x`, `~user/x`, `/./x`, symlinks), then compared
// with --restrict-to-path (the path itself or anything below it) and --restrict-to-repository
// (exactly that path). The server's --append-only and --storage-quota rank above the client's wishes,
// except that a repository created through an --append-only server is only append-only if the
// client asked for it (borg init --append-only).
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { PathNotAllowed } from '../errors.js';

export interface ServeRestrictions {
  /** --restrict-to-path: repositories must lie in or below one of these. Empty: no restriction. */
  restrictToPaths: readonly string[];
  /** --restrict-to-repository: repositories must be exactly one of these. Empty: no restriction. */
  restrictToRepositories: readonly string[];
  /** --append-only: every repository opened (not created) is append-only. */
  appendOnly: boolean;
  /** --storage-quota in bytes; null: the repository's own setting. */
  storageQuota: number | null;
}

export const NO_RESTRICTIONS: ServeRestrictions = { restrictToPaths: [], restrictToRepositories: [], appendOnly: false, storageQuota: null };

export interface PathEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** borg's base directory for `~` in repository paths: BORG_BASE_DIR, else HOME, else the user's home. */
function baseDir(env: PathEnvironment['env']): string {
  const base = env['BORG_BASE_DIR'] || env['HOME'];
  if (base) return base;
  try {
    return userInfo().homedir;
  } catch {
    return homedir();
  }
}

/** The home directory of `user` from the system's user database, or undefined if there is no such user. */
function homeOf(user: string): string | undefined {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const fields = r.stdout.split('\n')[0]!.split(':');
  return fields.length >= 7 && fields[5] !== '' ? fields[5] : undefined;
}

/** Python's os.path.expanduser for `~` and `~user` prefixes; unknown users leave the path as it is. */
function expandUser(path: string, env: PathEnvironment['env']): string {
  const slash = path.indexOf('/');
  const name = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  const home = name === '' ? env['HOME'] || baseDir(env) : homeOf(name);
  if (home === undefined) return path;
  return rest === '' ? home : join(home, rest);
}

/**
 * Python's os.path.realpath: symlinks of the existing part are resolved, a missing tail is kept
 * (with `.` and `..` applied to it lexically), so that a repository still to be created has a path.
 */
export function realPath(path: string, cwd: string): string {
  const abs = resolve(cwd, path);
  let resolved = '/';
  const parts = abs.split('/').filter((p) => p !== '' && p !== '.');
  let missing = false;
  for (const part of parts) {
    if (part === '..') {
      resolved = resolve(resolved, '..');
      continue;
    }
    const next = join(resolved, part);
    if (missing) {
      resolved = next;
      continue;
    }
    try {
      resolved = realpathSync(next);
    } catch {
      // Missing, or not reachable: like Python, keep the rest of the path as written.
      resolved = next;
      missing = true;
    }
  }
  return resolved;
}

/**
 * The absolute path of the repository a client names in `open`. ssh:// locations always start with
 * "/": "/~/x" and "/~user/x" are below a home directory, "/./x" is relative to the server's working
 * directory; scp-style locations may also send "~/x", "~user/x" or a relative path.
 */
export function resolveRepositoryPath(path: string, where: PathEnvironment): string {
  let p = path;
  if (p.startsWith('/~/')) p = join(baseDir(where.env), p.slice(3));
  else if (p.startsWith('~/')) p = join(baseDir(where.env), p.slice(2));
  else if (p.startsWith('/~')) p = expandUser(p.slice(1), where.env);
  else if (p.startsWith('~')) p = expandUser(p, where.env);
  else if (p.startsWith('/./')) p = p.slice(3);
  return realPath(isAbsolute(p) ? p : resolve(where.cwd, p), where.cwd);
}

function withSep(path: string): string {
  return path.endsWith(sep) ? path : path + sep;
}

/**
 * Throws PathNotAllowed unless the resolved repository path is allowed. The comparison adds a
 * trailing "/" to both sides, so that --restrict-to-path /foo does not admit /foobar.
 */
export function checkRepositoryAllowed(resolvedPath: string, restrictions: ServeRestrictions, cwd: string): void {
  const path = withSep(resolvedPath);
  const { restrictToPaths, restrictToRepositories } = restrictions;
  if (restrictToPaths.length > 0 && !restrictToPaths.some((p) => path.startsWith(withSep(realPath(p, cwd))))) {
    throw new PathNotAllowed(resolvedPath);
  }
  if (restrictToRepositories.length > 0 && !restrictToRepositories.some((p) => path === withSep(realPath(p, cwd)))) {
    throw new PathNotAllowed(resolvedPath);
  }
}

/** Whether the repository is opened append-only: the server decides, except for a new repository. */
export function effectiveAppendOnly(create: boolean, clientAppendOnly: boolean, restrictions: ServeRestrictions): boolean {
  return (!create && restrictions.appendOnly) || clientAppendOnly;
}
