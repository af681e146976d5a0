// `init`: a new repository with a new key and an empty manifest (spec §8.7).
import { resolve } from 'node:path';
import { Key, newPassphrase, type KeyMode, type PassphraseOptions } from '../crypto/index.js';
import type { Env } from '../cache/paths.js';
import { LocalRepository } from '../repository/local-repository.js';
import type { Location } from '../remote/location.js';
import { RemoteRepository, type RemoteOptions } from '../remote/remote-repository.js';
import type { Repository } from '../repository/repository.js';
import { saveKey } from './key-store.js';
import { remoteOptions, RepositorySession } from './repository-session.js';

export interface InitOptions {
  encryption: KeyMode;
  appendOnly?: boolean;
  /** Bytes; 0 or undefined = no quota. */
  storageQuota?: number;
  makeParentDirs?: boolean;
  env?: Env;
  umask?: number;
  lockWait?: number | null;
  passphrase?: PassphraseOptions;
  /** PBKDF2 iterations for the key blob (tests only; borg uses 100000). */
  kdfIterations?: number;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
}

export interface InitResult {
  session: RepositorySession;
  keyFile?: string;
}

/** Creates the repository, stores its key and commits the first manifest. The session stays open. */
export async function initRepository(location: Location, options: InitOptions): Promise<InitResult> {
  const env = options.env ?? process.env;
  const repository = await createStore(location, options, env);
  try {
    const key = Key.generate(options.encryption, repository.id);
    let keyFile: string | undefined;
    if (key.storage !== 'none') {
      const passphrase = await newPassphrase({ allowEmpty: true, ...(options.passphrase ?? { env }) });
      const access = {
        location: location.canonicalPath(),
        locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
        env,
      };
      keyFile = await saveKey(repository, key, passphrase, access, { create: true, ...(options.kdfIterations ? { iterations: options.kdfIterations } : {}) });
    }
    const session = RepositorySession.fresh(location, repository, key, env, keyFile);
    await session.commit();
    session.security.tamRequired = key.tamRequired;
    return keyFile !== undefined ? { session, keyFile } : { session };
  } catch (e) {
    // Nothing was stored yet: leave no half-made repository behind (it would have no manifest).
    await repository.destroy().catch(() => undefined);
    await repository.close().catch(() => undefined);
    throw e;
  }
}

/** Creates the empty store: a directory, or through `borg serve` (which gets the quota on its command line, like borg's). */
async function createStore(location: Location, options: InitOptions, env: Env): Promise<Repository> {
  const lockWait = options.lockWait === undefined ? 1 : options.lockWait;
  if (location.proto === 'ssh') {
    return RemoteRepository.open(location, {
      env,
      remote: { ...remoteOptions(options), ...(options.storageQuota ? { storageQuota: options.storageQuota } : {}) },
      create: true,
      exclusive: true,
      lockWait,
      appendOnly: options.appendOnly ?? false,
      makeParentDirs: options.makeParentDirs ?? false,
    });
  }
  // An absolute path, so that refusals name the directory unambiguously (as borg does).
  return LocalRepository.create(resolve(location.path), {
    appendOnly: options.appendOnly ?? false,
    storageQuota: options.storageQuota ?? 0,
    makeParentDirs: options.makeParentDirs ?? false,
    lockWait,
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
  });
}
