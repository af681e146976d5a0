// The security checks of spec §2.11 as borg runs them whenever a cache exists: the cache config's
// view (previous location, newest manifest timestamp, key type) takes part, under the cache lock,
// and accepting a relocated repository updates the cache's `previous_location` as well as the
// security dir — otherwise the next run would ask again.
import { existsSync } from 'node:fs';
import { CacheConfig } from './cache-config.js';
import type { CacheOpenOptions, CacheSession } from './cache-types.js';
import { confirmFromEnv, type CacheSecurityInfo, type SecurityCheck, type SecurityDir } from './security-dir.js';

/**
 * borg < 1.0.8 wrote relative remote paths as `/~/path` where later versions write `/./path`; such
 * a cache location is taken as the current one instead of as a relocation.
 */
export function recanonicalizeLocation(cacheLocation: string, current: string): string {
  const old = /^(ssh:\/\/[^/]*)\/~\/(.+)$/.exec(cacheLocation);
  const now = /^(ssh:\/\/[^/]*)\/\.\/(.+)$/.exec(current);
  return old && now && old[1] === now[1] && old[2] === now[2] ? current : cacheLocation;
}

/**
 * What the cache config remembers, for SecurityDir.assertSecure. `previous` is the location the
 * config held when it was read (a LocalCache records the current one right away, as borg does).
 */
export function cacheSecurityInfo(config: CacheConfig, canonicalLocation: string, previous = config.previousLocation): CacheSecurityInfo {
  return {
    previousLocation: previous === undefined ? undefined : recanonicalizeLocation(previous, canonicalLocation),
    timestamp: config.timestamp,
    keyType: config.keyType,
  };
}

/** Runs the checks with an open cache config and records an accepted relocation in it. */
export async function assertSecureWithConfig(
  security: SecurityDir, check: Omit<SecurityCheck, 'cache'>, config: CacheConfig, previous = config.previousLocation,
): Promise<void> {
  const info = cacheSecurityInfo(config, check.canonicalLocation, previous);
  await security.assertSecure({ ...check, cache: info });
  if (info.previousLocation !== undefined && info.previousLocation !== check.canonicalLocation) {
    config.previousLocation = check.canonicalLocation;
    config.save();
  }
}

/**
 * borg's `assert_secure` for commands that open no cache (and the ad-hoc cache): when the
 * repository's cache exists, its config is read under the cache lock and takes part.
 */
export async function assertSecureWithCacheDir(
  security: SecurityDir, check: Omit<SecurityCheck, 'cache'>, cacheDir: string, lockWait: number | null = 1,
): Promise<void> {
  if (!existsSync(cacheDir) || !CacheConfig.exists(cacheDir)) {
    await security.assertSecure(check);
    return;
  }
  const config = await CacheConfig.open(cacheDir, { lockWait });
  try {
    await assertSecureWithConfig(security, check, config);
  } finally {
    await config.close();
  }
}

/** The checks' inputs for a session opened with cache `options`. */
export function securityCheckOf(session: CacheSession, options: CacheOpenOptions): Omit<SecurityCheck, 'cache'> {
  return {
    canonicalLocation: session.location.canonicalPath(),
    keyType: session.key.typeByte,
    logicallyEncrypted: options.logicallyEncrypted ?? session.key.encrypted,
    plaintext: session.key.mode === 'none',
    manifestTimestamp: session.manifest.timestamp ?? '',
    warnIfUnencrypted: options.warnIfUnencrypted ?? true,
    confirm: options.confirm ?? confirmFromEnv(options.env ?? process.env),
  };
}
