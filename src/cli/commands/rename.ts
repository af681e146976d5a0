// `borg-ts rename REPO::ARCHIVE NEWNAME`: gives an archive a new name (a new metadata object with a
// valid archive TAM; items and data are untouched).

import { checkArchiveName } from '../../archive/archive-name.js';
import { replacePlaceholders } from '../../archive/placeholders.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { openCache, openSession } from './list.js';

const EPILOG = `Renames an archive. Only the archive's metadata changes: its contents stay where they are.
Placeholders ({now}, {hostname}, ...) are replaced in NEWNAME.`;

export const renameCommand = defineCommand<{ location: Location; name: string }>({
  name: 'rename',
  summary: 'rename archive',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'ARCHIVE', description: 'archive to rename', archive: 'required' }),
    {
      name: 'name', metavar: 'NEWNAME', description: 'the new archive name to use',
      parse: (text, environment) => checkArchiveName(replacePlaceholders(text, { now: environment.now })),
    },
  ],
  async handler(ctx, { location, name }) {
    const { renameArchive } = await import('../../archive/rename-archive.js'); // loaded on use, see index.ts
    // borg checks the "check" feature flags for rename (it rewrites metadata in place).
    const session = await openSession(ctx, location, { exclusive: true, operation: 'check' });
    try {
      const cache = await openCache(ctx, session);
      try {
        await renameArchive(session, cache, location.archive!, name);
      } finally {
        await cache.close();
      }
    } finally {
      await session.close();
    }
  },
});
