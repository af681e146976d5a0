// `borg-ts upgrade REPOSITORY` for Borg 1.x repositories: manifest authentication (--tam,
// --check-tam, --disable-tam) and archive authentication (--archives-tam, --check-archives-tam,
// borg >= 1.2.5). Converting Attic or Borg 0.xx repositories is not offered.

import type { TamUpgradeOptions } from '../../archive/upgrade-tam.js';
import { BorgError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { formatArchive } from './delete.js';
import { repositoryAccess } from './repository-access.js';

type UpgradeArgs = {
  location: Location;
  force: boolean;
  tam: boolean;
  checkTam: boolean;
  disableTam: boolean;
  archivesTam: boolean;
  checkArchivesTam: boolean;
};

const EPILOG = `Upgrades the authentication of a Borg 1.x repository. Moving a repository or changing to another
borg or borg-ts version needs no upgrade, unless the release notes say so.

Archive authentication: "upgrade --archives-tam REPO" gives every archive that lacks a valid TAM
one. Archives made by borg before 1.0.9 have none, and borg 1.2.4 left invalid ones behind when it
renamed or recreated archives; borg 1.2.5 and later refuse such archives. Adding TAMs declares
all present archives trustworthy: in a high-risk setting, check them first (their contents and
times; "--check-archives-tam" lists which ones lack a TAM). Once per repository is enough.

Manifest authentication: "upgrade --tam REPO" makes the key, the manifest and this client's
security database require an authenticated manifest (borg 1.0.9 and later write one). Do it on
each client, and only when no client older than borg 1.0.9 writes to the repository any more. If
one did, "upgrade --tam --force REPO" repairs the repository. "--disable-tam" turns the
requirement off again, which leaves the repository open to manifest spoofing. "--check-tam"
reports what --tam would change.

Attic and Borg 0.xx repositories cannot be converted by borg-ts; use borg for that.`;

export const upgradeCommand = defineCommand<UpgradeArgs>({
  name: 'upgrade',
  summary: 'upgrade repository format',
  description: 'upgrade a repository from a previous version',
  epilog: EPILOG,
  arguments: [locationArgument({ metavar: 'REPOSITORY', description: 'path to the repository to be upgraded', archive: 'forbidden', optional: true })],
  options: [
    { flags: '--force', description: 'accept a manifest without TAM although the key requires one' },
    { flags: '--tam', description: 'Enable manifest authentication (in key and cache) (Borg 1.0.9 and later).' },
    { flags: '--check-tam', description: 'check manifest authentication (in key and cache).' },
    { flags: '--disable-tam', description: 'Disable manifest authentication (in key and cache).' },
    { flags: '--check-archives-tam', description: 'check TAM authentication for all archives.' },
    { flags: '--archives-tam', description: 'add TAM authentication for all archives.' },
  ],
  async handler(ctx, args) {
    const access = repositoryAccess(ctx);
    const options: TamUpgradeOptions = {
      env: access.env, lockWait: access.lockWait, umask: access.umask, passphrase: access.passphrase, force: args.force, log: ctx.logger,
      remote: access.remote,
    };
    if (args.archivesTam || args.checkArchivesTam) return archiveTams(ctx, args.location, options, args.checkArchivesTam);
    if (args.tam || args.checkTam) return manifestTam(ctx, args.location, options, args.checkTam);
    if (args.disableTam) {
      const { disableManifestTam } = await import('../../archive/upgrade-tam.js'); // loaded on use, see index.ts
      const { keyLocation } = await disableManifestTam(args.location, options);
      if (keyLocation !== undefined) printKeyUpdated(ctx, keyLocation);
      return undefined;
    }
    throw new BorgError('Cannot upgrade: borg-ts only upgrades Borg 1.x repositories; give --tam, --check-tam, --disable-tam, '
      + '--archives-tam or --check-archives-tam', { code: 'CommandError' });
  },
});

function printKeyUpdated(ctx: CommandContext, keyLocation: string): void {
  ctx.print('Key updated\n');
  ctx.print(`Key location: ${keyLocation}\n`);
}

async function manifestTam(ctx: CommandContext, location: Location, options: TamUpgradeOptions, checkOnly: boolean): Promise<void> {
  const { requireManifestTam } = await import('../../archive/upgrade-tam.js'); // loaded on use, see index.ts
  const result = await requireManifestTam(location, { ...options, checkOnly });
  if (checkOnly) {
    if (result.manifestIssue) ctx.warnings.warnText('The repository manifest is not authenticated or does not require authentication');
    if (result.keyIssue) ctx.warnings.warnText('The key does not require manifest authentication');
    if (result.securityIssue) ctx.warnings.warnText("This client's security database does not require manifest authentication");
    if (!result.manifestIssue && !result.keyIssue && !result.securityIssue) {
      ctx.print('Manifest authentication setup OK for this client and this repository.\n');
    }
    return;
  }
  if (result.manifestIssue) {
    ctx.print('Manifest contents:\n');
    for (const entry of result.archives) ctx.print(`${formatArchive(entry)}\n`);
  }
  if (result.keyLocation !== undefined) printKeyUpdated(ctx, result.keyLocation);
  if (result.securityIssue) ctx.print('Updated security database\n');
}

async function archiveTams(ctx: CommandContext, location: Location, options: TamUpgradeOptions, checkOnly: boolean): Promise<void> {
  const access = repositoryAccess(ctx);
  const { upgradeArchiveTams } = await import('../../archive/upgrade-archive-tams.js'); // loaded on use, see index.ts
  const { issues } = await upgradeArchiveTams(location, {
    ...options, checkOnly,
    cache: { confirm: access.confirm, log: ctx.logger, warnings: ctx.warnings, progress: ctx.progress },
    onArchive: (entry, result) => {
      const line = formatArchive(entry);
      if (result.status === 'present') ctx.print(`Archive TAM present: ${line}\n`);
      else if (result.status === 'missing') ctx.print(`Archive TAM missing: ${line}\n`);
      else ctx.print(`Added archive TAM:   ${line} -> [${result.newId.toString('hex')}]\n`);
    },
  });
  if (checkOnly && issues > 0) ctx.warnings.warnText(`Found ${issues} archives with TAM issues!`);
  else if (!checkOnly && issues > 0) ctx.print(`Fixed ${issues} archives with TAM issues!\nAll archives are TAM authenticated now.\n`);
  else ctx.print('All archives are TAM authenticated.\n');
}
