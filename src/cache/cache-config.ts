// The `config` file of a repository's client cache (spec §7.2): `<cache dir>/<repo id hex>/config`,
// an INI file with a [cache] section (repository id, manifest id, previous location, timestamp,
// features, key type) and an [integrity] section (the integrity data of `chunks` and `files`, valid
// only while its `manifest` equals the one in [cache]). Written the way Python's configparser
// writes it, so that borg and borg-ts can take turns on one cache.
//
// Like borg's CacheConfig, `open` takes the cache lock (`<cache dir>/lock`, always exclusive) and
// `close` releases it; `load` reads without locking.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveFile } from '../platform/save-file.js';
import { IniFile } from '../repository/ini.js';
import { Lock } from '../repository/lock.js';
import { CacheConfigDamaged, CacheUnusable } from './cache-errors.js';

export const CACHE_CONFIG_VERSION = 1;
const CACHE = 'cache';
const INTEGRITY = 'integrity';

/** The lock of a cache directory (`lock.exclusive`, `lock.roster`), as borg names it. */
export function cacheLockPath(cacheDir: string): string {
  return join(cacheDir, 'lock');
}

/** borg's parse_stringified_list: comma separated, blanks around commas ignored, empty items dropped. */
function stringifiedList(text: string): string[] {
  return text.split(/ *, */).filter((item) => item !== '');
}

export interface CacheConfigOpenOptions {
  /** Seconds to wait for the cache lock; null waits forever. */
  lockWait?: number | null;
  /** Mode of the lock files (after the umask). */
  fileMode?: number;
}

export class CacheConfig {
  readonly path: string;
  #ini: IniFile;
  #lock: Lock | null = null;

  private constructor(readonly dir: string, ini: IniFile) {
    this.path = join(dir, 'config');
    this.#ini = ini;
  }

  static exists(cacheDir: string): boolean {
    return existsSync(join(cacheDir, 'config'));
  }

  /** The config of a new cache for `repositoryIdHex` (not yet saved): no manifest synced yet. */
  static create(cacheDir: string, repositoryIdHex: string): CacheConfig {
    const ini = new IniFile();
    ini.set(CACHE, 'version', String(CACHE_CONFIG_VERSION));
    ini.set(CACHE, 'repository', repositoryIdHex);
    ini.set(CACHE, 'manifest', '');
    ini.set(INTEGRITY, 'manifest', '');
    return new CacheConfig(cacheDir, ini);
  }

  /** Reads and checks the config without taking the cache lock. */
  static load(cacheDir: string): CacheConfig {
    const config = new CacheConfig(cacheDir, new IniFile());
    config.reload();
    return config;
  }

  /** Takes the cache lock, then reads the config; call close() when done. */
  static async open(cacheDir: string, options: CacheConfigOpenOptions = {}): Promise<CacheConfig> {
    const lock = await new Lock(cacheLockPath(cacheDir), {
      exclusive: true, timeout: options.lockWait === undefined ? 1 : options.lockWait,
      ...(options.fileMode !== undefined ? { fileMode: options.fileMode } : {}),
    }).acquire();
    try {
      const config = CacheConfig.load(cacheDir);
      config.#lock = lock;
      return config;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /** Reads the file again, dropping unsaved changes. */
  reload(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CacheUnusable(this.path, code === 'ENOENT' ? 'it does not exist' : (e as Error).message);
    }
    let ini: IniFile;
    try {
      ini = IniFile.parse(text);
    } catch (e) {
      throw new CacheConfigDamaged(this.path, (e as Error).message);
    }
    if (!ini.sections.has(CACHE)) throw new CacheConfigDamaged(this.path, 'it does not look like a borg cache config');
    const version = ini.get(CACHE, 'version');
    if (version === undefined || !/^\s*[+-]?\d+\s*$/.test(version) || Number(version) !== CACHE_CONFIG_VERSION) {
      throw new CacheUnusable(this.path, `cache version ${version ?? '(none)'} is not ${CACHE_CONFIG_VERSION}`);
    }
    this.#ini = ini;
  }

  /** Writes the config atomically (temp file, fsync, rename). */
  save(fileMode?: number): void {
    saveFile(this.path, this.#ini.toString(), fileMode);
  }

  async close(): Promise<void> {
    const lock = this.#lock;
    this.#lock = null;
    await lock?.release();
  }

  // --- generic access, for `config --cache` and anything not covered by the accessors below

  sections(): string[] {
    return [...this.#ini.sections.keys()];
  }

  /** The entries of a section in file order (empty when there is no such section). */
  entries(section: string): Array<[string, string]> {
    return [...(this.#ini.sections.get(section) ?? new Map<string, string>())];
  }

  get(section: string, name: string): string | undefined {
    return this.#ini.get(section, name);
  }

  set(section: string, name: string, value: string): void {
    this.#ini.set(section, name, value);
  }

  /** Removes an entry; true if it existed. */
  delete(section: string, name: string): boolean {
    return this.#ini.delete(section, name);
  }

  /** Removes a whole section; true if it existed. */
  deleteSection(section: string): boolean {
    return this.#ini.sections.delete(section);
  }

  // --- typed view of the [cache] section

  get repositoryId(): string {
    return this.get(CACHE, 'repository') ?? '';
  }

  /** Hex id of the manifest the cache was last synced with; '' when never synced. */
  get manifestId(): string {
    return this.get(CACHE, 'manifest') ?? '';
  }

  get previousLocation(): string | undefined {
    return this.get(CACHE, 'previous_location') || undefined;
  }

  set previousLocation(location: string) {
    this.set(CACHE, 'previous_location', location);
  }

  get timestamp(): string | undefined {
    return this.get(CACHE, 'timestamp');
  }

  get keyType(): string | undefined {
    return this.get(CACHE, 'key_type');
  }

  get ignoredFeatures(): string[] {
    return stringifiedList(this.get(CACHE, 'ignored_features') ?? '');
  }

  get mandatoryFeatures(): string[] {
    return stringifiedList(this.get(CACHE, 'mandatory_features') ?? '');
  }

  /**
   * Integrity data of the cache files by file name ('chunks', 'files', ...). Empty when an older
   * borg changed the cache behind our back: it keeps [integrity] but not its `manifest` in step.
   */
  integrity(): Record<string, string> {
    const section = this.#ini.sections.get(INTEGRITY);
    if (section === undefined || section.get('manifest') !== this.manifestId) return {};
    const out: Record<string, string> = {};
    for (const [name, value] of section) if (name !== 'manifest') out[name] = value;
    return out;
  }
}
