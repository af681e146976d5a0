#!/usr/bin/env node
// The borg-ts program. The one place that turns errors into exit codes and prints them: a
// BorgError as its one-line message, anything else as "Local Exception" (trace with --debug),
// usage errors as one line; warnings make exit 1, signals 128+N; --show-rc reports the code.

import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BorgError, EXIT_ERROR, EXIT_SUCCESS } from '../errors.js';
import { BORG_VERSION } from '../version.js';
import type { CommandArgs, RegistryEntry } from './command.js';
import { COMMANDS } from './commands/index.js';
import type { CommonOptions } from './common-options.js';
import { createContext, type CliIo } from './context.js';
import { errorExitCode, errorMsgid, EXIT_SIGNAL_BASE, exitCodeMode, finalExitCode, showRcMessage, TerminationSignal, type ExitCodeMode, type TerminatingSignal } from './exit-codes.js';
import { LogManager, type Logger } from './logger.js';
import { withCpuProfile } from './profile.js';
import { parseCommandLine, PROGRAM_NAME, type Invocation } from './program.js';

/** Runs one command line; returns the exit code. Tests call this in-process with their own io. */
export async function runCli(argv: readonly string[], io: CliIo, registry: readonly RegistryEntry[] = COMMANDS): Promise<number> {
  const mode = exitCodeMode(io.env);
  const writeErr = (text: string) => void io.stderr.write(text);
  const now = new Date(); // one {now} for every argument and the command
  let invocation: Invocation | null;
  try {
    invocation = parseCommandLine(argv, registry, {
      env: io.env, cwd: io.cwd, now, columns: io.columns,
      writeOut: (text) => void io.stdout.write(text), notice: (text) => writeErr(`${text}\n`),
    });
    if (invocation?.common.bypassLock && !invocation.definition.bypassLock) {
      throw new BorgError('--bypass-lock is not allowed for this command', { code: 'Error' });
    }
  } catch (error) {
    // Logging is not set up before the command line is understood; print the bare message.
    writeErr(`${error instanceof BorgError ? error.message : localException(error)}\n`);
    if (!(error instanceof BorgError) && argv.includes('--debug')) writeErr(`${stackOf(error)}\n`);
    return error instanceof BorgError ? errorExitCode(error, mode) : EXIT_ERROR;
  }
  if (invocation === null) return EXIT_SUCCESS; // help or version was shown
  const { common, definition, args } = invocation;
  const logs = setupLogging(common, args, writeErr);
  const logger = logs.getLogger('borg.archiver');
  if (common.showVersion) logs.getLogger('borg.output.show-version').info(`${PROGRAM_NAME} version ${BORG_VERSION}`);
  const signal = io.signal ?? new AbortController().signal;
  let code: number;
  try {
    process.umask(common.umask); // before anything creates files, like borg
    const ctx = createContext({ io, common, logs, now, exitCodeMode: mode, signal, help: invocation.help });
    const result = await withCpuProfile(common.debugProfile, async () => definition.handler(ctx, args));
    code = finalExitCode(typeof result === 'number' ? result : EXIT_SUCCESS, ctx.warnings.records, mode);
  } catch (error) {
    // After a signal the error is most likely its consequence; the signal is reported below.
    code = signal.aborted ? EXIT_ERROR : reportError(error, logger, mode);
  }
  if (signal.aborted) {
    // Whatever the command made of the abort, the run ends as the signal's (unless it handled it).
    const reason = signal.reason instanceof TerminationSignal ? signal.reason : new TerminationSignal('SIGINT');
    if (!reason.handled) {
      logger.error(reason.message, reason.msgid);
      code = reason.exitCode;
    }
  }
  if (common.showRc) {
    const { level, message } = showRcMessage(code);
    logs.getLogger('borg.output.show-rc').log(level, message);
  }
  return code;
}

function setupLogging(common: CommonOptions, args: CommandArgs, write: (text: string) => void): LogManager {
  const logs = new LogManager({ level: common.logLevel, json: common.logJson, write });
  // borg shows these outputs at INFO whenever their option is given, whatever the log level.
  const implied: Array<[string, unknown]> = [
    ['borg.output.list', args['outputList']], ['borg.output.stats', args['stats']],
    ['borg.output.progress', common.progress], ['borg.output.show-version', common.showVersion], ['borg.output.show-rc', common.showRc],
  ];
  for (const [name, enabled] of implied) logs.setLevel(name, enabled ? 'info' : 'warning');
  for (const topic of common.debugTopics) {
    const name = topic.includes('.') ? topic : `borg.debug.${topic}`;
    logs.getLogger('borg.archiver').debug(`Enabling debug topic ${name}`);
    logs.setLevel(name, 'debug');
  }
  return logs;
}

function reportError(error: unknown, logger: Logger, mode: ExitCodeMode): number {
  if (error instanceof BorgError) {
    logger.error(error.message, errorMsgid(error));
    logger.debug(stackOf(error));
    return errorExitCode(error, mode);
  }
  // An operating-system failure (disk full, I/O error, permissions) is not a bug: one clear line.
  logger.error(isSystemError(error) ? error.message : localException(error), 'Exception');
  logger.debug(stackOf(error));
  return EXIT_ERROR;
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const e = error as NodeJS.ErrnoException;
  return error instanceof Error && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/** A bug or an unexpected failure: one line, the trace is for --debug. */
function localException(error: unknown): string {
  return `Local Exception: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

function stackOf(error: unknown): string {
  return error instanceof Error && error.stack !== undefined ? error.stack : String(error);
}

/** Terminal width as Python's shutil.get_terminal_size() finds it: $COLUMNS, else stdout's. */
function terminalColumns(): number | undefined {
  const fromEnv = Number(process.env['COLUMNS']);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

async function main(): Promise<void> {
  // A reader that went away (`borg-ts list | head`) ends us quietly, like SIGPIPE ends C tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_SIGNAL_BASE + 13);
    throw error;
  });
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly TerminatingSignal[]) {
    process.on(name, () => {
      const reason = new TerminationSignal(name);
      // A second signal ends the process at once, in case the command does not react to the first.
      if (controller.signal.aborted) process.exit(reason.exitCode);
      controller.abort(reason);
    });
  }
  const cwd = workingDirectory();
  if (cwd === null) {
    process.stderr.write(`${PROGRAM_NAME}: the current working directory does not exist any more\n`);
    process.exitCode = EXIT_ERROR;
    return;
  }
  const code = await runCli(process.argv.slice(2), {
    env: process.env, cwd, stdout: process.stdout, stderr: process.stderr, columns: terminalColumns(),
    signal: controller.signal,
    get stdin() {
      return process.stdin; // created only if a prompt reads it
    },
  });
  process.exitCode = code;
  // After a signal, do not wait for work that may still hold the event loop.
  if (controller.signal.aborted) process.exit(code);
}

/**
 * The working directory. When it has been deleted, node's process.cwd() throws wherever a relative
 * path is resolved; the directory's former path (the shell's PWD, if that is gone too) serves
 * instead, so that relative paths name nothing and absolute ones work, as with borg. Null when not
 * even that is known: then nothing can be resolved safely.
 */
function workingDirectory(): string | null {
  try {
    return process.cwd();
  } catch {
    // deleted (or no longer reachable)
  }
  const former = process.env['PWD'];
  // A PWD that still exists would make relative paths quietly mean another directory.
  if (former === undefined || !isAbsolute(former) || existsSync(former)) return null;
  process.cwd = () => former;
  return former;
}

const invokedPath = process.argv[1] !== undefined ? safeRealpath(process.argv[1]) : undefined;
if (invokedPath === fileURLToPath(import.meta.url)) await main();

function safeRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
