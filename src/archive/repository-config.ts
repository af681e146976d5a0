// `config`: reading and changing the repository config (spec §1.3) or the client cache config
// (§7.2) with borg 1.2's rules. Names are "section.name" or a bare name in the default section
// ([repository], or [cache] with --cache). Anything may be read; only these may be set or deleted:
//   repository: segments_per_dir, last_segment_checked (integers), max_segment_size,
//               additional_free_space, storage_quota (sizes; quota >= 10M), append_only (0 or 1),
//               id (64 hex digits) — never `version` or `key`;
//   cache:      previous_location (a repository location).
import { BorgError } from '../errors.js';
import { CacheConfig } from '../cache/cache-config.js';
import { repositoryCacheDir, type Env } from '../cache/paths.js';
import type { Confirm } from '../cache/security-dir.js';
import type { PassphraseOptions } from '../crypto/index.js';
import { DEFAULT_SEGMENTS_PER_DIR, MAX_SEGMENT_SIZE_LIMIT, MIN_STORAGE_QUOTA, readConfig, saveConfig, SECTION } from '../repository/config.js';
import { parseFileSize, parseIniInt } from '../repository/ini.js';
import { LocalRepository } from '../repository/local-repository.js';
import { parseLocation, type Location } from '../remote/location.js';
import { openStore, RepositorySession } from './repository-session.js';

export { MIN_STORAGE_QUOTA } from '../repository/config.js';

export type ConfigRequest =
  | { action: 'get'; name: string }
  | { action: 'set'; name: string; value: string }
  | { action: 'delete'; name: string }
  | { action: 'list' };

export type ConfigOutcome =
  | { action: 'get'; value: string }
  /** The value is not there: `message` says which section or option is missing (a warning in borg). */
  | { action: 'get'; missing: string }
  | { action: 'list'; sections: Array<{ section: string; entries: Array<[string, string]> }> }
  | { action: 'set' | 'delete' };

/** A name or value that `config` must not write (borg raises a ValueError). */
export class InvalidConfigSetting extends BorgError {
  constructor(message: string) {
    super(message, { code: 'Error' });
  }
}

export interface ConfigName {
  section: string;
  name: string;
}

/** "section.name" (exactly one dot), else the name in `defaultSection`. */
export function splitConfigName(text: string, defaultSection: string): ConfigName {
  const parts = text.split('.');
  return parts.length === 2 ? { section: parts[0]!, name: parts[1]! } : { section: defaultSection, name: text };
}

/** Throws InvalidConfigSetting unless `value` (or, without a value, the name alone) may be written. */
export function validateRepositorySetting({ section, name }: ConfigName, value?: string): void {
  const refuse = (why: string) => new InvalidConfigSetting(`Cannot change ${section}.${name}: ${why}`);
  if (section !== SECTION) throw refuse(`only the [${SECTION}] section can be changed`);
  const check = (ok: () => boolean, why: string) => {
    let valid: boolean;
    try {
      valid = ok();
    } catch {
      valid = false;
    }
    if (!valid) throw refuse(why);
  };
  switch (name) {
    case 'segments_per_dir':
    case 'last_segment_checked':
      if (value !== undefined) check(() => Number.isFinite(parseIniInt(value)), `'${value}' is not an integer`);
      return;
    case 'max_segment_size':
    case 'additional_free_space':
    case 'storage_quota':
      if (value === undefined) return;
      check(() => Number.isFinite(parseFileSize(value)), `'${value}' is not a size`);
      if (name === 'storage_quota') check(() => parseFileSize(value) >= MIN_STORAGE_QUOTA, `a quota of '${value}' is below the minimum of 10M`);
      if (name === 'max_segment_size') check(() => parseFileSize(value) < MAX_SEGMENT_SIZE_LIMIT, `'${value}' is not below ${MAX_SEGMENT_SIZE_LIMIT}`);
      return;
    case 'append_only':
      if (value !== undefined) check(() => value === '0' || value === '1', `'${value}' is neither 0 nor 1`);
      return;
    case 'id':
      if (value !== undefined) check(() => /^[0-9a-fA-F]{64}$/.test(value), `'${value}' is not 64 hex digits`);
      return;
    default:
      throw refuse('it is not a setting that can be changed');
  }
}

/** Settings a repository cannot be opened without: deleting them would lock everybody out. */
const REQUIRED_REPOSITORY_SETTINGS = new Set(['id', 'segments_per_dir', 'max_segment_size']);

export function validateCacheSetting({ section, name }: ConfigName, value?: string): void {
  const refuse = (why: string) => new InvalidConfigSetting(`Cannot change ${section}.${name}: ${why}`);
  if (section !== 'cache') throw refuse('only the [cache] section can be changed');
  if (name !== 'previous_location') throw refuse('it is not a setting that can be changed');
  if (value === undefined) return;
  try {
    parseLocation(value, { env: {} });
  } catch {
    throw refuse(`'${value}' is not a repository location`);
  }
}

/** What `applyConfigRequest` works on: the repository's or the cache's INI. */
export interface ConfigStore {
  get(section: string, name: string): string | undefined;
  set(section: string, name: string, value: string): void;
  delete(section: string, name: string): boolean;
  hasSection(section: string): boolean;
  deleteSectionIfEmpty(section: string): void;
  save(): void;
}

/** Carries out one request on a store with the rules of one config kind. */
export function applyConfigRequest(
  store: ConfigStore,
  request: Exclude<ConfigRequest, { action: 'list' }>,
  kind: { defaultSection: string; validate: (name: ConfigName, value?: string) => void },
): ConfigOutcome {
  const target = splitConfigName(request.name, kind.defaultSection);
  switch (request.action) {
    case 'get': {
      const value = store.get(target.section, target.name);
      if (value !== undefined) return { action: 'get', value };
      const missing = store.hasSection(target.section)
        ? `No option '${target.name}' in section: '${target.section}'`
        : `No section: '${target.section}'`;
      return { action: 'get', missing };
    }
    case 'set':
      kind.validate(target, request.value);
      store.set(target.section, target.name, request.value);
      store.save();
      return { action: 'set' };
    case 'delete':
      kind.validate(target);
      if (!store.hasSection(target.section)) throw new InvalidConfigSetting(`Cannot delete ${target.section}.${target.name}: there is no section [${target.section}]`);
      store.delete(target.section, target.name);
      store.deleteSectionIfEmpty(target.section);
      store.save();
      return { action: 'delete' };
  }
}

/** The repository settings `config --list` shows, in borg's order, with the defaults open() uses. */
const LISTED_SETTINGS: Array<[string, string | undefined]> = [
  ['version', undefined], ['segments_per_dir', String(DEFAULT_SEGMENTS_PER_DIR)], ['max_segment_size', undefined],
  ['storage_quota', '0'], ['additional_free_space', '0'], ['append_only', '0'], ['id', undefined],
];

export interface ConfigureOptions {
  env?: Env;
  /** Seconds to wait for the repository (and cache) lock. */
  lockWait?: number | null;
  umask?: number;
  passphrase?: PassphraseOptions;
  /** Answers the security questions (needed for the cache config only). */
  confirm: Confirm;
}

/** `config REPO ...`: the repository config, under an exclusive repository lock. Local repositories only. */
export async function configureRepository(location: Location, request: ConfigRequest, options: ConfigureOptions): Promise<ConfigOutcome> {
  const repository = await openStore(location, { ...options, exclusive: true });
  try {
    if (!(repository instanceof LocalRepository)) throw new BorgError('Cannot configure a remote repository: only local ones', { code: 'Error' });
    const path = repository.path;
    const ini = readConfig(path);
    if (request.action === 'list') {
      const entries: Array<[string, string]> = LISTED_SETTINGS.map(([name, fallback]) => [name, ini.get(SECTION, name) ?? fallback ?? '']);
      const checked = ini.get(SECTION, 'last_segment_checked');
      if (checked !== undefined) entries.push(['last_segment_checked', checked]);
      return { action: 'list', sections: [{ section: SECTION, entries }] };
    }
    if (request.action === 'delete' && REQUIRED_REPOSITORY_SETTINGS.has(splitConfigName(request.name, SECTION).name)) {
      throw new InvalidConfigSetting(`Cannot delete ${request.name}: the repository cannot be opened without it`);
    }
    const fileMode = 0o666 & ~(options.umask ?? 0o077);
    const store: ConfigStore = {
      get: (s, n) => ini.get(s, n),
      set: (s, n, v) => ini.set(s, n, v),
      delete: (s, n) => ini.delete(s, n),
      hasSection: (s) => ini.sections.has(s),
      deleteSectionIfEmpty: (s) => {
        if (ini.sections.get(s)?.size === 0) ini.sections.delete(s);
      },
      save: () => saveConfig(path, ini, fileMode),
    };
    return applyConfigRequest(store, request, { defaultSection: SECTION, validate: validateRepositorySetting });
  } finally {
    await repository.close();
  }
}

/**
 * `config --cache REPO ...`: the cache config of the repository. Opens the repository like a
 * writer (key, passphrase, security checks against the security dir and the cache), then takes
 * the cache lock. The cache must exist already: borg-ts does not build caches yet.
 */
export async function configureCache(location: Location, request: ConfigRequest, options: ConfigureOptions): Promise<ConfigOutcome> {
  const env = options.env ?? process.env;
  const repository = await openStore(location, { ...options, exclusive: true });
  try {
    const cacheDir = repositoryCacheDir(repository.id.toString('hex'), env);
    const known = CacheConfig.exists(cacheDir) ? CacheConfig.load(cacheDir) : undefined;
    const cacheSecurity = known && { previousLocation: known.previousLocation, timestamp: known.timestamp, keyType: known.keyType };
    await RepositorySession.attach(location, repository, { ...options, operations: ['write'], ...(cacheSecurity ? { cacheSecurity } : {}) });
    if (known === undefined) {
      throw new BorgError(`Cannot configure the cache of ${location.canonicalPath()}: there is no cache for it in ${cacheDir}`, { code: 'Error' });
    }
    const config = await CacheConfig.open(cacheDir, { lockWait: options.lockWait ?? 1 });
    try {
      // Like borg, loading the cache config records where the repository is now.
      config.previousLocation = location.canonicalPath();
      if (request.action === 'list') {
        return { action: 'list', sections: config.sections().map((section) => ({ section, entries: config.entries(section) })) };
      }
      const store: ConfigStore = {
        get: (s, n) => config.get(s, n),
        set: (s, n, v) => config.set(s, n, v),
        delete: (s, n) => config.delete(s, n),
        hasSection: (s) => config.sections().includes(s),
        deleteSectionIfEmpty: (s) => {
          if (config.entries(s).length === 0) config.deleteSection(s);
        },
        save: () => config.save(),
      };
      return applyConfigRequest(store, request, { defaultSection: 'cache', validate: validateCacheSetting });
    } finally {
      await config.close();
    }
  } finally {
    await repository.close();
  }
}
