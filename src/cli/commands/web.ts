// `borg-ts web [REPOSITORY ...] [--listen HOST:PORT] [--open] [--allow-restore]`: serves the
// repositories to a browser (src/web/) until interrupted. Keys are unlocked here, before the
// server starts: passphrases come from the environment or the terminal and never reach a page.
import { spawn } from 'node:child_process';
import { UsageError } from '../../errors.js';
import { parseLocation, type Location } from '../../remote/location.js';
import type { WebRepository } from '../../web/repository-handle.js';
import { defineCommand } from '../command.js';
import { TerminationSignal } from '../exit-codes.js';
import { repositoryAccess } from './repository-access.js';

type WebArgs = { locations: Location[]; listen?: { host: string; port: number }; open: boolean; allowRestore: boolean };

const MIN_TOKEN_LENGTH = 16;

const EPILOG = `Serves the given repositories (default: BORG_REPO) to a web browser: archives on a timeline with
their sizes and the repository's growth, a browser for each archive (preview, download of files,
and of directories as tar or zip), search by name, size and time across archives, the history of
a path, and diffs of text files and of archives. With --allow-restore, files and directories can
be restored to a directory on this machine.

The server listens on 127.0.0.1 on a free port unless --listen says otherwise, and prints a URL
with a random access token; every request needs that token (the URL sets a cookie). Passphrases
are asked for here (or taken from BORG_PASSPHRASE etc.) and stay in this process. To listen on any
other address, set BORG_TS_WEB_TOKEN to a secret of at least ${MIN_TOKEN_LENGTH} characters: the server
refuses to start without one. Archive trees for search and browsing are kept in the cache
directory (archive-trees/, shared with borg-ts mount). The repository is locked (shared) only
while it is being read.`;

function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`invalid --listen value: '${text}' (expected HOST:PORT)`);
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`invalid port in --listen: ${m[3]}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export const webCommand = defineCommand<WebArgs>({
  name: 'web',
  summary: 'browse, search and restore backups in a web browser',
  epilog: EPILOG,
  arguments: [{
    name: 'locations', metavar: 'REPOSITORY', description: 'repositories to serve', variadic: true,
    parse: (text, environment) => parseLocation(text, { env: environment.env as Record<string, string | undefined>, now: environment.now, allowArchive: false }),
  }],
  options: [
    { flags: '--listen <HOST:PORT>', description: 'address to listen on (default 127.0.0.1 with a free port)', parse: (text) => parseListen(text) },
    { flags: '--open', description: 'open the URL in a web browser (xdg-open)' },
    { flags: '--allow-restore', description: 'allow restoring files and directories to this machine' },
  ],
  async handler(ctx, args) {
    // loaded on use, see index.ts
    const [{ WebRepository }, { isLoopback, WebServer }, { randomToken }] = await Promise.all([
      import('../../web/repository-handle.js'), import('../../web/server.js'), import('../../web/http/auth.js'),
    ]);
    const locations = args.locations.length > 0 ? args.locations : [parseLocation('', { env: { ...ctx.env }, allowArchive: false })];
    const listen = args.listen ?? { host: '127.0.0.1', port: 0 };
    const loopback = isLoopback(listen.host);
    const configured = ctx.env['BORG_TS_WEB_TOKEN'];
    if (!loopback && (configured === undefined || configured.length < MIN_TOKEN_LENGTH)) {
      throw new UsageError(`Refusing to listen on ${listen.host} without an access token: set BORG_TS_WEB_TOKEN to a secret of at least ${MIN_TOKEN_LENGTH} characters`);
    }
    const token = configured !== undefined && configured.length >= MIN_TOKEN_LENGTH ? configured : randomToken();
    const access = repositoryAccess(ctx);
    const repositories: WebRepository[] = [];
    try {
      for (const location of locations) {
        repositories.push(await WebRepository.open(location, {
          env: access.env, lockWait: access.lockWait, passphrase: access.passphrase, confirm: access.confirm, log: ctx.logger, remote: access.remote,
        }));
      }
    } catch (e) {
      for (const r of repositories) await r.close();
      throw e;
    }
    const server = await WebServer.start({ repositories, env: access.env, token, allowRestore: args.allowRestore, host: listen.host, port: listen.port, log: ctx.logger });
    ctx.print(`borg-ts web: serving ${repositories.length} repositor${repositories.length === 1 ? 'y' : 'ies'}${args.allowRestore ? ' (restore allowed)' : ''}\n`);
    ctx.print(`Open ${server.url}\n`);
    if (args.open) openBrowser(server.url, (message) => ctx.logger.warning(message));
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    // Stopping the server is how this command ends: not an error.
    if (ctx.signal.reason instanceof TerminationSignal) ctx.signal.reason.handled = true;
  },
});

function openBrowser(url: string, warn: (message: string) => void): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => warn(`Could not open a browser (${e.message}); open the URL yourself`));
  child.unref();
}
