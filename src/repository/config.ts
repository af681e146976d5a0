// The repository `config` file (spec §1.3): reading its [repository] settings, and rewriting it the
// way borg does so that an old key blob does not linger in `config.old`.
import { existsSync, linkSync, openSync, fstatSync, writeSync, fsyncSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { saveFile } from '../platform/save-file.js';
import { InvalidRepository, InvalidRepositoryConfig } from './errors.js';
import { IniFile, parseFileSize, parseIniBoolean, parseIniInt } from './ini.js';

export const SECTION = 'repository';
export const DEFAULT_SEGMENTS_PER_DIR = 1000;
export const DEFAULT_MAX_SEGMENT_SIZE = 500 * 1024 * 1024;
/** max_segment_size must stay below this so that offsets fit in u32 even with one oversized entry. */
export const MAX_SEGMENT_SIZE_LIMIT = 2 ** 32 - 20 * 1024 * 1024;
/** The smallest storage quota borg accepts (for `init --storage-quota` and `config`). */
export const MIN_STORAGE_QUOTA = 10_000_000;

/** The settings of an opened repository, parsed and validated. */
export interface RepositorySettings {
  id: Buffer;
  segmentsPerDir: number;
  maxSegmentSize: number;
  appendOnly: boolean;
  storageQuota: number;
  additionalFreeSpace: number;
}

/** Builds the config of a new repository, keys in borg's order. */
export function newConfig(options: { id: Buffer; appendOnly: boolean; storageQuota: number }): IniFile {
  const ini = new IniFile();
  ini.set(SECTION, 'version', '1');
  ini.set(SECTION, 'segments_per_dir', String(DEFAULT_SEGMENTS_PER_DIR));
  ini.set(SECTION, 'max_segment_size', String(DEFAULT_MAX_SEGMENT_SIZE));
  ini.set(SECTION, 'append_only', options.appendOnly ? '1' : '0');
  ini.set(SECTION, 'storage_quota', String(options.storageQuota || 0));
  ini.set(SECTION, 'additional_free_space', '0');
  ini.set(SECTION, 'id', options.id.toString('hex'));
  return ini;
}

/** Reads `<repo>/config`; a missing file means the directory is not a repository. */
export function readConfig(repoPath: string): IniFile {
  let text: string;
  try {
    text = readFileSync(join(repoPath, 'config'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new InvalidRepository(repoPath);
    throw e;
  }
  try {
    return IniFile.parse(text);
  } catch (e) {
    throw new InvalidRepositoryConfig(repoPath, (e as Error).message);
  }
}

/** Validates the [repository] section the way borg's open does and returns typed settings. */
export function repositorySettings(repoPath: string, ini: IniFile): RepositorySettings {
  const invalid = (reason: string): InvalidRepositoryConfig => new InvalidRepositoryConfig(repoPath, reason);
  if (!ini.sections.has(SECTION)) throw invalid('no [repository] section found');
  const required = (key: string): string => {
    const v = ini.get(SECTION, key);
    if (v === undefined) throw invalid(`option '${key}' is missing`);
    return v;
  };
  const parsed = <T>(key: string, value: string, parse: (v: string) => T): T => {
    try {
      return parse(value);
    } catch {
      throw invalid(`option '${key}' has an invalid value '${value}'`);
    }
  };
  const version = parsed('version', required('version'), parseIniInt);
  if (version !== 1) throw invalid(`repository version ${version} is not supported`);
  const maxSegmentSize = parsed('max_segment_size', required('max_segment_size'), parseFileSize);
  if (maxSegmentSize >= MAX_SEGMENT_SIZE_LIMIT) throw invalid(`max_segment_size >= ${MAX_SEGMENT_SIZE_LIMIT}`);
  const segmentsPerDir = parsed('segments_per_dir', required('segments_per_dir'), parseIniInt);
  if (segmentsPerDir < 1) throw invalid('segments_per_dir must be positive');
  const idHex = required('id').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(idHex)) throw invalid('id is not 64 hex digits');
  return {
    id: Buffer.from(idHex, 'hex'),
    segmentsPerDir,
    maxSegmentSize,
    appendOnly: parsed('append_only', ini.get(SECTION, 'append_only') ?? '0', parseIniBoolean),
    storageQuota: parsed('storage_quota', ini.get(SECTION, 'storage_quota') ?? '0', parseFileSize),
    additionalFreeSpace: parsed('additional_free_space', ini.get(SECTION, 'additional_free_space') ?? '0', parseFileSize),
  };
}

/**
 * Writes `<repo>/config` atomically. The previous file is hardlinked to `config.old` first and that
 * link is overwritten with random bytes afterwards: the old file may hold an old key blob, and
 * overwriting it in place after the rename cannot harm the new config.
 */
export function saveConfig(repoPath: string, ini: IniFile, fileMode: number): void {
  const configPath = join(repoPath, 'config');
  const oldPath = join(repoPath, 'config.old');
  if (existsSync(oldPath)) secureErase(oldPath);
  if (existsSync(configPath)) {
    try {
      linkSync(configPath, oldPath);
    } catch (e) {
      // File systems without hardlinks: the old content cannot be erased, but saving must go on.
      const code = (e as NodeJS.ErrnoException).code;
      if (!['EMLINK', 'ENOSYS', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EIO'].includes(code ?? '')) throw e;
    }
  }
  saveFile(configPath, ini.toString(), fileMode);
  if (existsSync(oldPath)) secureErase(oldPath);
}

/** Overwrites a file with random bytes and deletes it, unless other hardlinks still need its content. */
function secureErase(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const st = fstatSync(fd);
    if (st.nlink <= 1 && st.size > 0) {
      const noise = randomBytes(st.size);
      let off = 0;
      while (off < noise.length) off += writeSync(fd, noise, off, noise.length - off, off);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}
