// `borg-ts with-lock REPOSITORY COMMAND [ARGS...]`: runs COMMAND while holding the repository's
// exclusive lock; its exit status becomes ours.

import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { repositoryAccess } from './repository-access.js';

type WithLockArgs = {
  location: Location;
  command: string;
  args: string[];
};

const EPILOG = `Takes the repository lock (waiting up to --lock-wait seconds for other users to finish), runs
COMMAND as a child process, waits for it to end, releases the lock and exits with the status of
COMMAND. For example, to copy a repository while no backup can change it:

    borg-ts with-lock /mnt/borgrepo rsync -av /mnt/borgrepo /somewhere/else/borgrepo

Everything after REPOSITORY belongs to COMMAND, options included.

A copy made this way contains the lock too: before using the copy from another host, run
"break-lock" on it (locks of other hosts are never removed automatically).`;

export const withLockCommand = defineCommand<WithLockArgs>({
  name: 'with-lock',
  passThroughOptions: true,
  summary: 'run user command with lock held',
  description: 'run a user specified command with the repository lock held',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository to lock', archive: 'forbidden' }),
    { name: 'command', metavar: 'COMMAND', description: 'command to run' },
    { name: 'args', metavar: 'ARGS', description: 'command arguments', variadic: true },
  ],
  async handler(ctx, args) {
    const access = repositoryAccess(ctx);
    // The command shares our terminal when we run as the program; in-process callers get its output.
    const output = ctx.stdout === process.stdout
      ? 'inherit' as const
      : { stdout: (chunk: Buffer) => void ctx.stdout.write(chunk), stderr: (chunk: Buffer) => ctx.printErr(chunk.toString('utf8')) };
    const { runWithLock } = await import('../../archive/with-lock.js'); // loaded on use, see index.ts
    return runWithLock(args.location, args.command, args.args, {
      env: access.env, lockWait: access.lockWait, umask: access.umask, signal: ctx.signal, output, remote: access.remote,
    });
  },
});
