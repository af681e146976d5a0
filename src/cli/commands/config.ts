// `borg-ts config [--cache] [-l | -d] REPOSITORY [NAME] [VALUE]`: shows, sets or deletes a value of
// the repository config, or with --cache of the repository's cache config. Local repositories only.

import type { ConfigOutcome, ConfigRequest } from '../../archive/repository-config.js';
import { BorgError, UsageError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { repositoryAccess } from './repository-access.js';

const EPILOG = `Gets and sets options of a local repository's config file, or with --cache of the
repository's cache config file. For security reasons this works on local repositories only.

Give only NAME to show a value, NAME and VALUE to set it, --delete NAME to remove it
entirely, --list to show the whole config. NAME is "section.name" or just "name", which
means the [repository] section (with --cache: the [cache] section).

Values that can be changed in the repository config: append_only (0 or 1), storage_quota
(a size of at least 10M, e.g. 5G), additional_free_space and max_segment_size (sizes),
segments_per_dir and last_segment_checked (integers), id (64 hex digits). In the cache
config: previous_location.`;

function render(ctx: CommandContext, outcome: ConfigOutcome): number | void {
  if (outcome.action === 'get') {
    if ('value' in outcome) ctx.print(`${outcome.value}\n`);
    else ctx.warnings.warnText(outcome.missing); // exit code 1, as borg
  } else if (outcome.action === 'list') {
    ctx.print(outcome.sections.map(({ section, entries }) => [`[${section}]`, ...entries.map(([k, v]) => `${k} = ${v}`)].join('\n')).join('\n\n') + '\n');
  }
}

export const configCommand = defineCommand<{
  location: Location; name: string | undefined; value: string | undefined; cache: boolean; delete: boolean; list: boolean;
}>({
  name: 'config',
  summary: 'get and set configuration values',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository to configure', archive: 'forbidden', proto: 'file', optional: true }),
    { name: 'name', metavar: 'NAME', description: 'name of config key', required: false },
    { name: 'value', metavar: 'VALUE', description: 'new value for key', required: false },
  ],
  options: [
    { flags: '-c, --cache', description: 'get and set values from the repo cache' },
    { flags: '-d, --delete', description: 'delete the key from the config file', conflicts: ['list'] },
    { flags: '-l, --list', description: 'list the configuration of the repo', conflicts: ['delete'] },
  ],
  async handler(ctx, args) {
    let request: ConfigRequest;
    if (args.list) {
      if (args.name !== undefined) throw new UsageError('borg-ts config: error: --list takes no NAME or VALUE');
      request = { action: 'list' };
    } else if (args.name === undefined) {
      throw new BorgError('No config key name was provided', { code: 'Error' });
    } else if (args.delete) {
      if (args.value !== undefined) throw new UsageError('borg-ts config: error: --delete takes no VALUE');
      request = { action: 'delete', name: args.name };
    } else {
      request = args.value !== undefined ? { action: 'set', name: args.name, value: args.value } : { action: 'get', name: args.name };
    }
    const { configureCache, configureRepository } = await import('../../archive/repository-config.js'); // loaded on use, see index.ts
    const configure = args.cache ? configureCache : configureRepository;
    return render(ctx, await configure(args.location, request, repositoryAccess(ctx)));
  },
});
