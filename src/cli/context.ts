// What a command handler gets: the resolved common options, the environment, output streams,
// the logger tree, the warning collector, progress sinks for library calls, the abort signal and
// prompts answered by BORG_* variables. Created by main.ts once per run.

import type { CommonOptions } from './common-options.js';
import type { ExitCodeMode } from './exit-codes.js';
import { formatJson } from './json.js';
import type { LogManager, Logger } from './logger.js';
import { ProgressRenderer } from './progress.js';
import { lineReader, yes, type YesOptions } from './prompts.js';
import { SILENT_PROGRESS, type ProgressSink } from '../progress.js';
import { WarningCollector } from './warnings.js';

export interface Writer {
  write(chunk: string | Uint8Array): unknown;
}

/** The process's side of a run; tests pass their own. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writer;
  stderr: Writer;
  stdin?: NodeJS.ReadableStream;
  /** Width for progress lines (borg: $COLUMNS, else stdout's terminal); undefined: no padding. */
  columns?: number;
  /** Aborted with a TerminationSignal when SIGINT, SIGTERM or SIGHUP arrives. */
  signal?: AbortSignal;
}

export type HelpMode = 'full' | 'usage' | 'epilog';

/** Help texts of the program (for the `help` command). */
export interface HelpService {
  /** Help of the program (no topic), a command ("list", "key export") or a topic; undefined if unknown. */
  text(topic: string | undefined, mode: HelpMode): string | undefined;
  /** Command and topic names, for the error on an unknown topic. */
  names(): { commands: string[]; topics: string[] };
}

export interface CommandContext {
  readonly common: CommonOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** When the run started; the value of {now} in arguments. */
  readonly now: Date;
  readonly exitCodeMode: ExitCodeMode;
  /** Pass to library calls; aborted with a TerminationSignal on SIGINT/SIGTERM/SIGHUP. */
  readonly signal: AbortSignal;
  readonly stdout: Writer;
  /** Standard input, for commands that read data or paths from it (undefined when there is none). */
  readonly stdin: NodeJS.ReadableStream | undefined;
  readonly logs: LogManager;
  /** The "borg.archiver" logger, for messages of the command itself. */
  readonly logger: Logger;
  /** Collects warnings (exit code 1); also a WarningSink for library calls. */
  readonly warnings: WarningCollector;
  /** Progress events for library calls: shown with --progress, silent otherwise. */
  readonly progress: ProgressSink;
  /** File status lines (`--list`): pass it only when the user asked for the list. */
  readonly fileStatus: ProgressSink;
  readonly help: HelpService;
  /** Writes text to stdout. */
  print(text: string): void;
  /** Writes text to stderr (prompts; messages go through the logger). */
  printErr(text: string): void;
  /** One line of standard input without its newline, or null at its end. */
  readLine(): Promise<string | null>;
  /** borg's json_print: indent 4, sorted keys, Python's escaping. */
  printJson(value: unknown): void;
  getLogger(name: string): Logger;
  /** Asks a yes/no question on stderr (see prompts.ts); env variables can answer it. */
  yes(options: YesOptions): Promise<boolean>;
}

export interface ContextParts {
  io: CliIo;
  common: CommonOptions;
  logs: LogManager;
  now: Date;
  exitCodeMode: ExitCodeMode;
  signal: AbortSignal;
  help: HelpService;
}

export function createContext({ io, common, logs, now, exitCodeMode, signal, help }: ContextParts): CommandContext {
  const writeErr = (text: string) => void io.stderr.write(text);
  const renderer = new ProgressRenderer({
    json: common.logJson, write: writeErr, columns: io.columns, iec: common.iec, listLogger: logs.getLogger('borg.output.list'),
  });
  // stdin is touched only when a question is asked: commands may read it themselves (--paths-from-stdin).
  let reader: (() => Promise<string | null>) | undefined;
  const readLine = async () => {
    if (io.stdin === undefined) return null;
    reader ??= lineReader(io.stdin);
    return reader();
  };
  return {
    common, env: io.env, cwd: io.cwd, now, exitCodeMode, signal, stdout: io.stdout, stdin: io.stdin, logs, help,
    logger: logs.getLogger('borg.archiver'),
    warnings: new WarningCollector(logs.getLogger('borg.archiver')),
    progress: common.progress ? renderer : SILENT_PROGRESS,
    fileStatus: renderer,
    print: (text) => void io.stdout.write(text),
    printErr: writeErr,
    readLine,
    printJson: (value) => void io.stdout.write(formatJson(value)),
    getLogger: (name) => logs.getLogger(name),
    yes: (options) => yes(options, { env: io.env, write: writeErr, json: common.logJson, readLine }),
  };
}
