// One repository as the web server serves it. The key is unlocked once at start-up (the
// passphrase comes from the environment or the terminal and stays in this process); the
// repository itself is opened with a shared lock only while a request reads from it, and closed
// shortly after the last one, so that backups, prune and compact can run while a user browses.
import { MANIFEST_ID, type Key, type PassphraseOptions } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Confirm, SecurityDir } from '../cache/security-dir.js';
import type { Env } from '../cache/paths.js';
import { LocalCache } from '../cache/local-cache.js';
import type { Location } from '../remote/location.js';
import type { Repository } from '../repository/repository.js';
import { Manifest } from '../archive/manifest.js';
import { openStore, RepositorySession } from '../archive/repository-session.js';
import type { ArchiveSource } from '../archive/archive-reader.js';
import { loadArchiveMeta, type LoadedArchiveMeta } from '../archive/archive-meta.js';
import { ArchiveDoesNotExist } from '../archive/errors.js';
import type { LogSink } from '../progress.js';
import type { RemoteOptions } from '../remote/remote-repository.js';

export interface WebRepositoryOptions {
  env: Env;
  /** Seconds to wait for the repository and cache locks. */
  lockWait: number;
  passphrase: PassphraseOptions;
  confirm: Confirm;
  log?: LogSink;
  /** For ssh:// repositories: remote shell, remote path, upload limits, server log lines. */
  remote?: RemoteOptions;
}

/** How long an idle store stays open (and locked) after the last reader, to spare re-opening. */
const IDLE_CLOSE_MS = 1000;

interface OpenStore {
  source: ArchiveSource;
  users: number;
  timer: NodeJS.Timeout | null;
}

export class WebRepository {
  #store: Promise<OpenStore> | null = null;
  #meta = new Map<string, LoadedArchiveMeta>();
  /** The manifest's archive list as last read, and when. */
  #archives: { map: Manifest['archives']; at: number } | null = null;

  private constructor(
    readonly location: Location,
    readonly idHex: string,
    readonly key: Key,
    readonly codec: ObjectCodec,
    private readonly security: SecurityDir,
    private readonly logicallyEncrypted: boolean,
    private readonly options: WebRepositoryOptions,
  ) {}

  /** Unlocks the key and runs the security checks, then lets go of the repository. */
  static async open(location: Location, options: WebRepositoryOptions): Promise<WebRepository> {
    const session = await RepositorySession.open(location, {
      env: options.env, exclusive: false, lockWait: options.lockWait, operations: ['read'], passphrase: options.passphrase, confirm: options.confirm,
      ...(options.remote ? { remote: options.remote } : {}),
    });
    try {
      return new WebRepository(location, session.repository.id.toString('hex'), session.key, session.codec, session.security, session.logicallyEncrypted, options);
    } finally {
      await session.close();
    }
  }

  get name(): string {
    return this.location.canonicalPath();
  }

  /** Runs `fn` with the repository open under a shared lock and its manifest as it is now. */
  async read<T>(fn: (source: ArchiveSource) => Promise<T>): Promise<T> {
    const store = await this.#acquire();
    try {
      return await fn(store.source);
    } finally {
      this.#release(store);
    }
  }

  /**
   * The manifest entry of archive `name`, from the manifest as read at most `maxAgeMs` ago (or
   * read now): listings served from a saved archive tree then need no repository access at all.
   */
  async archiveEntry(name: string, maxAgeMs = 5000): Promise<{ name: string; id: Buffer; time: string }> {
    const known = this.#archives;
    const fresh = known !== null && Date.now() - known.at <= maxAgeMs ? known.map.get(name) : undefined;
    if (fresh !== undefined) return fresh;
    const entry = await this.read(async (source) => source.manifest.archives.get(name));
    if (entry === undefined) throw new ArchiveDoesNotExist(name);
    return entry;
  }

  /** Archive metadata by archive name (cached by id: archives never change). */
  async archive(source: ArchiveSource, name: string): Promise<LoadedArchiveMeta> {
    const entry = source.manifest.archives.get(name);
    if (entry === undefined) throw new ArchiveDoesNotExist(name);
    const hex = entry.id.toString('hex');
    let meta = this.#meta.get(hex);
    if (meta === undefined) {
      meta = await loadArchiveMeta(source.repository, source.codec, source.key, entry.id);
      this.#meta.set(hex, meta);
    }
    return meta;
  }

  /** Runs `fn` with the local cache open (synchronised with the repository), e.g. for deduplicated sizes. */
  async withCache<T>(fn: (source: ArchiveSource, cache: LocalCache) => Promise<T>): Promise<T> {
    return this.read(async (source) => {
      const session = { location: this.location, repository: source.repository, key: this.key, manifest: source.manifest, security: this.security, codec: this.codec };
      const cache = await LocalCache.open(session, {
        env: this.options.env, lockWait: this.options.lockWait, confirm: this.options.confirm, logicallyEncrypted: this.logicallyEncrypted,
        ...(this.options.log ? { log: this.options.log } : {}),
      });
      try {
        return await fn(source, cache);
      } finally {
        await cache.close();
      }
    });
  }

  async close(): Promise<void> {
    const store = this.#store;
    this.#store = null;
    if (store === null) return;
    const open = await store.catch(() => null);
    if (open?.timer) clearTimeout(open.timer);
    await open?.source.repository.close();
  }

  #acquire(): Promise<OpenStore> {
    if (this.#store === null) {
      const opening = this.#openStore();
      this.#store = opening;
      opening.catch(() => {
        if (this.#store === opening) this.#store = null;
      });
    }
    return this.#store.then((store) => {
      store.users += 1;
      if (store.timer) {
        clearTimeout(store.timer);
        store.timer = null;
      }
      return store;
    });
  }

  #release(store: OpenStore): void {
    store.users -= 1;
    if (store.users > 0) return;
    store.timer = setTimeout(() => {
      if (store.users > 0) return;
      this.#store = null;
      void store.source.repository.close().catch(() => undefined);
    }, IDLE_CLOSE_MS);
    store.timer.unref();
  }

  async #openStore(): Promise<OpenStore> {
    const repository: Repository = await openStore(this.location, {
      env: this.options.env, exclusive: false, lockWait: this.options.lockWait, confirm: this.options.confirm,
      ...(this.options.remote ? { remote: this.options.remote } : {}),
    });
    try {
      const manifest = Manifest.fromEnvelope(await repository.get(MANIFEST_ID), this.key, this.codec, ['read']);
      this.#archives = { map: manifest.archives, at: Date.now() };
      return { source: { repository, codec: this.codec, key: this.key, manifest }, users: 0, timer: null };
    } catch (e) {
      await repository.close();
      throw e;
    }
  }
}
