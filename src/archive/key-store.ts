// Where a repository's key lives and how it is unlocked (spec §2.6–§2.8): repokey and
// authenticated modes keep the encrypted key blob in the repository config, keyfile modes in a file
// in the keys dir (or BORG_KEY_FILE). Loading asks for the passphrase through the sources borg uses.
import { BorgError } from '../errors.js';
import {
  decryptKeyBlob,
  detectKeyMode,
  encryptKeyBlob,
  formatKeyFile,
  generateKeyMaterial,
  Key,
  keyBlobFromText,
  keyBlobToText,
  keyModeInfo,
  locateKeyFile,
  newKeyFilePath,
  readKeyFile,
  unlockWithPassphrase,
  writeKeyFile,
  type KeyMaterial,
  type KeyMode,
  type PassphraseOptions,
} from '../crypto/index.js';
import { keysDir, type Env } from '../cache/paths.js';
import type { Repository } from '../repository/repository.js';

export class NoKeyEntry extends BorgError {
  constructor(location: string) {
    super(`No key entry found in the config of repository ${location}`, { code: 'RepoKeyNotFoundError', args: [location] });
  }
}

export interface KeyAccess {
  /** Canonical repository location, for prompts and messages. */
  location: string;
  /** The location as the user wrote it: keyfile names are derived from it. */
  locationParts: { host?: string; path: string };
  env: Env;
  passphrase?: PassphraseOptions;
  /** The security dir's tam_required marker, for keys from before borg 1.0.9 (no tam_required field). */
  tamRequiredIfAbsent?: boolean;
}

export interface LoadedKey {
  key: Key;
  /** The key file used (keyfile modes). */
  keyFile?: string;
  /** The passphrase that unlocked it ('' for modes without one). */
  passphrase: string;
}

/** The encrypted key blob of a repository, wherever it is kept. */
export async function readKeyBlob(repository: Repository, mode: KeyMode, access: KeyAccess): Promise<{ blob: Buffer; keyFile?: string }> {
  const storage = keyModeInfo(mode).storage;
  if (storage === 'keyfile') {
    const keyFile = await locateKeyFile(repository.id, { keysDir: keysDir(access.env), keyFileEnv: access.env['BORG_KEY_FILE'], location: access.location });
    const parsed = await readKeyFile(keyFile, repository.id, access.location);
    return { blob: keyBlobFromText(parsed.blobText), keyFile };
  }
  const text = (await repository.loadKey()).toString('utf8').trim();
  if (!text) throw new NoKeyEntry(access.location);
  return { blob: keyBlobFromText(text) };
}

/**
 * Loads the key matching the manifest's envelope type (its first byte) and unlocks it: the
 * environment's passphrase, else the empty one, else the user is asked.
 */
export async function loadKey(repository: Repository, manifestEnvelope: Uint8Array, access: KeyAccess): Promise<LoadedKey> {
  if (manifestEnvelope.byteLength === 0) throw new BorgError('Cannot read the manifest: it is empty', { code: 'IntegrityError' });
  const mode = detectKeyMode(manifestEnvelope[0]!);
  if (mode === 'none') return { key: Key.fromMaterial('none', generateKeyMaterial('none', repository.id)), passphrase: '' };
  const { blob, keyFile } = await readKeyBlob(repository, mode, access);
  const decrypt = (passphrase: string): KeyMaterial | null =>
    decryptKeyBlob(blob, passphrase, access.tamRequiredIfAbsent === undefined ? {} : { tamRequiredIfAbsent: access.tamRequiredIfAbsent });
  const prompt = `Enter passphrase for key ${keyFile ?? access.location}: `;
  const { value: material, passphrase } = await unlockWithPassphrase(decrypt, prompt, access.passphrase ?? { env: access.env });
  const result: LoadedKey = { key: Key.fromMaterial(mode, material), passphrase };
  if (keyFile !== undefined) result.keyFile = keyFile;
  return result;
}

/**
 * Stores `key` encrypted with `passphrase` where its mode keeps it. `create` refuses to overwrite an
 * existing key file (init); otherwise the key is replaced (change-passphrase, key import).
 * Returns the key file path for keyfile modes.
 */
export async function saveKey(
  repository: Repository,
  key: Key,
  passphrase: string,
  access: KeyAccess,
  options: { create?: boolean; keyFile?: string; iterations?: number } = {},
): Promise<string | undefined> {
  if (key.storage === 'none') return undefined;
  const blobText = keyBlobToText(encryptKeyBlob(key.material, passphrase, options.iterations ? { iterations: options.iterations } : {}));
  if (key.storage === 'repokey') {
    await repository.saveKey(Buffer.from(blobText, 'utf8'));
    return undefined;
  }
  const keyFile = options.keyFile ?? (await newKeyFilePath(keysDir(access.env), access.locationParts, { keyFileEnv: access.env['BORG_KEY_FILE'] }));
  await writeKeyFile(keyFile, formatKeyFile(repository.id, blobText), { create: options.create ?? false });
  return keyFile;
}
