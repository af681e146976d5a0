// The command registry: one entry per command file. A subcommand ("key export") needs its group
// ({ group: true, name: 'key', summary }) somewhere in this list too.
//
// Every run loads every command file here, because the parser needs all their options. So a command
// file imports at top level only what its options need (arg-types, small parsers) and loads its
// implementation with `await import(...)` inside the handler: `--version` or `list` must not pay
// for loading create, mount, web or tar (test/cli/lazy-loading.test.ts checks this).

import type { RegistryEntry } from '../command.js';
import { benchmarkCrudCommand, benchmarkGroup } from './benchmark.js';
import { breakLockCommand } from './break-lock.js';
import { configCommand } from './config.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { diffCommand } from './diff.js';
import { exportTarCommand } from './export-tar.js';
import { extractCommand } from './extract.js';
import { helpCommand } from './help.js';
import { importTarCommand } from './import-tar.js';
import { infoCommand } from './info.js';
import { initCommand } from './init.js';
import { keyChangePassphraseCommand } from './key-change-passphrase.js';
import { keyExportCommand } from './key-export.js';
import { keyImportCommand } from './key-import.js';
import { keyMigrateToRepokeyCommand } from './key-migrate-to-repokey.js';
import { listCommand } from './list.js';
import { mountCommand } from './mount.js';
import { umountCommand } from './umount.js';
import { renameCommand } from './rename.js';
import { compactCommand } from './compact.js';
import { pruneCommand } from './prune.js';
import { recreateCommand } from './recreate.js';
import { upgradeCommand } from './upgrade.js';
import { withLockCommand } from './with-lock.js';
import { checkCommand } from './check.js';
import { serveCommand } from './serve.js';
import { webCommand } from './web.js';

export const COMMANDS: readonly RegistryEntry[] = [
  helpCommand,
  initCommand,
  createCommand,
  { group: true, name: 'key', summary: 'manage repository key', description: 'Manage the keyfile or repokey of a repository' },
  keyExportCommand,
  keyImportCommand,
  keyChangePassphraseCommand,
  keyMigrateToRepokeyCommand,
  configCommand,
  breakLockCommand,
  listCommand,
  infoCommand,
  diffCommand,
  extractCommand,
  mountCommand,
  umountCommand,
  renameCommand,
  deleteCommand,
  pruneCommand,
  compactCommand,
  checkCommand,
  withLockCommand,
  upgradeCommand,
  exportTarCommand,
  importTarCommand,
  recreateCommand,
  benchmarkGroup,
  benchmarkCrudCommand,
  serveCommand,
  webCommand,
];
