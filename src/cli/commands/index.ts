// The command registry: one entry per command file. A subcommand ("key export") needs its group
// ({ group: true, name: 'key', summary }) somewhere in this list too.

import type { RegistryEntry } from '../command.js';
import { breakLockCommand } from './break-lock.js';
import { configCommand } from './config.js';
import { helpCommand } from './help.js';
import { initCommand } from './init.js';
import { keyChangePassphraseCommand } from './key-change-passphrase.js';
import { keyExportCommand } from './key-export.js';
import { keyImportCommand } from './key-import.js';
import { keyMigrateToRepokeyCommand } from './key-migrate-to-repokey.js';

export const COMMANDS: readonly RegistryEntry[] = [
  helpCommand,
  initCommand,
  { group: true, name: 'key', summary: 'manage repository key', description: 'Manage the keyfile or repokey of a repository' },
  keyExportCommand,
  keyImportCommand,
  keyChangePassphraseCommand,
  keyMigrateToRepokeyCommand,
  configCommand,
  breakLockCommand,
];
