// `break-lock`: removes the repository lock and the lock of the repository's client cache,
// whoever holds them (e.g. a process that died on another machine). The repository is opened
// without taking its lock, only to learn its id and thereby where its cache lives.
import { cacheLockPath } from '../cache/cache-config.js';
import { repositoryCacheDir, type Env } from '../cache/paths.js';
import { Lock } from '../repository/lock.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { openStore } from './repository-session.js';

export async function breakLocks(location: Location, options: { env?: Env; remote?: RemoteOptions } = {}): Promise<void> {
  const env = options.env ?? process.env;
  const repository = await openStore(location, { env, bypassLock: true, confirm: () => false, ...(options.remote ? { remote: options.remote } : {}) });
  try {
    await repository.breakLock();
    const cacheDir = repositoryCacheDir(repository.id.toString('hex'), env);
    new Lock(cacheLockPath(cacheDir), { exclusive: true, timeout: null }).breakLock();
  } finally {
    await repository.close();
  }
}
