// Builds the commander program from the command registry and parses one command line into an
// invocation: which definition to run, its parsed arguments and the resolved common options.
// Parsing prints only help and version; everything else is left to main.ts.

import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { BorgError, UsageError } from '../errors.js';
import { BORG_VERSION } from '../version.js';
import { commandPath, expandAbbreviations } from './abbreviations.js';
import { isGroup, type ArgumentSpec, type CommandArgs, type CommandDefinition, type OptionSpec, type ParseEnvironment, type RegistryEntry, type ValueParser } from './command.js';
import { addCommonOptions, resolveCommonOptions, type CommonOptions } from './common-options.js';
import type { HelpMode, HelpService } from './context.js';
import { HELP_TOPICS } from './help-topics.js';

export const PROGRAM_NAME = 'borg-ts';

export interface ParseIo extends ParseEnvironment {
  /** Receives help and version text (stdout). */
  writeOut: (text: string) => void;
  /** Receives deprecation notices (stderr), printed even if parsing fails later. */
  notice: (text: string) => void;
  /** Wrap width for help. */
  columns?: number;
}

export interface Invocation {
  definition: CommandDefinition;
  args: CommandArgs;
  common: CommonOptions;
  help: HelpService;
}

/** An Invocation, or null when help or the version was printed. Throws UsageError for bad usage. */
export function parseCommandLine(argv: readonly string[], registry: readonly RegistryEntry[], io: ParseIo): Invocation | null {
  const state: { leaf?: Command; definition?: CommandDefinition } = {};
  const program = buildProgram(registry, io, state);
  try {
    // Like borg, a bare program name shows the help.
    program.parse(argv.length === 0 ? ['--help'] : expandAbbreviations(argv, program), { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommandLineExit)) throw error;
    const { commanderError, path } = error;
    if (commanderError.code === 'commander.helpDisplayed' || commanderError.code === 'commander.version') return null;
    // commander's messages start with "error: " and may add a suggestion on a second line.
    throw new UsageError(`${path}: ${commanderError.message.replace(/\s*\n\s*/g, ' ')}`);
  }
  if (state.leaf === undefined || state.definition === undefined) return null; // a group printed its help
  const levels: Command[] = [];
  for (let c: Command | null = state.leaf; c !== null; c = c.parent) levels.unshift(c);
  return {
    definition: state.definition,
    args: collectArgs(state.leaf, state.definition, io),
    common: resolveCommonOptions(levels),
    help: helpService(program, registry),
  };
}

/** Thrown by exitOverride so that the failing command's name reaches the message. */
class CommandLineExit extends Error {
  constructor(readonly commanderError: CommanderError, readonly path: string) {
    super(commanderError.message);
  }
}

function buildProgram(registry: readonly RegistryEntry[], io: ParseIo, state: { leaf?: Command; definition?: CommandDefinition }): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Deduplicating, compressing and encrypting backups, compatible with BorgBackup 1.2')
    .enablePositionalOptions()
    .helpCommand(false)
    .configureOutput({
      writeOut: io.writeOut, writeErr: io.writeOut, outputError: () => {},
      getOutHelpWidth: () => io.columns ?? 80, getErrHelpWidth: () => io.columns ?? 80,
    })
    .configureHelp({ sortSubcommands: true })
    .helpOption('-h, --help', 'show this help message and exit')
    .version(`${PROGRAM_NAME} ${BORG_VERSION}`, '-V, --version', 'show version number and exit');
  configureLevel(program, io);
  const groups = new Map<string, Command>();
  for (const entry of registry.filter(isGroup)) {
    const group = program.command(entry.name).summary(entry.summary).description(entry.description ?? entry.summary).allowExcessArguments();
    configureLevel(group, io);
    group.action(() => {
      if (group.args.length > 0) throw new UsageError(`${commandPath(group)}: error: unknown command '${group.args[0]}'`);
      group.outputHelp(); // like borg, a group without its subcommand shows its help
    });
    groups.set(entry.name, group);
  }
  for (const entry of registry) {
    if (isGroup(entry)) continue;
    const words = entry.name.split(' ');
    const parent = words.length === 1 ? program : groups.get(words[0]!);
    if (parent === undefined) throw new Error(`command "${entry.name}" needs its group "${words[0]}" in the registry`);
    addCommand(parent, words[words.length - 1]!, entry, io, state);
  }
  return program;
}

/** Settings every level needs: errors thrown (not process.exit), and the common options. */
function configureLevel(command: Command, io: ParseIo): void {
  command.exitOverride((error) => {
    throw new CommandLineExit(error, commandPath(command));
  });
  addCommonOptions(command, { notice: io.notice });
}

function addCommand(parent: Command, name: string, definition: CommandDefinition, io: ParseIo, state: { leaf?: Command; definition?: CommandDefinition }): void {
  const command = parent.command(name).summary(definition.summary);
  if (definition.passThroughOptions) command.passThroughOptions();
  command.description(definition.description ? `${definition.summary}\n\n${definition.description}` : definition.summary);
  if (definition.epilog) command.addHelpText('after', `\n${definition.epilog}`);
  for (const spec of definition.arguments ?? []) command.addArgument(makeArgument(spec, io));
  for (const spec of definition.options ?? []) {
    const option = makeOption(spec, io);
    command.addOption(option);
    if (spec.deprecated !== undefined) command.on(`option:${option.name()}`, () => io.notice(spec.deprecated!));
  }
  configureLevel(command, io); // after the command's own options, so that help lists those first
  command.action(() => {
    state.leaf = command;
    state.definition = definition;
  });
}

function makeArgument(spec: ArgumentSpec, io: ParseIo): Argument {
  const metavar = spec.metavar ?? spec.name.toUpperCase();
  const required = spec.required ?? !spec.variadic;
  const display = `${metavar}${spec.variadic ? '...' : ''}`;
  const argument = new Argument(required ? `<${display}>` : `[${display}]`, spec.description);
  const { parse } = spec;
  if (parse !== undefined) {
    argument.argParser((text: string, previous: unknown) => {
      const value = runParser(parse, text, io);
      return spec.variadic ? [...((previous as unknown[] | undefined) ?? []), value] : value;
    });
  }
  return argument;
}

/** An option whose value is stored under a chosen key, like argparse's dest. */
class KeyedOption extends Option {
  constructor(flags: string, description: string, private readonly key: string) {
    super(flags, description);
  }

  override attributeName(): string {
    return this.key;
  }
}

function makeOption(spec: OptionSpec, io: ParseIo): Option {
  const option = spec.key !== undefined ? new KeyedOption(spec.flags, spec.description, spec.key) : new Option(spec.flags, spec.description);
  if (spec.hidden) option.hideHelp();
  if (spec.conflicts !== undefined) option.conflicts([...spec.conflicts]);
  if (spec.choices !== undefined) option.choices(spec.choices); // for the help text; checked below
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.count) option.preset(1).argParser((_value: unknown, previous: unknown) => ((previous as number | undefined) ?? 0) + 1);
  if (option.required || option.optional) {
    const { parse, choices } = spec;
    option.argParser((text: string, previous: unknown) => {
      if (choices !== undefined && !choices.includes(text)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
      const value = parse !== undefined ? runParser(parse, text, io) : text;
      return spec.repeatable ? [...((previous as unknown[] | undefined) ?? []), value] : value;
    });
  }
  return option;
}

/** Usage errors from a parser become commander's "argument ... is invalid" errors; others pass. */
function runParser(parse: ValueParser, text: string, io: ParseIo): unknown {
  try {
    return parse(text, { env: io.env, cwd: io.cwd, now: io.now });
  } catch (error) {
    if (error instanceof UsageError) throw new InvalidArgumentError(error.message);
    if (error instanceof BorgError || !(error instanceof Error)) throw error;
    throw new InvalidArgumentError(error.message);
  }
}

function collectArgs(command: Command, definition: CommandDefinition, io: ParseIo): CommandArgs {
  const args: CommandArgs = {};
  const values = command.opts();
  for (const [index, spec] of (definition.options ?? []).entries()) {
    const option = command.options.find((o) => o.flags === spec.flags) ?? command.options[index]!;
    const key = option.attributeName();
    const isFlag = !option.required && !option.optional;
    args[key] = values[key] ?? (spec.repeatable ? [] : isFlag ? false : undefined);
  }
  for (const [index, spec] of (definition.arguments ?? []).entries()) {
    let value = command.processedArgs[index];
    if (value === undefined && spec.default !== undefined) value = parseDefault(command, spec, io);
    if (value === undefined && spec.variadic) value = [];
    args[spec.name] = value;
  }
  return args;
}

/** An absent argument's default text goes through its parser too, with commander's wording on failure. */
function parseDefault(command: Command, spec: ArgumentSpec, io: ParseIo): unknown {
  if (spec.parse === undefined) return spec.default;
  try {
    return runParser(spec.parse, spec.default!, io);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const metavar = spec.metavar ?? spec.name.toUpperCase();
    throw new UsageError(`${commandPath(command)}: error: command-argument value '${spec.default}' is invalid for argument '${metavar}'. ${error.message}`);
  }
}

function helpService(program: Command, registry: readonly RegistryEntry[]): HelpService {
  const find = (topic: string): Command | undefined => {
    let command: Command | undefined = program;
    for (const word of topic.split(' ')) command = command?.commands.find((c) => c.name() === word);
    return command;
  };
  return {
    text(topic: string | undefined, mode: HelpMode): string | undefined {
      if (topic === undefined) return program.helpInformation();
      if (Object.hasOwn(HELP_TOPICS, topic)) return HELP_TOPICS[topic];
      const command = find(topic);
      if (command === undefined) return undefined;
      // helpInformation() leaves out the epilog that --help adds after the options.
      const entry = registry.find((e) => e.name === topic);
      const epilog = entry !== undefined && !isGroup(entry) && entry.epilog ? `${entry.epilog}\n` : '';
      if (mode === 'epilog') return epilog;
      if (mode === 'usage' || epilog === '') return command.helpInformation();
      return `${command.helpInformation()}\n${epilog}`;
    },
    names: () => ({
      commands: registry.map((entry) => entry.name).sort(),
      topics: Object.keys(HELP_TOPICS).sort(),
    }),
  };
}
