// Python's argparse accepts any unambiguous prefix of a long option ("--stat" for "--stats"), and
// scripts written for borg rely on it; commander does not. Before commander parses, rewrite such
// prefixes to the full option name of the command they are given to.

import type { Command, Option } from 'commander';

import { UsageError } from '../errors.js';

export function expandAbbreviations(argv: readonly string[], program: Command): string[] {
  const out = [...argv];
  let command = program;
  let sawOperand = false;
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const [name, ...value] = arg.split('=');
      const option = findLongOption(command, name!);
      if (option === undefined) continue; // commander reports the unknown option
      out[i] = [option.long!, ...value].join('=');
      if (value.length === 0 && (option.required || option.optional)) i += 1; // skip its value
    } else if (arg.startsWith('-') && arg.length > 1) {
      const option = command.options.find((o) => o.short === arg.slice(0, 2));
      if (option?.required && arg.length === 2) i += 1;
    } else {
      // The first operand of a command with subcommands selects the subcommand.
      const sub = sawOperand ? undefined : command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
      if (sub !== undefined) command = sub;
      else sawOperand = true;
    }
  }
  return out;
}

function findLongOption(command: Command, name: string): Option | undefined {
  const exact = command.options.find((o) => o.long === name);
  if (exact !== undefined) return exact;
  const candidates = command.options.filter((o) => o.long?.startsWith(name));
  if (candidates.length > 1) {
    const path = commandPath(command);
    throw new UsageError(`${path}: error: ambiguous option: ${name} could match ${candidates.map((o) => o.long).join(', ')}`);
  }
  return candidates[0];
}

export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
