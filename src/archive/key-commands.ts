// The `key` commands (spec §2.6–§2.8, §2.13): export and import of the encrypted key blob (as a
// key file, a paper key or an HTML page), changing the passphrase that protects it, and migrating
// a legacy passphrase-mode repository to repokey. Export and import never need the passphrase:
// the blob stays encrypted.
import { resolve } from 'node:path';
import { keyQrSvg } from '../crypto/key-qr.js';
import { BorgError, IntegrityError } from '../errors.js';
import {
  detectKeyMode,
  formatKeyFile,
  formatPaperKey,
  findKeyFile,
  Key,
  keyBlobFromText,
  keyModeInfo,
  KEY_MODES,
  LEGACY_PASSPHRASE_TYPE,
  legacyPassphraseMaterial,
  locateKeyFile,
  MANIFEST_ID,
  newKeyFilePath,
  newPassphrase,
  NotABorgKeyFile,
  PaperKeyReader,
  parseKeyFile,
  readKeyFile,
  renderKeyHtml,
  RepoIdMismatch,
  RepoKeyNotFoundError,
  UnencryptedRepo,
  unlockWithPassphrase,
  writeKeyFile,
  type KeyMaterial,
  type KeyMode,
  type PassphraseOptions,
} from '../crypto/index.js';
import { keysDir, type Env } from '../cache/paths.js';
import type { Confirm } from '../cache/security-dir.js';
import type { Repository } from '../repository/repository.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { saveKey, type KeyAccess } from './key-store.js';
import { NoManifestError } from './manifest.js';
import { openStore, RepositorySession } from './repository-session.js';

export type KeyExportFormat = 'keyfile' | 'paper' | 'html';

export interface KeyCommandOptions {
  env?: Env;
  /** Seconds to wait for the repository lock (commands that write). */
  lockWait?: number | null;
  umask?: number;
  passphrase?: PassphraseOptions;
  /** Answers the security questions of commands that open the manifest (change-passphrase). */
  confirm?: Confirm;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
}

function keyAccess(location: Location, env: Env): KeyAccess {
  return {
    location: location.canonicalPath(),
    locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
    env,
  };
}

async function manifestEnvelope(repository: Repository): Promise<Buffer> {
  try {
    return await repository.get(MANIFEST_ID);
  } catch (e) {
    if (e instanceof BorgError && e.code === 'ObjectNotFound') throw new NoManifestError();
    throw e;
  }
}

/** The key mode named by the manifest; refuses repositories without a key to manage. */
async function managedKeyMode(repository: Repository): Promise<KeyMode> {
  const envelope = await manifestEnvelope(repository);
  const mode = detectKeyMode(envelope[0] ?? -1);
  if (keyModeInfo(mode).storage === 'none') throw new UnencryptedRepo();
  return mode;
}

/** The base64 text of the stored key blob (as kept in the key file or the repository config). */
async function storedBlobText(repository: Repository, mode: KeyMode, access: KeyAccess): Promise<string> {
  if (keyModeInfo(mode).storage === 'keyfile') {
    const file = await locateKeyFile(repository.id, { keysDir: keysDir(access.env), keyFileEnv: access.env['BORG_KEY_FILE'], location: access.location });
    return (await readKeyFile(file, repository.id, access.location)).blobText;
  }
  const text = (await repository.loadKey()).toString('utf8').trim();
  if (text === '') throw new RepoKeyNotFoundError(access.location);
  return text;
}

/**
 * The repository's key in one of the export formats. The key file format is the same for every
 * mode (a repokey exports as a key file too), so any export can be imported into any copy.
 */
export async function exportKey(location: Location, format: KeyExportFormat, options: KeyCommandOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  // Like borg, without a lock: exporting reads only, and must work while a backup runs.
  const repository = await openStore(location, { env, bypassLock: true, confirm: () => false, ...(options.remote ? { remote: options.remote } : {}) });
  try {
    const mode = await managedKeyMode(repository);
    const blobText = await storedBlobText(repository, mode, keyAccess(location, env));
    if (format === 'paper') return formatPaperKey(keyBlobFromText(blobText), repository.id);
    const keyFileText = formatKeyFile(repository.id, blobText);
    return format === 'html' ? renderKeyHtml(keyFileText, { qrSvg: keyQrSvg }) : keyFileText;
  } finally {
    await repository.close();
  }
}

/**
 * Checks that `text` is a key export of the repository with id `repositoryId` and returns its blob
 * text: NotABorgKeyFile for anything else, RepoIdMismatch for another repository's key.
 */
export function keyBlobTextFromExport(text: string, repositoryId: Buffer): string {
  const header = `BORG_KEY ${repositoryId.toString('hex')}\n`;
  if (!text.startsWith(header)) throw text.startsWith('BORG_KEY') ? new RepoIdMismatch() : new NotABorgKeyFile();
  try {
    return parseKeyFile(text).blobText.trim();
  } catch {
    throw new NotABorgKeyFile();
  }
}

export interface PaperKeyIo {
  /** Shows the prompt for the next line ('id: ', ' 1: ', ...) and reads it; null at end of input. */
  ask(prompt: string): Promise<string | null>;
  /** A correction request for the line just typed. */
  tell(message: string): void;
  /** After an empty line: true to give up. */
  confirmAbort(): Promise<boolean>;
}

/**
 * Lets a person type a paper key line by line (`key import --paper`): each line is checked on the
 * spot and asked again when mistyped; a wrong overall checksum starts over at the id line. Returns
 * the key file text for importKey, or null when the input ends or the person gives up.
 */
export async function typePaperKey(repositoryId: Buffer, io: PaperKeyIo): Promise<string | null> {
  const reader = new PaperKeyReader(repositoryId);
  for (;;) {
    const line = await io.ask(`${reader.label}: `);
    if (line === null) return null;
    if (line.trim() === '') {
      if (await io.confirmAbort()) return null;
      continue;
    }
    const result = reader.feed(line);
    if (result.status === 'done') return formatKeyFile(repositoryId, result.blobText);
    if (result.status !== 'accepted') io.tell(result.message);
  }
}

/** Where an imported key file goes: $BORG_KEY_FILE, else the repository's existing key file, else a new name. */
async function importTarget(repository: Repository, access: KeyAccess): Promise<string> {
  const fromEnv = access.env['BORG_KEY_FILE'];
  if (fromEnv) return resolve(fromEnv);
  const dir = keysDir(access.env);
  return (await findKeyFile(dir, repository.id)) ?? (await newKeyFilePath(dir, access.locationParts));
}

export interface KeyImportResult {
  /** False when the source gave up (e.g. the user aborted a paper import). */
  imported: boolean;
  /** The key file written (keyfile modes). */
  keyFile?: string;
}

/**
 * Restores a key from an export. `obtain(repositoryId)` delivers the export as key file text (a
 * paper import builds it from the typed lines) or null to abort. A keyfile key is written to its
 * key file, a repokey into the repository config (under an exclusive lock).
 */
export async function importKey(
  location: Location,
  obtain: (repositoryId: Buffer) => Promise<string | null>,
  options: KeyCommandOptions = {},
): Promise<KeyImportResult> {
  const env = options.env ?? process.env;
  const access = keyAccess(location, env);
  // A keyfile import writes nothing into the repository: no lock, so read-only media work too.
  let repository = await openStore(location, { env, bypassLock: true, confirm: () => false, ...(options.remote ? { remote: options.remote } : {}) });
  try {
    const mode = await managedKeyMode(repository);
    const text = await obtain(repository.id);
    if (text === null) return { imported: false };
    const blobText = keyBlobTextFromExport(text, repository.id);
    if (keyModeInfo(mode).storage === 'keyfile') {
      const keyFile = await importTarget(repository, access);
      await writeKeyFile(keyFile, formatKeyFile(repository.id, blobText));
      return { imported: true, keyFile };
    }
    await repository.close();
    repository = await openStore(location, {
      env, exclusive: true, lockWait: options.lockWait ?? 1, confirm: () => false, ...(options.umask !== undefined ? { umask: options.umask } : {}), ...(options.remote ? { remote: options.remote } : {}),
    });
    await repository.saveKey(Buffer.from(blobText, 'utf8'));
    return { imported: true };
  } finally {
    await repository.close();
  }
}

/**
 * Encrypts the key with a new passphrase (BORG_NEW_PASSPHRASE or asked twice) and stores it where it
 * was: the same key file, or the repository config. Returns the key file for keyfile modes.
 */
export async function changePassphrase(location: Location, options: KeyCommandOptions = {}): Promise<{ keyFile?: string }> {
  const env = options.env ?? process.env;
  const passphrase = options.passphrase ?? { env };
  const session = await RepositorySession.open(location, {
    env, exclusive: true, operations: ['check'], passphrase, confirm: options.confirm ?? (() => false),
    ...(options.lockWait !== undefined ? { lockWait: options.lockWait } : {}),
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  });
  try {
    if (session.key.storage === 'none') throw new UnencryptedRepo();
    const secret = await newPassphrase({ allowEmpty: true, ...passphrase });
    const keyFile = await saveKey(session.repository, session.key, secret, keyAccess(location, env), session.keyFile ? { keyFile: session.keyFile } : {});
    return keyFile !== undefined ? { keyFile } : {};
  } finally {
    await session.close();
  }
}

/** The repository does not use the legacy passphrase mode, so there is nothing to migrate. */
export class NotPassphraseMode extends BorgError {
  constructor(location: string, typeByte: number) {
    const mode = KEY_MODES.find((m) => keyModeInfo(m).typeByte === typeByte);
    super(`Cannot migrate ${location} to repokey: it uses ${mode !== undefined ? `the ${mode} mode` : `key type ${typeByte}`}, not the passphrase mode`, { code: 'Error', args: [location] });
  }
}

/**
 * `key migrate-to-repokey`: a repository of the passphrase mode (removed in borg 1.0, TYPE 0x01)
 * gets a repokey holding the very secrets its passphrase derives, protected by a new passphrase.
 * Data and manifest stay as they are; borg reads TYPE 0x01 objects with the repokey.
 */
export async function migrateToRepokey(location: Location, options: KeyCommandOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const passphrase = options.passphrase ?? { env };
  const repository = await openStore(location, {
    env, exclusive: true, confirm: () => false,
    ...(options.lockWait !== undefined ? { lockWait: options.lockWait } : {}),
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  });
  try {
    const envelope = await manifestEnvelope(repository);
    if (envelope[0] !== LEGACY_PASSPHRASE_TYPE) throw new NotPassphraseMode(location.canonicalPath(), envelope[0] ?? -1);
    // The right passphrase derives the key that opens the manifest envelope (its MAC verifies).
    const derive = (candidate: string): KeyMaterial | null => {
      const material = legacyPassphraseMaterial(candidate, repository.id);
      try {
        Key.fromMaterial('repokey', material).open(envelope);
        return material;
      } catch (e) {
        if (e instanceof IntegrityError) return null;
        throw e;
      }
    };
    const { value: material } = await unlockWithPassphrase(derive, `Enter passphrase for ${location.canonicalPath()}: `, passphrase);
    // A new repokey requires manifest authentication, as every key borg >= 1.0.9 makes.
    const key = Key.fromMaterial('repokey', { ...material, tamRequired: true });
    const secret = await newPassphrase({ allowEmpty: true, ...passphrase });
    await saveKey(repository, key, secret, keyAccess(location, env));
  } finally {
    await repository.close();
  }
}
