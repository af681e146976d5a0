// `with-lock`: runs a command while this process holds the repository's exclusive lock, so that
// e.g. a copy of the repository is not changed by a backup halfway through.
//
// Like borg, the unchanged manifest is stored again before the command starts: this opens a
// transaction, which is how servers that predate exclusive opens are made to lock exclusively.
// That write is committed afterwards whatever happened, because rolling back would let the next
// writer reuse the segment number for other content, which breaks copies that skip existing files
// (rsync --ignore-existing). No key is needed.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { BorgError } from '../errors.js';
import { MANIFEST_ID } from '../crypto/index.js';
import type { Env } from '../cache/paths.js';
import type { Location } from '../remote/location.js';
import type { RemoteOptions } from '../remote/remote-repository.js';
import { openStore } from './repository-session.js';

export interface CommandOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

export interface WithLockOptions {
  /** The repository's environment; also the command's. */
  env?: Env;
  /** Seconds to wait for the repository lock (default 1; null: forever). */
  lockWait?: number | null;
  umask?: number;
  /** How to reach a repository over ssh. */
  remote?: RemoteOptions;
  /** 'inherit' (default): the command uses this process's stdin, stdout and stderr. */
  output?: 'inherit' | CommandOutput;
  /** On abort the command is killed (borg kills it too when interrupted); the lock is then released. */
  signal?: AbortSignal;
}

/** The command could not be started at all. */
export class CommandNotStarted extends BorgError {
  constructor(command: string, cause: Error) {
    super(`Cannot run ${command}: ${cause.message}`, { code: 'Error', cause, args: [command] });
  }
}

/**
 * Runs `command` with `args` under the exclusive repository lock and returns its exit status. A
 * command ended by signal N gives 256 - N, what borg's sys.exit(-N) makes of it.
 */
export async function runWithLock(location: Location, command: string, args: readonly string[], options: WithLockOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const repository = await openStore(location, {
    env, exclusive: true, confirm: () => false,
    lockWait: options.lockWait === undefined ? 1 : options.lockWait,
    ...(options.umask !== undefined ? { umask: options.umask } : {}),
    ...(options.remote ? { remote: options.remote } : {}),
  });
  try {
    await repository.put(MANIFEST_ID, await repository.get(MANIFEST_ID));
    return await runCommand(command, args, env, options);
  } finally {
    try {
      await repository.commit({ compact: false });
    } finally {
      await repository.close();
    }
  }
}

function runCommand(command: string, args: readonly string[], env: Env, options: WithLockOptions): Promise<number> {
  const output = options.output ?? 'inherit';
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: output === 'inherit' ? 'inherit' : ['inherit', 'pipe', 'pipe'] });
    if (output !== 'inherit') {
      child.stdout!.on('data', (chunk: Buffer) => output.stdout(chunk));
      child.stderr!.on('data', (chunk: Buffer) => output.stderr(chunk));
    }
    const kill = (): void => void child.kill('SIGKILL');
    options.signal?.addEventListener('abort', kill, { once: true });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', kill);
      reject(new CommandNotStarted(command, error));
    });
    // 'close' comes after the output streams ended, so no output is lost.
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', kill);
      if (code !== null) resolve(code);
      else resolve(256 - signalNumber(signal));
    });
    if (options.signal?.aborted) kill();
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : ((constants.signals as Partial<Record<string, number>>)[signal] ?? 0);
}
