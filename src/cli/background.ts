// Going to the background the way a Node program can (it cannot fork): the command starts itself
// again, detached in a session of its own, with the same arguments and a marker in the
// environment, and an IPC channel. The new process does the work in the foreground; until it
// reports success it shares our stdin/stdout/stderr (so passphrase prompts and errors reach the
// user), then it points them at /dev/null. We wait for that report, or for its exit code.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BorgError } from '../errors.js';
import type { CommandContext } from './context.js';
import { EXIT_SIGNAL_BASE } from './exit-codes.js';

/** The program's entry point beside this module (main.js when built, main.ts under tsx). */
function mainModule(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./main${extname(here)}`, import.meta.url));
}

function realpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs this command line again in a detached process with `marker`=1 in its environment (and
 * `nodeFlags` given to its Node); resolves to 0 once it sends "mounted", or to its exit code when
 * it ends first (it printed its errors).
 */
export function startInBackground(ctx: CommandContext, marker: string, nodeFlags: readonly string[] = []): Promise<number> {
  const main = mainModule();
  const invoked = process.argv[1] !== undefined ? realpath(process.argv[1]) : undefined;
  if (invoked === undefined || invoked !== realpath(main)) {
    throw new BorgError('Cannot go to the background when not run as the borg-ts program; use --foreground', { code: 'Error' });
  }
  const child = spawn(process.execPath, [...process.execArgv, ...nodeFlags, main, ...process.argv.slice(2)], {
    detached: true, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...ctx.env, [marker]: '1' }, cwd: ctx.cwd,
  });
  return new Promise<number>((resolve, reject) => {
    const onAbort = () => child.kill('SIGTERM');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const done = (result: () => void) => {
      ctx.signal.removeEventListener('abort', onAbort);
      result();
    };
    child.on('message', (message) => {
      if (message !== 'mounted') return;
      child.removeAllListeners('exit');
      if (child.connected) child.disconnect();
      child.unref();
      done(() => resolve(0));
    });
    child.on('exit', (code, signal) => done(() => resolve(code ?? EXIT_SIGNAL_BASE + (SIGNALS[signal ?? ''] ?? 0))));
    child.on('error', (e) => done(() => reject(new BorgError(`Cannot start the background process: ${e.message}`, { code: 'Error' }))));
  });
}
