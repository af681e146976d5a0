// borg's common options. Like borg they are accepted before the command and after it (and after a
// group such as `key`); a value given at a more specific level wins ("borg --debug list --info"
// logs at INFO), and --debug-topic values from all levels add up.

import { InvalidArgumentError, Option, type Command } from 'commander';

import { integer } from './arg-types.js';
import type { LogLevel } from '../progress.js';

export interface CommonOptions {
  logLevel: LogLevel;
  debugTopics: string[];
  progress: boolean;
  iec: boolean;
  logJson: boolean;
  /** Seconds to wait for a repository or cache lock. */
  lockWait: number;
  bypassLock: boolean;
  showVersion: boolean;
  showRc: boolean;
  umask: number;
  remotePath?: string;
  /** kiB/s, 0 = unlimited. */
  uploadRatelimit?: number;
  /** MiB, 0 = no buffer. */
  uploadBuffer?: number;
  considerPartFiles: boolean;
  debugProfile?: string;
  rsh?: string;
}

export const COMMON_DEFAULTS: CommonOptions = {
  logLevel: 'warning', debugTopics: [], progress: false, iec: false, logJson: false, lockWait: 1,
  bypassLock: false, showVersion: false, showRc: false, umask: 0o077, considerPartFiles: false,
};

/** An option that stores into another option's key, like several argparse flags sharing a dest. */
class SharedKeyOption extends Option {
  constructor(flags: string, description: string, private readonly key: string) {
    super(flags, description);
  }

  override attributeName(): string {
    return this.key;
  }
}

/** Python's int() for common option values; commander wants InvalidArgumentError. */
export function parseInteger(text: string): number {
  try {
    return integer(text, { env: {}, cwd: '', now: new Date(0) }) as number;
  } catch {
    throw new InvalidArgumentError('an integer is required');
  }
}

/** int(text, 8) as borg parses --umask. */
export function parseOctal(text: string): number {
  const m = /^\s*\+?(?:0o)?([0-7]+(?:_[0-7]+)*)\s*$/i.exec(text);
  if (m === null) throw new InvalidArgumentError('an octal number is required');
  return parseInt(m[1]!.replaceAll('_', ''), 8);
}

export interface CommonOptionHooks {
  /** Receives borg's deprecation notices for --remote-ratelimit and --remote-buffer. */
  notice: (text: string) => void;
}

/** Adds the common options to one level (program, group or command). */
export function addCommonOptions(command: Command, hooks: CommonOptionHooks): void {
  // No commander defaults: resolveCommonOptions needs to see which level actually got a value.
  const add = (option: Option) => command.addOption(option.helpGroup('Common options:'));
  const level = (flags: string, value: LogLevel, description: string) =>
    add(new SharedKeyOption(flags, description, 'logLevel').preset(value));
  level('--critical', 'critical', 'work on log level CRITICAL');
  level('--error', 'error', 'work on log level ERROR');
  level('--warning', 'warning', 'work on log level WARNING (default)');
  level('-v, --info', 'info', 'work on log level INFO');
  // commander allows one short and one long flag per option, so --verbose is a third spelling of -v.
  add(new SharedKeyOption('--verbose', 'work on log level INFO', 'logLevel').preset('info').hideHelp());
  level('--debug', 'debug', 'enable debug output, work on log level DEBUG');
  add(new Option('--debug-topic <TOPIC>', 'enable TOPIC debugging (repeatable); TOPIC means borg.debug.TOPIC unless it contains a dot')
    .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]));
  add(new Option('-p, --progress', 'show progress information'));
  add(new Option('--iec', 'format using IEC units (1KiB = 1024B)'));
  add(new Option('--log-json', 'output one JSON object per log line instead of formatted text'));
  add(new Option('--lock-wait <SECONDS>', 'wait at most SECONDS for acquiring a repository/cache lock (default: 1)').argParser(parseInteger));
  add(new Option('--bypass-lock', 'bypass locking mechanism'));
  add(new Option('--show-version', 'show/log the borg version'));
  add(new Option('--show-rc', 'show/log the return code (rc)'));
  add(new Option('--umask <M>', 'set umask to M (local only, default: 0077)').argParser(parseOctal));
  add(new Option('--remote-path <PATH>', 'use PATH as borg executable on the remote (default: "borg")'));
  const deprecated = (flags: string, key: string, replacement: string) =>
    add(new SharedKeyOption(flags, `deprecated, use ${replacement} instead`, key).argParser((value: string) => {
      hooks.notice(`Warning: "${flags.split(' ')[0]}" is deprecated, use ${replacement} instead`);
      return parseInteger(value);
    }));
  deprecated('--remote-ratelimit <RATE>', 'uploadRatelimit', '--upload-ratelimit');
  add(new Option('--upload-ratelimit <RATE>', 'set network upload rate limit in kiByte/s (default: 0=unlimited)').argParser(parseInteger));
  deprecated('--remote-buffer <UPLOAD_BUFFER>', 'uploadBuffer', '--upload-buffer');
  add(new Option('--upload-buffer <UPLOAD_BUFFER>', 'set network upload buffer size in MiB (default: 0=no buffer)').argParser(parseInteger));
  add(new Option('--consider-part-files', 'treat part files like normal files (e.g. to list/extract them)'));
  add(new Option('--debug-profile <FILE>', 'write a CPU profile of this run into FILE (V8 .cpuprofile JSON)'));
  add(new Option('--rsh <RSH>', "use this command to connect to the 'borg serve' process (default: 'ssh')"));
}

const COMMON_KEYS = [
  'logLevel', 'progress', 'iec', 'logJson', 'lockWait', 'bypassLock', 'showVersion', 'showRc', 'umask',
  'remotePath', 'uploadRatelimit', 'uploadBuffer', 'considerPartFiles', 'debugProfile', 'rsh',
] as const satisfies ReadonlyArray<keyof CommonOptions>;

/** Merges the levels, most general first (program, group, command): the last level that got a value wins. */
export function resolveCommonOptions(levels: readonly Command[]): CommonOptions {
  const resolved: Record<string, unknown> = { ...COMMON_DEFAULTS, debugTopics: [] };
  for (const command of levels) {
    const values = command.opts();
    for (const key of COMMON_KEYS) {
      if (command.getOptionValueSource(key) === 'cli') resolved[key] = values[key];
    }
    (resolved['debugTopics'] as string[]).push(...((values['debugTopic'] as string[] | undefined) ?? []));
  }
  return resolved as unknown as CommonOptions;
}
