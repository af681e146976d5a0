// Repository and archive locations as borg writes them (spec §6.1, §8.9):
//   ssh://[user@]host[:port]/path[::archive]   host may be [ipv6]; /./rel and /~/x, /~user/x paths
//   file:///abs/path[::archive]
//   [user@]host:path[::archive]                scp style
//   path[::archive]                            local
//   ::archive, :: or ''                        the repository comes from BORG_REPO
// Placeholders are replaced in the whole text first (and in BORG_REPO). An archive name must not
// contain "/" because `borg mount` turns archive names into directory names.

import path from 'node:path';

import { UsageError } from '../errors.js';
import { replacePlaceholders } from '../archive/placeholders.js';

const USER = String.raw`(?:(?<user>[^@:/]+)@)?`;
// A name or IPv4 address without ":" or "/", or an IPv6 address in brackets.
const HOST = String.raw`(?<host>(?!\[)[^:/]+(?<!\])|\[[0-9a-fA-F:.]+\])`;
// Paths end at "::" (the archive separator) but may hold single colons.
const SCP_PATH = String.raw`(?!:|//|ssh://)(?<path>(?:[^:]|:(?!:))+)`;
const FILE_PATH = String.raw`(?<path>[^/]*/(?:[^:]|:(?!:))+)`;
const ABS_PATH = String.raw`(?<path>/(?:[^:]|:(?!:))+)`;
const ARCHIVE = String.raw`(?:::(?<archive>[^/]+))?$`;

const SSH_RE = new RegExp(String.raw`^ssh://${USER}${HOST}(?::(?<port>\d+))?${ABS_PATH}${ARCHIVE}`, 's');
const FILE_RE = new RegExp(String.raw`^file://${FILE_PATH}${ARCHIVE}`, 's');
const SCP_RE = new RegExp(String.raw`^(?:${USER}${HOST}:)?${SCP_PATH}${ARCHIVE}`, 's');
const ENV_RE = new RegExp(String.raw`^(?:::$|${ARCHIVE})`, 's');

export interface LocationOptions {
  /** Where BORG_REPO is looked up. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** false: refuse REPO::ARCHIVE. Default: allowed. */
  allowArchive?: boolean;
  /** Refuse a location without an archive name. */
  requireArchive?: boolean;
  /** Accept only local ('file') or only remote ('ssh') repositories. */
  proto?: 'file' | 'ssh';
  /** The moment for {now}/{utcnow} (create --timestamp). */
  now?: Date;
}

interface LocationParts {
  proto: 'file' | 'ssh';
  user?: string;
  host?: string;
  port?: number;
  path: string;
  archive?: string;
}

export class Location {
  readonly proto: 'file' | 'ssh';
  readonly user?: string;
  /** Host name or address; an IPv6 address without its brackets. */
  readonly host?: string;
  readonly port?: number;
  /** The path as written (normalised), e.g. "repo", "/abs", "/./rel", "/~/x", "~user/x". */
  readonly path: string;
  readonly archive?: string;
  /** The text as given, placeholders unreplaced (for BORG_REPO: the variable's value). */
  readonly raw: string;
  /** The text after placeholder replacement, with the repository from BORG_REPO filled in. */
  readonly processed: string;
  private readonly hostAsWritten?: string;

  constructor(parts: LocationParts & { hostAsWritten?: string; raw: string; processed: string }) {
    this.proto = parts.proto;
    if (parts.user !== undefined) this.user = parts.user;
    if (parts.hostAsWritten !== undefined) {
      this.hostAsWritten = parts.hostAsWritten;
      this.host = parts.hostAsWritten.replace(/^\[+/, '').replace(/\]+$/, '');
    }
    if (parts.port !== undefined) this.port = parts.port;
    this.path = parts.path;
    if (parts.archive !== undefined) this.archive = parts.archive;
    this.raw = parts.raw;
    this.processed = parts.processed;
  }

  /**
   * The form recorded in the security dir, the cache and JSON output: a local repository as its
   * absolute path (like borg's Repository does before it asks for it), a remote one as an
   * ssh:// URL whose path keeps the meaning of "~" and relative paths.
   */
  canonicalPath(cwd = process.cwd()): string {
    if (this.proto === 'file') return path.resolve(cwd, this.path);
    let remotePath = this.path;
    if (remotePath.startsWith('~')) remotePath = `/${remotePath}`;
    else if (!remotePath.startsWith('/')) remotePath = `/./${remotePath}`;
    const user = this.user !== undefined ? `${this.user}@` : '';
    const port = this.port !== undefined ? `:${this.port}` : '';
    return `ssh://${user}${this.hostAsWritten}${port}${remotePath}`;
  }

  /** The key file name `borg init` picks in the keys dir (spec §2.8), without the directory. */
  keyFileName(): string {
    let name = underscoreNonWord(this.path).replace(/^_+|_+$/g, '');
    if (this.proto !== 'file') name = `${underscoreNonWord(this.host ?? '')}__${name}`;
    // borg counts characters (code points), not UTF-16 units.
    return Array.from(name).slice(0, 100).join('');
  }

  /** The same repository without the archive part. */
  withoutArchive(): Location {
    const { archive: _archive, ...parts } = this.parts();
    return new Location({ ...parts, raw: this.raw.split('::')[0]!, processed: this.processed.split('::')[0]! });
  }

  toString(): string {
    return this.processed;
  }

  private parts(): LocationParts & { hostAsWritten?: string } {
    return { proto: this.proto, user: this.user, hostAsWritten: this.hostAsWritten, port: this.port, path: this.path, archive: this.archive };
  }
}

export function parseLocation(text: string, options: LocationOptions = {}): Location {
  const location = parseLocationText(text, options);
  if (options.requireArchive && location.archive === undefined) throw new UsageError(`"${text}": No archive specified`);
  if (options.allowArchive === false && location.archive !== undefined) throw new UsageError(`"${text}": No archive can be specified`);
  if (options.proto !== undefined && location.proto !== options.proto) {
    throw new UsageError(`"${text}": Repository must be ${options.proto === 'file' ? 'local' : 'remote'}`);
  }
  return location;
}

function parseLocationText(text: string, options: LocationOptions): Location {
  const placeholderOptions = options.now !== undefined ? { now: options.now } : {};
  const processed = replacePlaceholders(text, placeholderOptions);
  const direct = matchLocation(processed);
  if (direct !== undefined) return new Location({ ...direct, raw: text, processed });

  const envMatch = ENV_RE.exec(processed);
  const repoRaw = (options.env ?? process.env)['BORG_REPO'];
  if (envMatch !== null && repoRaw !== undefined) {
    const repo = replacePlaceholders(repoRaw, placeholderOptions);
    const fromEnv = matchLocation(repo);
    if (fromEnv !== undefined) {
      const archive = envMatch.groups?.['archive'];
      return new Location({
        ...fromEnv,
        archive,
        raw: archive === undefined ? repoRaw : repoRaw + text,
        processed: archive === undefined ? repo : `${repo}::${archive}`,
      });
    }
  }
  throw new UsageError(`Invalid location format: "${processed}"`);
}

function matchLocation(text: string): (LocationParts & { hostAsWritten?: string }) | undefined {
  const ssh = SSH_RE.exec(text)?.groups;
  if (ssh !== undefined) {
    // borg treats port 0 like no port at all.
    const port = ssh['port'] !== undefined && Number(ssh['port']) !== 0 ? Number(ssh['port']) : undefined;
    return { proto: 'ssh', user: ssh['user'], hostAsWritten: ssh['host'], port, path: normpathSpecial(ssh['path']!), archive: ssh['archive'] };
  }
  const file = FILE_RE.exec(text)?.groups;
  if (file !== undefined) return { proto: 'file', path: normpathSpecial(file['path']!), archive: file['archive'] };
  const scp = SCP_RE.exec(text)?.groups;
  if (scp !== undefined) {
    const host = scp['host'];
    return { proto: host !== undefined ? 'ssh' : 'file', user: scp['user'], hostAsWritten: host, path: normpathSpecial(scp['path']!), archive: scp['archive'] };
  }
  return undefined;
}

/** normpath that keeps the "/./" prefix marking a path relative to the server's working directory. */
function normpathSpecial(p: string): string {
  const relative = p.startsWith('/./');
  const normal = normpath(p);
  return relative ? `/.${normal}` : normal;
}

/** Python's posixpath.normpath: no file system access, "//" at the start survives. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const leading = p.startsWith('//') && !p.startsWith('///') ? '//' : p.startsWith('/') ? '/' : '';
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (leading === '' && (parts.length === 0 || parts[parts.length - 1] === '..'))) parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  return leading + parts.join('/') || '.';
}

/** Python's re.sub(r'[^\w]', '_', s) with Unicode \w (letters, numbers, underscore). */
function underscoreNonWord(s: string): string {
  return s.replace(/[^\p{L}\p{N}_]/gu, '_');
}
