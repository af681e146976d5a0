// The command registry: one entry per command file. A subcommand ("key export") needs its group
// ({ group: true, name: 'key', summary }) somewhere in this list too.

import type { RegistryEntry } from '../command.js';
import { helpCommand } from './help.js';

export const COMMANDS: readonly RegistryEntry[] = [
  helpCommand,
];
