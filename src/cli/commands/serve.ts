// `borg-ts serve [--restrict-to-path PATH]... [--restrict-to-repository PATH]... [--append-only]
// [--storage-quota QUOTA]`: the repository server a client starts over ssh (spec §6). stdin and
// stdout carry the protocol and nothing else; the log goes to stderr in the form clients read back.
//
// Run as an ssh forced command (authorized_keys `command="borg-ts serve ..."`), the options come
// from the forced command, except the log level and debug topics: those come from the command the
// client asked for (SSH_ORIGINAL_COMMAND), like borg, so that `borg -v` still sees the server's log.

import { shlexSplit } from '../../crypto/shlex.js';
import { EXIT_ERROR, EXIT_SUCCESS, UsageError } from '../../errors.js';
import type { LogLevel } from '../../progress.js';
import type { OutputStream } from '../../remote/serve/server-stdio.js';
import { storageQuota } from '../arg-types.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { parseCommandLine } from '../program.js';

type ServeArgs = {
  restrictToPaths: string[] | undefined;
  restrictToRepositories: string[] | undefined;
  appendOnly: boolean;
  storageQuota: number | undefined;
};

const EPILOG = `Starts a repository server on stdin/stdout. Clients (borg or borg-ts with an ssh:// or
user@host:path repository) start it through ssh; it is rarely run by hand.

--restrict-to-path PATH (repeatable) allows only repositories in or below PATH;
--restrict-to-repository PATH (repeatable) allows only the repository at exactly PATH (it may
still be created there). Any other repository is refused with "Repository path not allowed".
--append-only opens every existing repository in append-only mode, whatever its config says
(a repository created through this server is append-only only if the client asks for it with
init --append-only). --storage-quota overrides the quota of every repository (and is written into
the config of new ones).

In ~/.ssh/authorized_keys, a forced command fixes these options for a key, e.g.:

    command="borg-ts serve --restrict-to-path /backups/client1 --append-only",restrict ssh-ed25519 AAAA...

Then only the log level (--info, --debug, ...) and --debug-topic of the client's own command
line are used.`;

export const serveCommand = defineCommand<ServeArgs>({
  name: 'serve',
  summary: 'start repository server process',
  description: 'Start in server mode. This command is usually not used manually.',
  epilog: EPILOG,
  options: [
    { flags: '--restrict-to-path <PATH>', key: 'restrictToPaths', repeatable: true, description: 'restrict repository access to PATH and the directories below it (repeatable)' },
    { flags: '--restrict-to-repository <PATH>', key: 'restrictToRepositories', repeatable: true, description: 'restrict repository access to the repository at exactly PATH (repeatable)' },
    { flags: '--append-only', description: 'open repositories in append-only mode, whatever their config says' },
    { flags: '--storage-quota <QUOTA>', description: 'override the storage quota of the repositories (e.g. 5G, 1.5T); default: their own', parse: storageQuota },
  ],
  async handler(ctx, args) {
    const input = ctx.stdin;
    if (input === undefined) throw new UsageError('serve needs a standard input to read requests from');
    // loaded on use, see index.ts
    const [{ RepositoryServer }, { serverSysinfo }, { ServerLog }, { streamResponseSink }] = await Promise.all([
      import('../../remote/serve/repository-server.js'), import('../../remote/serve/remote-error-info.js'),
      import('../../remote/serve/server-log.js'), import('../../remote/serve/server-stdio.js'),
    ]);
    const { level, debugTopics } = clientLogOptions(ctx);
    const log = new ServerLog({ level, debugTopics, write: (line) => ctx.printErr(line) });
    // Like borg: JSON lines from the start with --log-json, else once a client negotiates them.
    if (ctx.common.logJson) log.useJson();
    ignoreBrokenStderr();
    const server = new RepositoryServer({
      restrictions: {
        restrictToPaths: args.restrictToPaths ?? [],
        restrictToRepositories: args.restrictToRepositories ?? [],
        appendOnly: args.appendOnly,
        storageQuota: args.storageQuota ?? null,
      },
      log,
      umask: ctx.common.umask,
      env: ctx.env,
      cwd: ctx.cwd,
      sysinfo: serverSysinfo(ctx.env, process.argv, ctx.cwd),
    });
    const readable = input as NodeJS.ReadableStream & { destroy?: () => void };
    const stop = (): void => readable.destroy?.();
    ctx.signal.addEventListener('abort', stop, { once: true });
    try {
      const end = await server.serve(readable as AsyncIterable<Uint8Array>, streamResponseSink(ctx.stdout as OutputStream), ctx.signal);
      return end === 'output-closed' ? EXIT_ERROR : EXIT_SUCCESS;
    } finally {
      ctx.signal.removeEventListener('abort', stop);
    }
  },
});

let stderrGuarded = false;

/** The client may be gone before we are done: a broken stderr must not end the process before the
 * repository lock is released. */
function ignoreBrokenStderr(): void {
  if (stderrGuarded) return;
  stderrGuarded = true;
  process.stderr.on('error', () => undefined);
}

/**
 * The log level and debug topics to serve with: our own, or under a forced command those of the
 * serve command the client asked for (SSH_ORIGINAL_COMMAND; its defaults when it gave none).
 */
function clientLogOptions(ctx: CommandContext): { level: LogLevel; debugTopics: string[] } {
  const own = { level: ctx.common.logLevel, debugTopics: ctx.common.debugTopics };
  const original = ctx.env['SSH_ORIGINAL_COMMAND'];
  if (original === undefined) return own;
  let words: string[];
  try {
    words = shlexSplit(original);
  } catch {
    return own;
  }
  // Leading VAR=value words are environment settings, not to be interpreted; then the program (and
  // maybe its interpreter, "node /path/main.js") up to the first option or the command name.
  let i = 0;
  while (i < words.length && /^[^-][^=]*=/.test(words[i]!)) i++;
  while (i < words.length && !words[i]!.startsWith('-') && words[i] !== 'serve') i++;
  let invocation;
  try {
    invocation = parseCommandLine(words.slice(i), [serveCommand], {
      env: ctx.env, cwd: ctx.cwd, now: ctx.now, writeOut: () => undefined, notice: () => undefined,
    });
  } catch {
    return own; // not a serve command we understand: the forced command alone decides
  }
  if (invocation === null || invocation.definition.name !== 'serve') return own;
  return { level: invocation.common.logLevel, debugTopics: invocation.common.debugTopics };
}
