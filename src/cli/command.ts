// What a command file exports: a declarative description of its arguments and options plus a
// handler. program.ts turns these into commander commands; the handler receives the parsed
// values and a CommandContext, calls the library, and renders text or JSON.

import type { CommandContext } from './context.js';

/** What argument and option parsers may consult (BORG_REPO for `::`, the run's {now}). */
export interface ParseEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now: Date;
}

/** Turns the text of an argument into its value; throw UsageError for bad input. */
export type ValueParser = (text: string, environment: ParseEnvironment) => unknown;

export interface ArgumentSpec {
  /** The key in the handler's args. */
  name: string;
  /** Shown in usage and errors, e.g. "REPOSITORY_OR_ARCHIVE"; default: name in upper case. */
  metavar?: string;
  description: string;
  /** Default true (false for variadic arguments). */
  required?: boolean;
  /** Collects all remaining operands into an array (argparse nargs='*' or '+' with required). */
  variadic?: boolean;
  /**
   * Text used when the argument is absent, run through `parse` like given text; borg uses ''
   * for an optional location so that BORG_REPO applies.
   */
  default?: string;
  parse?: ValueParser;
}

export interface OptionSpec {
  /** commander syntax: "-e, --exclude <PATTERN>", "--json", "--sort-by <KEYS>". */
  flags: string;
  description: string;
  /** The key in the handler's args; default: the long flag in camelCase ("--sort-by" -> sortBy). */
  key?: string;
  parse?: ValueParser;
  /** Collects every occurrence into an array, like argparse's action='append'. */
  repeatable?: boolean;
  /** A flag whose value is how often it was given (false when absent), like argparse's action='count'. */
  count?: boolean;
  default?: unknown;
  choices?: readonly string[];
  /** Keys of options that must not be given together with this one. */
  conflicts?: readonly string[];
  hidden?: boolean;
  /** Printed to stderr whenever the option is used. */
  deprecated?: string;
}

export type CommandArgs = Record<string, unknown>;

export interface CommandDefinition<Args extends CommandArgs = CommandArgs> {
  /** "list", or "key export" for a subcommand of a group declared with CommandGroup. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs shown by `help COMMAND` after the summary. */
  description?: string;
  /** Long help shown after the options (borg's epilog; `help --epilog-only`). */
  epilog?: string;
  arguments?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  /** Whether --bypass-lock is allowed (borg allows it for read-only commands only). */
  bypassLock?: boolean;
  /** Options after the first positional argument belong to it (with-lock's COMMAND and its options). */
  passThroughOptions?: boolean;
  /** Returns the exit code (0 when nothing is returned); throws BorgError for errors. */
  handler(ctx: CommandContext, args: Args): Promise<number | void> | number | void;
}

/** A command that only holds subcommands (borg's `key`, `debug`, `benchmark`). */
export interface CommandGroup {
  group: true;
  name: string;
  summary: string;
  description?: string;
}

export type RegistryEntry = CommandDefinition | CommandGroup;

/** Declares a command with typed args; the registry stores it with plain CommandArgs. */
export function defineCommand<Args extends CommandArgs>(definition: CommandDefinition<Args>): CommandDefinition {
  return definition as unknown as CommandDefinition;
}

export function isGroup(entry: RegistryEntry): entry is CommandGroup {
  return 'group' in entry;
}
