// `borg-ts break-lock REPOSITORY`: removes the repository lock and the cache lock, e.g. after a
// borg or borg-ts process died holding them.

import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { remoteOptions } from './repository-access.js';

const EPILOG = `Breaks the repository and cache locks. Use it with care, only when no borg or
borg-ts process (on any machine) is using the repository or its cache.`;

export const breakLockCommand = defineCommand<{ location: Location }>({
  name: 'break-lock',
  summary: 'break repository and cache locks',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository for which to break the locks', archive: 'forbidden', optional: true })],
  async handler(ctx, { location }) {
    const { breakLocks } = await import('../../archive/break-lock.js'); // loaded on use, see index.ts
    await breakLocks(location, { env: ctx.env, remote: remoteOptions(ctx) });
  },
});
