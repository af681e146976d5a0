// `borg-ts init -e MODE [--append-only] [--storage-quota QUOTA] [--make-parent-dirs] REPOSITORY`:
// creates an empty repository with a new key, like borg init. Refuses to create over or inside an
// existing repository, over anything non-empty, or without a parent directory.

import { KEY_MODES, type KeyMode } from '../../crypto/key-modes.js';
import { UsageError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { locationArgument, storageQuota } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { repositoryAccess } from './repository-access.js';

const EPILOG = `Creates an empty repository. A repository is a directory that holds deduplicated,
compressed and (optionally) encrypted backups; an archive is one backup in it.

Choose the encryption mode with --encryption (required):

  repokey, repokey-blake2   encrypted and authenticated; the key, protected by your
                            passphrase, is kept in the repository config
  keyfile, keyfile-blake2   the same, but the key is kept in a key file on this machine
                            (~/.config/borg/keys), so the repository alone cannot be opened
  authenticated,            not encrypted, but tampering is detected; the key is kept in
  authenticated-blake2      the repository like repokey
  none                      neither encrypted nor authenticated

The -blake2 variants use BLAKE2b-256 instead of HMAC-SHA256, usually faster on 64-bit
Intel/AMD CPUs without SHA extensions. The passphrase comes from BORG_NEW_PASSPHRASE,
BORG_PASSPHRASE, BORG_PASSCOMMAND or BORG_PASSPHRASE_FD, else it is asked for twice.

Keep both the key and the passphrase: without them the backups cannot be read. Export the
key with "borg-ts key export" and store the export somewhere safe.

--append-only marks the repository so that changes are only ever appended; --storage-quota
limits its size (e.g. 500M, 5G, 1.5T; at least 10M).`;

export const initCommand = defineCommand<{
  location: Location; encryption: KeyMode | undefined; appendOnly: boolean; storageQuota: number | undefined; makeParentDirs: boolean;
}>({
  name: 'init',
  summary: 'initialize an empty repository',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository to create', archive: 'forbidden', optional: true })],
  options: [
    { flags: '-e, --encryption <MODE>', description: 'select encryption key mode (required)', choices: KEY_MODES },
    { flags: '--append-only', description: 'create an append-only mode repository' },
    { flags: '--storage-quota <QUOTA>', description: 'set the storage quota of the new repository (e.g. 5G, 1.5T); default: no quota', parse: storageQuota },
    { flags: '--make-parent-dirs', description: 'create the parent directories of the repository directory if they are missing' },
  ],
  async handler(ctx, { location, encryption, appendOnly, storageQuota: quota, makeParentDirs }) {
    if (encryption === undefined) throw new UsageError('borg-ts init: error: the option -e/--encryption is required');
    const access = repositoryAccess(ctx);
    ctx.logger.info(`Initializing repository at "${location.canonicalPath(ctx.cwd)}"`);
    if (encryption === 'none') ctx.logger.info('Encryption is not enabled; use --encryption=repokey or keyfile to enable it.');
    // loaded on use, see index.ts
    const [{ initRepository }, { LocalCache }] = await Promise.all([import('../../archive/init-repository.js'), import('../../cache/local-cache.js')]);
    const { session, keyFile } = await initRepository(location, {
      encryption, appendOnly, makeParentDirs, env: access.env, umask: access.umask, lockWait: access.lockWait, passphrase: access.passphrase,
      remote: access.remote,
      ...(quota !== undefined ? { storageQuota: quota } : {}),
    });
    const tamRequired = session.key.tamRequired;
    if (keyFile !== undefined) {
      ctx.logger.info(`Key in "${keyFile}" created.`);
      ctx.logger.info('Keep this key safe: without it the data cannot be read.');
    }
    try {
      // Like borg's `with Cache(repository, key, manifest, warn_if_unencrypted=False): pass`: the
      // client cache starts in sync with the new manifest. Otherwise the first create would sync it
      // first, and that commit pins the files cache's newest-ctime guard for the whole run (borg
      // does the same then), so files changed in the last timestamp tick would be memorized.
      const cache = await LocalCache.open(session, {
        env: access.env, lockWait: access.lockWait, confirm: access.confirm, warnIfUnencrypted: false,
        log: ctx.logger, warnings: ctx.warnings, progress: ctx.progress,
      });
      await cache.close();
    } finally {
      await session.close();
    }
    if (tamRequired) {
      ctx.logger.warning([
        '',
        'Repositories created by this version refuse to be written to by borg 1.0.8 and older',
        '(they would count as a security problem). To allow those old versions, run:',
        `borg upgrade --disable-tam ${location.canonicalPath(ctx.cwd)}`,
        'Read https://borgbackup.readthedocs.io/en/stable/changes.html#pre-1-0-9-manifest-spoofing-vulnerability first.',
      ].join('\n'));
    }
    if (encryption !== 'none') {
      ctx.logger.warning([
        '',
        'IMPORTANT: this repository can only be opened with BOTH its key AND its passphrase.',
        'In repokey modes the key is kept in the repository, but keep a separate copy anyway:',
        'export it with "borg-ts key export" (add --paper for a printable form).',
        'Write the passphrase down. Keep both in safe places.',
        '',
      ].join('\n'));
    }
  },
});
