// `borg-ts key change-passphrase REPOSITORY`: encrypts the key with a new passphrase where it is kept
// (the repository config or the same key file). The secrets inside the key stay the same.

import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { repositoryAccess } from './repository-access.js';

const EPILOG = `The key of an encrypted or authenticated repository is protected by a passphrase;
this command changes that passphrase. The new one comes from BORG_NEW_PASSPHRASE, else it
is asked for twice.

Only the protection of the key changes, not the secrets in it (encryption and MAC keys,
chunker seed): if key and passphrase were stolen, a new passphrase does not protect
future or past backups.`;

export const keyChangePassphraseCommand = defineCommand<{ location: Location }>({
  name: 'key change-passphrase',
  summary: 'change repository passphrase',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository whose key to protect anew', archive: 'forbidden', optional: true })],
  async handler(ctx, { location }) {
    const { changePassphrase } = await import('../../archive/key-commands.js'); // loaded on use, see index.ts
    const { keyFile } = await changePassphrase(location, repositoryAccess(ctx));
    ctx.logger.info('Key updated');
    if (keyFile !== undefined) ctx.logger.info(`Key location: ${keyFile}`);
  },
});
