// `borg-ts key import [--paper] REPOSITORY [PATH | -]`: restores a key exported with `key export`
// into the repository config (repokey modes) or its key file (keyfile modes). --paper asks for the
// lines of a paper export one by one on stdin, checking each as it is typed.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { BorgError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { remoteOptions } from './repository-access.js';
import type { CommandContext } from '../context.js';

const EPILOG = `Restores a key backed up with "borg-ts key export".

With --paper the import is interactive: type the lines of the paper export one by one;
each line is checked before the next one is asked for. PATH must not be given then.

For keyfile modes the key file written is: $BORG_KEY_FILE if set; else the key file of
this repository already in $BORG_KEYS_DIR (it is replaced); else a new file there.`;

/** Everything on stdin (`key import REPO -`). */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** The paper lines and the "abort?" question share the context's one stdin line reader. */
function paperKeyIo(ctx: CommandContext) {
  return {
    ask: async (prompt: string) => {
      ctx.print(prompt);
      return ctx.readLine();
    },
    tell: (message: string) => ctx.print(`${message}\n`),
    confirmAbort: () => ctx.yes({ message: 'Abort import? [yN]:' }),
  };
}

export const keyImportCommand = defineCommand<{ location: Location; path: string | undefined; paper: boolean }>({
  name: 'key import',
  summary: 'import repository key from backup',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository to restore the key of', archive: 'forbidden', optional: true }),
    { name: 'path', metavar: 'PATH', description: "the key backup ('-' to read from stdin)", required: false },
  ],
  options: [{ flags: '--paper', description: 'interactively import from a backup done with --paper' }],
  async handler(ctx, { location, path, paper }) {
    if (paper && path !== undefined) throw new BorgError('Cannot import a paper key from a file: type its lines (--paper takes no PATH)', { code: 'Error' });
    if (!paper && path === undefined) throw new BorgError('Cannot import a key: give the file to import it from (PATH, or - for stdin)', { code: 'Error' });
    if (path !== undefined && path !== '-' && !existsSync(resolve(ctx.cwd, path))) {
      throw new BorgError(`Cannot import a key from ${path}: the file does not exist`, { code: 'Error', args: [path] });
    }
    const { importKey, typePaperKey } = await import('../../archive/key-commands.js'); // loaded on use, see index.ts
    const obtain = paper
      ? (repositoryId: Buffer) => typePaperKey(repositoryId, paperKeyIo(ctx))
      : async () => (path === '-' ? readAll(ctx.stdin ?? process.stdin) : readFileSync(resolve(ctx.cwd, path!), 'utf8'));
    const result = await importKey(location, obtain, { env: ctx.env, lockWait: ctx.common.lockWait, umask: ctx.common.umask, remote: remoteOptions(ctx) });
    // Like borg, giving up a paper import is no error: nothing was changed.
    if (!result.imported) ctx.print('\n - aborted\n');
    else if (result.keyFile !== undefined) ctx.logger.info(`Key stored in "${result.keyFile}"`);
  },
});
