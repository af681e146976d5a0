// Opening a repository the way every command needs it: the store (local now, remote later), its key
// unlocked, the manifest loaded and verified, the security checks of spec §2.11 passed, and — for
// writers — an IV supply backed by the nonce reservation protocol (§2.10). The CLI, web UI and FUSE
// mount all go through here; none of them touches keys or nonces directly.
import { BorgError } from '../errors.js';
import { Compressor, parseCompressionSpec } from '../compress/index.js';
import { IvSupply } from '../crypto/iv-supply.js';
import { MANIFEST_ID, manifestNonce, NonceManager, type Key, type NonceStore, type PassphraseOptions } from '../crypto/index.js';
import { ObjectCodec } from '../crypto/object-codec.js';
import { SecurityDir, type CacheSecurityInfo, type Confirm } from '../cache/security-dir.js';
import { assertSecureWithCacheDir } from '../cache/cache-security.js';
import { repositoryCacheDir } from '../cache/paths.js';
import type { Env } from '../cache/paths.js';
import { LocalRepository } from '../repository/local-repository.js';
import type { Repository } from '../repository/repository.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { loadKey } from './key-store.js';
import { Manifest, type ManifestOperation } from './manifest.js';

export interface SessionOptions {
  env?: Env;
  /** Exclusive lock for writers; shared for readers. */
  exclusive?: boolean;
  /** Seconds to wait for a lock (borg's --lock-wait, default 1). */
  lockWait?: number | null;
  /** Take no lock at all (--bypass-lock, read-only use). */
  bypassLock?: boolean;
  umask?: number;
  /** What the command will do, for the manifest's feature flags. */
  operations?: ManifestOperation[];
  passphrase?: PassphraseOptions;
  /** Answers yes/no questions (relocated or unknown unencrypted repository). */
  confirm: Confirm;
  /** The cache's view of the repository, when the caller has a cache open. */
  cacheSecurity?: CacheSecurityInfo;
  onWarning?: (message: string) => void;
  /** How to reach a repository over ssh (--rsh, --remote-path, upload limits, where server logs go). */
  remote?: RemoteOptions;
}

/** Opens the key-value store behind a location: a directory, or `borg serve` over ssh. */
export async function openStore(location: Location, options: SessionOptions & { create?: false }): Promise<Repository> {
  const lockWait = options.lockWait === undefined ? 1 : options.lockWait;
  if (location.proto === 'ssh') {
    // Loaded on use: local repositories need none of the RPC and ssh machinery.
    const { RemoteRepository } = await import('../remote/remote-repository.js');
    return RemoteRepository.open(location, {
      env: options.env ?? process.env,
      remote: remoteOptions(options),
      exclusive: options.exclusive ?? false,
      lockWait,
      lock: !options.bypassLock,
    });
  }
  return LocalRepository.open(location.path, {
    exclusive: options.exclusive ?? false,
    lockWait,
    lock: !options.bypassLock,
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
}

/** The remote options with the session's umask, which the server applies to the files it creates. */
export function remoteOptions(options: { remote?: RemoteOptions; umask?: number }): RemoteOptions {
  const remote = { ...options.remote };
  if (remote.umask === undefined && options.umask !== undefined) remote.umask = options.umask;
  return remote;
}

/** The NonceStore of a session: the repository's `nonce` file and the client's security dir. */
export function nonceStore(repository: Repository, security: SecurityDir): NonceStore {
  return {
    getRepoNonce: () => repository.getFreeNonce(),
    commitRepoNonce: (next, start) => repository.commitNonceReservation(next, start),
    getLocalNonce: () => security.getNonce(),
    setLocalNonce: (next) => security.setNonce(next),
  };
}

/** Reading needs no IVs: a codec that is only used to unpack gets this source. */
const NO_IVS = {
  take(): bigint {
    throw new Error('This codec only reads objects; use RepositorySession.writer() to write');
  },
};

export class RepositorySession {
  #ivs: IvSupply | null = null;

  private constructor(
    readonly location: Location,
    readonly repository: Repository,
    readonly key: Key,
    readonly manifest: Manifest,
    readonly security: SecurityDir,
    /** Reads objects (compression is detected from each object). */
    readonly codec: ObjectCodec,
    /** The manifest envelope as loaded: the session's first free IV follows it. */
    private readonly manifestEnvelope: Buffer | null,
    readonly keyFile: string | undefined,
  ) {}

  static async open(location: Location, options: SessionOptions): Promise<RepositorySession> {
    const repository = await openStore(location, options);
    try {
      return await RepositorySession.attach(location, repository, options);
    } catch (e) {
      await repository.close();
      throw e;
    }
  }

  /** Builds a session on an already opened store (init, or a store opened by a server). */
  static async attach(location: Location, repository: Repository, options: SessionOptions): Promise<RepositorySession> {
    const env = options.env ?? process.env;
    const security = new SecurityDir(repository.id.toString('hex'), env);
    let envelope: Buffer;
    try {
      envelope = await repository.get(MANIFEST_ID);
    } catch (e) {
      if (e instanceof BorgError && e.code === 'ObjectNotFound') throw new BorgError('Repository has no manifest', { code: 'NoManifestError' });
      throw e;
    }
    const canonical = location.canonicalPath();
    const loaded = await loadKey(repository, envelope, {
      location: canonical,
      locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
      env,
      ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      tamRequiredIfAbsent: security.tamRequired,
    });
    const key = loaded.key;
    const codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), NO_IVS);
    const manifest = Manifest.fromEnvelope(envelope, key, codec, options.operations ?? ['read']);
    if (manifest.tamVerified) security.tamRequired = manifest.config['tam_required'] === true;
    const check = {
      canonicalLocation: canonical,
      keyType: key.typeByte,
      logicallyEncrypted: key.encrypted && loaded.passphrase !== '',
      plaintext: key.mode === 'none',
      manifestTimestamp: manifest.timestamp ?? '',
      confirm: options.confirm,
    };
    // borg's assert_secure: when the repository has a cache here, its view takes part (under the
    // cache lock), so borg and borg-ts agree on relocations and replays.
    if (options.cacheSecurity) await security.assertSecure({ ...check, cache: options.cacheSecurity });
    else await assertSecureWithCacheDir(security, check, repositoryCacheDir(repository.id.toString('hex'), env), options.lockWait === undefined ? 1 : options.lockWait);
    const session = new RepositorySession(location, repository, key, manifest, security, codec, envelope, loaded.keyFile);
    session.logicallyEncrypted = check.logicallyEncrypted;
    session.confirm = options.confirm;
    return session;
  }

  /** false for unencrypted keys and keys whose passphrase is empty (they get borg's unencrypted-repo question). */
  logicallyEncrypted = true;
  /** How this session answers yes/no questions; the cache asks the same way. */
  confirm: Confirm = () => false;

  /** A session for a repository that `init` just created, with its fresh key and empty manifest. */
  static fresh(location: Location, repository: Repository, key: Key, env: Env, keyFile?: string): RepositorySession {
    const security = new SecurityDir(repository.id.toString('hex'), env);
    const codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('lz4')), NO_IVS);
    return new RepositorySession(location, repository, key, new Manifest(key), security, codec, null, keyFile);
  }

  /** The IV supply of this writer, created on first use from the nonce reservation. */
  ivSupply(): IvSupply {
    if (this.#ivs === null) {
      const manager = new NonceManager(nonceStore(this.repository, this.security), manifestNonce(this.key, this.manifestEnvelope));
      this.#ivs = new IvSupply(manager);
    }
    return this.#ivs;
  }

  /** An ObjectCodec that writes with `compression` (borg's -C spec) and this session's IVs. */
  writer(compression = 'lz4'): ObjectCodec {
    return new ObjectCodec(this.key, new Compressor(parseCompressionSpec(compression)), this.key.encrypted ? this.ivSupply() : null);
  }

  /** Makes sure the next objects written through `writer()` have reserved IVs (call before packing). */
  async prepareWrite(blocks?: number): Promise<void> {
    if (this.key.encrypted) await this.ivSupply().ensure(blocks);
  }

  /** Writes the manifest and commits the transaction; the security dir learns the new timestamp. */
  async commit(): Promise<void> {
    await this.prepareWrite();
    await this.manifest.write(this.repository, this.writer('lz4'));
    await this.repository.commit({ compact: false });
    this.security.save(this.location.canonicalPath(), this.key.typeByte, this.manifest.timestamp!);
  }

  async close(): Promise<void> {
    await this.repository.close();
  }
}
