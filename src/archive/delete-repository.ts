// `delete REPOSITORY` (spec §8.7): the whole repository, then the client's security dir for it
// (unless kept) and its cache; or, with `cacheOnly`, just the cache. The repository is opened with
// the exclusive lock so nobody is writing while it goes. Before anything is removed the caller is
// shown what would go (the archives, when the manifest can be read) and must agree.
//
// The repository removes its `config` first and then the rest, so a deletion that is cut short
// never leaves something that looks like a repository with parts missing. An append-only
// repository refuses, and then nothing at all is removed.
import { destroyCache } from '../cache/cache-dir.js';
import type { Env } from '../cache/paths.js';
import { SecurityDir } from '../cache/security-dir.js';
import { Compressor, parseCompressionSpec } from '../compress/index.js';
import { MANIFEST_ID, type PassphraseOptions } from '../crypto/index.js';
import { ObjectCodec } from '../crypto/object-codec.js';
import { BorgError } from '../errors.js';
import { SILENT_LOG, type LogSink } from '../progress.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import type { Repository } from '../repository/repository.js';
import { loadKey } from './key-store.js';
import { Manifest, type ArchiveEntry } from './manifest.js';
import { openStore } from './repository-session.js';

export interface RepositoryOverview {
  idHex: string;
  /** Canonical location. */
  location: string;
  /** The archives as the manifest lists them; null when the repository has no manifest. */
  archives: ArchiveEntry[] | null;
}

export interface DeleteRepositoryOptions {
  env?: Env;
  lockWait?: number | null;
  umask?: number;
  passphrase?: PassphraseOptions;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
  /** Delete only the client cache of the repository. */
  cacheOnly?: boolean;
  /** Keep the security dir (nonces, manifest timestamp) of the deleted repository. */
  keepSecurityInfo?: boolean;
  /** Report what would be deleted; change nothing. */
  dryRun?: boolean;
  /**
   * Asked before the repository is deleted (not for `cacheOnly`); false keeps everything. Omit it
   * (borg's --force) to delete without asking — then the key is not needed either.
   */
  confirm?: (overview: RepositoryOverview) => Promise<boolean>;
  /** Receives borg's info messages ("Repository deleted.", "Would delete cache.", ...). */
  log?: LogSink;
}

export interface DeleteRepositoryResult {
  /** false: the confirmation was refused and nothing was changed. */
  confirmed: boolean;
}

/** Reads the archive list for the confirmation; null when there is no manifest. */
async function listArchives(repository: Repository, location: Location, options: DeleteRepositoryOptions): Promise<ArchiveEntry[] | null> {
  let envelope: Buffer;
  try {
    envelope = await repository.get(MANIFEST_ID);
  } catch (e) {
    if (e instanceof BorgError && e.code === 'ObjectNotFound') return null;
    throw e;
  }
  const env = options.env ?? process.env;
  const { key } = await loadKey(repository, envelope, {
    location: location.canonicalPath(),
    locationParts: location.host !== undefined ? { host: location.host, path: location.path } : { path: location.path },
    env,
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    tamRequiredIfAbsent: new SecurityDir(repository.id.toString('hex'), env).tamRequired,
  });
  // Only reading: the codec never seals anything.
  const codec = new ObjectCodec(key, new Compressor(parseCompressionSpec('none')), { take: () => { throw new Error('Reading only'); } });
  // Whatever features the repository demands, listing its archives to the user is allowed.
  const manifest = Manifest.fromEnvelope(envelope, key, codec, []);
  return [...manifest.archives.values()];
}

/** Deletes the repository at `location` (or only its cache) with what belongs to it on this client. */
export async function deleteRepository(location: Location, options: DeleteRepositoryOptions = {}): Promise<DeleteRepositoryResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? SILENT_LOG;
  const repository = await openStore(location, {
    env, exclusive: true, lockWait: options.lockWait === undefined ? 1 : options.lockWait, confirm: () => false,
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  });
  const idHex = repository.id.toString('hex');
  try {
    if (!options.cacheOnly) {
      if (options.confirm) {
        const archives = await listArchives(repository, location, options);
        if (!(await options.confirm({ idHex, location: location.canonicalPath(), archives }))) return { confirmed: false };
      }
      if (options.dryRun) {
        log.log('info', 'Would delete repository.');
        log.log('info', `Would ${options.keepSecurityInfo ? 'keep' : 'delete'} security info.`);
      } else {
        await repository.destroy();
        log.log('info', 'Repository deleted.');
        if (!options.keepSecurityInfo) new SecurityDir(idHex, env).destroy();
      }
    }
    if (options.dryRun) {
      log.log('info', 'Would delete cache.');
    } else {
      destroyCache(idHex, { env });
      log.log('info', 'Cache deleted.');
    }
    return { confirmed: true };
  } finally {
    await repository.close();
  }
}
