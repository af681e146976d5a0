// `borg-ts key migrate-to-repokey REPOSITORY`: gives a repository of the old passphrase mode
// (removed in borg 1.0) a repokey with the same secrets, protected by a new passphrase.

import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { repositoryAccess } from './repository-access.js';

const EPILOG = `Migrates a repository from the passphrase mode (removed in borg 1.0) to repokey.

First the old passphrase is needed (BORG_PASSPHRASE or asked for): the secrets are derived
from it. Then a new passphrase protects the repokey that now holds these secrets
(BORG_NEW_PASSPHRASE, else asked for twice); it may equal the old one.

Later the passphrase can be changed with "key change-passphrase", but the secrets stay
those derived from the old passphrase.`;

export const keyMigrateToRepokeyCommand = defineCommand<{ location: Location }>({
  name: 'key migrate-to-repokey',
  summary: 'migrate passphrase-mode repository to repokey',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository to migrate', archive: 'forbidden', optional: true })],
  async handler(ctx, { location }) {
    const { migrateToRepokey } = await import('../../archive/key-commands.js'); // loaded on use, see index.ts
    await migrateToRepokey(location, repositoryAccess(ctx));
    ctx.logger.info('Key updated');
  },
});
