// `upgrade --tam / --check-tam / --disable-tam` (spec §2.12, §8.7): whether the manifest must carry
// a TAM is recorded in three places — the key (tam_required), the manifest's config and this
// client's security dir — and these commands set, check or clear all three.
//
// They open the repository their own way, like borg: without the security checks of a normal
// session (they are the repair tool for what those checks complain about), and with --force a
// manifest without TAM is accepted although the key requires one, which is how a repository that
// a pre-1.0.9 client modified is brought back. An invalid TAM is still refused.

import { Compressor, parseCompressionSpec } from '../compress/index.js';
import { IvSupply } from '../crypto/iv-supply.js';
import { Key, MANIFEST_ID, manifestNonce, NonceManager, type PassphraseOptions } from '../crypto/index.js';
import { ObjectCodec } from '../crypto/object-codec.js';
import type { Env } from '../cache/paths.js';
import { SecurityDir } from '../cache/security-dir.js';
import { BorgError } from '../errors.js';
import { SILENT_LOG, type LogSink } from '../progress.js';
import type { Repository } from '../repository/repository.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { selectArchives } from './archive-selection.js';
import { loadKey, saveKey } from './key-store.js';
import { Manifest, NoManifestError, type ArchiveEntry, type ManifestOperation } from './manifest.js';
import { nonceStore, openStore } from './repository-session.js';

export interface TamUpgradeOptions {
  env?: Env;
  /** Seconds to wait for the repository lock (default 1; null: forever). */
  lockWait?: number | null;
  umask?: number;
  passphrase?: PassphraseOptions;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
  /** --force: accept a manifest without TAM even though the key requires one. */
  force?: boolean;
  /** Receives the warning that manifest authentication is off for this run. */
  log?: LogSink;
}

/** The IV source of the reading codec, which never seals (writes go through writer()). */
const READ_ONLY = {
  take(): bigint {
    throw new Error('This codec only reads objects; use TamSession.writer() to write');
  },
};

/** The repository opened for a TAM upgrade: exclusive lock, key, manifest, security dir. */
export class TamSession {
  #ivs: IvSupply | null = null;
  /**
   * Whether the manifest written by commit() says tam_required: the stored key's setting, like
   * borg, whose --force only relaxes reading. Follows the key when saveKeyWith() changes it.
   */
  tamRequiredOnWrite: boolean;

  constructor(
    readonly location: Location,
    readonly repository: Repository,
    /** The key as stored (its tamRequired is what the key file or repokey says). */
    readonly key: Key,
    readonly manifest: Manifest,
    readonly security: SecurityDir,
    readonly codec: ObjectCodec,
    private readonly manifestEnvelope: Buffer,
    /** The passphrase that unlocked the key: the key is stored again with it. */
    readonly passphrase: string,
    readonly keyFile: string | undefined,
    readonly env: Env,
  ) {
    this.tamRequiredOnWrite = key.tamRequired;
  }

  static async open(location: Location, operations: ManifestOperation[], options: TamUpgradeOptions): Promise<TamSession> {
    const env = options.env ?? process.env;
    const repository = await openStore(location, {
      env, exclusive: true, confirm: () => false,
      lockWait: options.lockWait === undefined ? 1 : options.lockWait,
      ...(options.umask !== undefined ? { umask: options.umask } : {}),
      ...(options.remote ? { remote: options.remote } : {}),
    });
    try {
      const security = new SecurityDir(repository.id.toString('hex'), env);
      let envelope: Buffer;
      try {
        envelope = await repository.get(MANIFEST_ID);
      } catch (e) {
        if (e instanceof BorgError && e.code === 'ObjectNotFound') throw new NoManifestError();
        throw e;
      }
      const loaded = await loadKey(repository, envelope, {
        ...keyAccess(location, env), ...(options.passphrase ? { passphrase: options.passphrase } : {}), tamRequiredIfAbsent: security.tamRequired,
      });
      const key = loaded.key;
      // The manifest is read (and later written) with a key that does not insist on a TAM when forced.
      let manifestKey = key;
      if (options.force && key.tamRequired) {
        (options.log ?? SILENT_LOG).log('warning', 'Manifest authentication is disabled for this run');
        manifestKey = Key.fromMaterial(key.mode, { ...key.material, tamRequired: false });
      }
      const codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), READ_ONLY);
      const manifest = Manifest.fromEnvelope(envelope, manifestKey, codec, operations);
      // A verified manifest is authoritative for the security dir's marker (as on every load in borg).
      if (manifest.tamVerified) security.tamRequired = manifest.config['tam_required'] === true;
      return new TamSession(location, repository, key, manifest, security, codec, envelope, loaded.passphrase, loaded.keyFile, env);
    } catch (e) {
      await repository.close();
      throw e;
    }
  }

  /** An ObjectCodec that writes with this session's IVs (call prepareWrite() before packing). */
  writer(): ObjectCodec {
    return new ObjectCodec(this.key, new Compressor(parseCompressionSpec('lz4')), this.key.encrypted ? this.ivSupply() : null);
  }

  async prepareWrite(): Promise<void> {
    if (this.key.encrypted) await this.ivSupply().ensure();
  }

  private ivSupply(): IvSupply {
    this.#ivs ??= new IvSupply(new NonceManager(nonceStore(this.repository, this.security), manifestNonce(this.key, this.manifestEnvelope)));
    return this.#ivs;
  }

  /** Writes the manifest and commits; the security dir learns the new timestamp. */
  async commit(): Promise<void> {
    await this.prepareWrite();
    if (this.tamRequiredOnWrite) this.manifest.config['tam_required'] = true;
    await this.manifest.write(this.repository, this.writer());
    await this.repository.commit({ compact: false });
    this.security.save(this.location.canonicalPath(), this.key.typeByte, this.manifest.timestamp!);
  }

  /** Stores the key again with `tamRequired` and the same passphrase; returns where it lives. */
  async saveKeyWith(tamRequired: boolean): Promise<string> {
    const updated = Key.fromMaterial(this.key.mode, { ...this.key.material, tamRequired });
    const keyFile = await saveKey(this.repository, updated, this.passphrase, keyAccess(this.location, this.env), this.keyFile ? { keyFile: this.keyFile } : {});
    this.tamRequiredOnWrite = tamRequired;
    return keyFile ?? this.location.canonicalPath();
  }

  async close(): Promise<void> {
    await this.repository.close();
  }
}

function keyAccess(location: Location, env: Env) {
  return {
    location: location.canonicalPath(),
    locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
    env,
  };
}

export interface ManifestTamResult {
  /** The manifest had no verified TAM or did not require one (fixed unless checking). */
  manifestIssue: boolean;
  /** Archives, oldest first, of a manifest that was fixed: the user should check them. */
  archives: ArchiveEntry[];
  /** The key did not require a TAM (fixed unless checking; keys without a passphrase have none). */
  keyIssue: boolean;
  /** Where the updated key is stored (its key file, or the repository), when it was updated. */
  keyLocation?: string;
  /** This client's security dir did not require a TAM (fixed unless checking). */
  securityIssue: boolean;
}

/** `--tam` (or `--check-tam` with `checkOnly`): make manifest, key and security dir require a TAM. */
export async function requireManifestTam(location: Location, options: TamUpgradeOptions & { checkOnly?: boolean } = {}): Promise<ManifestTamResult> {
  const session = await TamSession.open(location, ['check'], options);
  try {
    const { manifest, key, security } = session;
    const result: ManifestTamResult = { manifestIssue: false, archives: [], keyIssue: false, securityIssue: false };
    if (!manifest.tamVerified || manifest.config['tam_required'] !== true) {
      result.manifestIssue = true;
      if (!options.checkOnly) {
        result.archives = selectArchives(manifest.archives.values(), { considerCheckpoints: true });
        manifest.config['tam_required'] = true;
        await session.commit();
      }
    }
    // Unencrypted keys are not stored anywhere, so there is no tam_required flag to set.
    if (!key.tamRequired && key.storage !== 'none') {
      result.keyIssue = true;
      if (!options.checkOnly) result.keyLocation = await session.saveKeyWith(true);
    }
    if (!security.tamRequired) {
      result.securityIssue = true;
      if (!options.checkOnly) security.tamRequired = true;
    }
    return result;
  } finally {
    await session.close();
  }
}

/** `--disable-tam`: key, security dir and manifest stop requiring a manifest TAM. */
export async function disableManifestTam(location: Location, options: Omit<TamUpgradeOptions, 'force'> = {}): Promise<{ keyLocation?: string }> {
  const session = await TamSession.open(location, [], { ...options, force: true });
  try {
    const result: { keyLocation?: string } = {};
    session.security.tamRequired = false;
    if (session.key.tamRequired && session.key.storage !== 'none') result.keyLocation = await session.saveKeyWith(false);
    session.manifest.config['tam_required'] = false;
    await session.commit();
    return result;
  } finally {
    await session.close();
  }
}
