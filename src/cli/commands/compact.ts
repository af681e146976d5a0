// `borg-ts compact [--cleanup-commits] [--threshold PERCENT] REPOSITORY`: frees the space of deleted
// archives and superseded objects. Needs no key.

import type { Location } from '../../remote/location.js';
import { integer, locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { repositoryAccess } from './repository-access.js';

type CompactArgs = {
  location: Location;
  dryRun: boolean;
  cleanupCommits: boolean;
  threshold: number;
};

const EPILOG = `Frees repository space by rewriting segment files that hold deleted or superseded objects.
Deleting archives (delete, prune) does not free space by itself; run compact afterwards, not
necessarily after every command.

A segment is rewritten when more than --threshold percent of it (default 10) can be freed.

compact needs no key: it can run on the client or on the server. An append-only repository is
never compacted.

--cleanup-commits also removes the many 17-byte commit-only segment files that borg 1.1 left
behind; once per repository is enough. --dry-run only checks that the repository can be locked.`;

export const compactCommand = defineCommand<CompactArgs>({
  name: 'compact',
  summary: 'compact segment files / free space in repo',
  description: 'compact segment files in the repository',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'repository to compact', archive: 'forbidden', optional: true })],
  options: [
    { flags: '-n, --dry-run', description: 'do nothing' },
    { flags: '--cleanup-commits', description: 'cleanup commit-only 17-byte segment files' },
    { flags: '--threshold <PERCENT>', description: 'set minimum threshold for saved space in PERCENT', parse: integer, default: 10 },
  ],
  async handler(ctx, args) {
    const access = repositoryAccess(ctx);
    const { compactRepository } = await import('../../archive/compact-repository.js'); // loaded on use, see index.ts
    await compactRepository(args.location, {
      env: access.env, lockWait: access.lockWait, umask: access.umask,
      threshold: args.threshold / 100, cleanupCommits: args.cleanupCommits, dryRun: args.dryRun, remote: access.remote,
      ...(ctx.common.progress ? { progress: ctx.progress } : {}),
    });
  },
});
