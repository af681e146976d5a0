// The command line that starts `borg serve` on the other side (spec §6.1): the remote shell
// (--rsh, else BORG_RSH, else "ssh"; split like a POSIX shell), "-p PORT" and "[user@]host", then the
// remote program (--remote-path, else BORG_REMOTE_PATH, else "borg"; placeholders allowed) with
// "serve" and the options the server needs to know from the client.
import { replacePlaceholders } from '../archive/placeholders.js';
import { shlexSplit, ShlexError } from '../crypto/shlex.js';
import { UsageError } from '../errors.js';
import type { LogLevel } from '../progress.js';
import type { Location } from './location.js';

export interface ServeCommandOptions {
  /** --rsh; overrides BORG_RSH. */
  rsh?: string;
  /** --remote-path; overrides BORG_REMOTE_PATH. */
  remotePath?: string;
  /** The client's log level: the server logs at the same level. */
  logLevel?: LogLevel;
  /** --debug-topic values; those about the repository go to the server too. */
  debugTopics?: readonly string[];
  /** The client's --umask: files the server creates get the same mode. */
  umask?: number;
  /** init --storage-quota (bytes): the server writes it into the new repository's config. */
  storageQuota?: number;
}

const LEVEL_FLAGS: Record<LogLevel, string | null> = {
  debug: '--debug', info: '--info', warning: null, error: '--error', critical: '--critical',
};

/** The remote shell's words, from --rsh or BORG_RSH. */
export function remoteShell(options: ServeCommandOptions, env: Readonly<Record<string, string | undefined>>): string[] {
  const rsh = options.rsh ?? env['BORG_RSH'] ?? 'ssh';
  let words: string[];
  try {
    words = shlexSplit(rsh);
  } catch (e) {
    if (e instanceof ShlexError) throw new UsageError(`Cannot use the remote shell command "${rsh}": ${e.message}`);
    throw e;
  }
  if (words.length === 0) throw new UsageError('Cannot connect: the remote shell command (--rsh or BORG_RSH) is empty');
  return words;
}

/** The arguments after `serve`, as borg passes them (umask, log level, repository debug topics, quota). */
export function serveOptions(options: ServeCommandOptions): string[] {
  const out: string[] = [];
  if (options.umask !== undefined) out.push(`--umask=${options.umask.toString(8).padStart(3, '0')}`);
  const level = LEVEL_FLAGS[options.logLevel ?? 'warning'];
  if (level !== null) out.push(level);
  for (const given of options.debugTopics ?? []) {
    const topic = given.includes('.') ? given : `borg.debug.${given}`;
    if (topic.includes('repository')) out.push(`--debug-topic=${topic}`);
  }
  if (options.storageQuota) out.push(`--storage-quota=${options.storageQuota}`);
  return out;
}

/** The remote program and its arguments: `borg serve ...`. */
export function serveCommand(options: ServeCommandOptions, env: Readonly<Record<string, string | undefined>>): string[] {
  const remotePath = replacePlaceholders(options.remotePath ?? env['BORG_REMOTE_PATH'] ?? 'borg');
  return [remotePath, 'serve', ...serveOptions(options)];
}

/** The whole argv to spawn for a remote location. */
export function sshArgv(location: Location, options: ServeCommandOptions, env: Readonly<Record<string, string | undefined>>): string[] {
  if (location.proto !== 'ssh' || location.host === undefined) throw new TypeError(`Not a remote location: ${location.processed}`);
  const argv = remoteShell(options, env);
  if (location.port !== undefined) argv.push('-p', String(location.port));
  argv.push(location.user !== undefined ? `${location.user}@${location.host}` : location.host);
  return [...argv, ...serveCommand(options, env)];
}
