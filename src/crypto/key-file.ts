// Key files of the keyfile modes (spec §2.8): `BORG_KEY <repository id hex>\n<blob lines>\n`, kept in
// the keys dir (or at $BORG_KEY_FILE). The only file-system code of the crypto layer, kept minimal.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BorgError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { KeyfileInvalidError, KeyfileMismatchError, KeyfileNotFoundError } from './errors.js';

export const KEY_FILE_MAGIC = 'BORG_KEY';
/** Python's \w is Unicode-aware: letters, digits (all numeric characters) and '_'. */
const NON_WORD = /[^\p{L}\p{N}_]/gu;
/** borg truncates key file names to 100 characters (code points). */
const MAX_NAME_LENGTH = 100;

export interface ParsedKeyFile {
  repositoryId: Buffer;
  /** The base64 blob text (everything after the first line). */
  blobText: string;
}

/** The text of a key file for `repositoryId` holding the blob text (see keyBlobToText). */
export function formatKeyFile(repositoryId: Uint8Array, blobText: string): string {
  return `${KEY_FILE_MAGIC} ${toHex(repositoryId)}\n${blobText}${blobText.endsWith('\n') ? '' : '\n'}`;
}

/**
 * Splits a key file into id and blob text, with the sanity checks borg >= 1.2.5 applies (header,
 * at least two lines, base64 body of a plausible size). `file` and `location` only name things in errors.
 */
export function parseKeyFile(text: string, names: { file?: string; location?: string } = {}): ParsedKeyFile {
  const invalid = (): KeyfileInvalidError => new KeyfileInvalidError(names.location ?? '', names.file ?? '');
  const nl = text.indexOf('\n');
  if (!text.startsWith(`${KEY_FILE_MAGIC} `) || nl < 0) throw invalid();
  const idHex = text.slice(KEY_FILE_MAGIC.length + 1, nl).trimEnd();
  if (!/^[0-9a-f]{64}$/.test(idHex)) throw invalid();
  const blobText = text.slice(nl + 1);
  const compact = blobText.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0 || (compact.length / 4) * 3 < 20) throw invalid();
  return { repositoryId: Buffer.from(idHex, 'hex'), blobText };
}

/** True when the file starts with `BORG_KEY <id hex>` of the repository (checked on raw bytes). */
function headerMatches(head: Buffer, repositoryId: Uint8Array): 'match' | 'other-repo' | 'not-a-key' {
  const magic = Buffer.from(`${KEY_FILE_MAGIC} `, 'ascii');
  if (!head.subarray(0, magic.length).equals(magic)) return 'not-a-key';
  const id = Buffer.from(toHex(repositoryId), 'ascii');
  return head.subarray(magic.length, magic.length + id.length).equals(id) ? 'match' : 'other-repo';
}

/**
 * Reads a key file and checks that it belongs to the repository: KeyfileInvalidError when it is not
 * a key file, KeyfileMismatchError when it is another repository's.
 */
export async function readKeyFile(path: string, repositoryId: Uint8Array, location = ''): Promise<ParsedKeyFile> {
  const raw = await readFile(path);
  const verdict = headerMatches(raw, repositoryId);
  if (verdict === 'not-a-key') throw new KeyfileInvalidError(location, path);
  if (verdict === 'other-repo') throw new KeyfileMismatchError(location, path);
  return parseKeyFile(raw.toString('utf8'), { file: path, location });
}

/**
 * The first key file in `keysDir` (in name order) that belongs to the repository, or null. Files that
 * are not key files or belong to other repositories are skipped, as borg does.
 */
export async function findKeyFile(keysDir: string, repositoryId: Uint8Array): Promise<string | null> {
  let names: string[];
  try {
    names = (await readdir(keysDir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  for (const name of names) {
    const path = join(keysDir, name);
    try {
      await readKeyFile(path, repositoryId);
      return path;
    } catch (e) {
      if (e instanceof KeyfileInvalidError || e instanceof KeyfileMismatchError) continue;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'EACCES' || code === 'ENOENT') continue;
      throw e;
    }
  }
  return null;
}

export interface KeyFileLookup {
  keysDir: string;
  /** BORG_KEY_FILE, if set (relative paths are taken from the working directory). */
  keyFileEnv?: string;
  /** The canonical repository location, for error messages. */
  location?: string;
}

/** Where the existing key of a keyfile-mode repository is: $BORG_KEY_FILE, else a keys-dir scan. */
export async function locateKeyFile(repositoryId: Uint8Array, lookup: KeyFileLookup): Promise<string> {
  if (lookup.keyFileEnv) {
    const path = resolve(lookup.keyFileEnv);
    await readKeyFile(path, repositoryId, lookup.location ?? '');
    return path;
  }
  const found = await findKeyFile(lookup.keysDir, repositoryId);
  if (found === null) throw new KeyfileNotFoundError(lookup.location ?? '', lookup.keysDir);
  return found;
}

/**
 * The key file name borg derives from a location: non-word characters of the path become '_',
 * leading/trailing '_' are dropped, remote locations get '<host>__' in front, 100 characters at most.
 * `path` is the path as written in the location, not made absolute.
 */
export function keyFileName(location: { host?: string; path: string }): string {
  let name = location.path.replace(NON_WORD, '_').replace(/^_+|_+$/g, '');
  if (location.host !== undefined) name = `${location.host.replace(NON_WORD, '_')}__${name}`;
  const chars = Array.from(name);
  return chars.length > MAX_NAME_LENGTH ? chars.slice(0, MAX_NAME_LENGTH).join('') : name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Where `borg init` puts a new key file: $BORG_KEY_FILE if set, else the derived name in the keys
 * dir, with '.2', '.3', … appended while that name is taken.
 */
export async function newKeyFilePath(
  keysDir: string,
  location: { host?: string; path: string },
  options: { keyFileEnv?: string } = {},
): Promise<string> {
  if (options.keyFileEnv) return resolve(options.keyFileEnv);
  const base = join(keysDir, keyFileName(location));
  let path = base;
  for (let i = 2; await exists(path); i++) path = `${base}.${i}`;
  return path;
}

/**
 * Writes a key file atomically with mode 0600 (temp file, fsync, rename). With `create`, refuses to
 * replace an existing file, so a stray BORG_KEY_FILE never overwrites another repository's key.
 */
export async function writeKeyFile(path: string, text: string, options: { create?: boolean } = {}): Promise<void> {
  if (options.create && (await exists(path))) {
    throw new BorgError(`Cannot create the key file: "${path}" already exists`, { code: 'Error', args: [path] });
  }
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
