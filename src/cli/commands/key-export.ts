// `borg-ts key export [--paper | --qr-html] REPOSITORY [PATH]`: writes the repository's encrypted
// key to PATH or stdout, as a key file (also for repokey modes), a paper key to type in later, or
// a printable HTML page. The passphrase is not needed and not included.

import { statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { BorgError } from '../../errors.js';
import type { Location } from '../../remote/location.js';
import { locationArgument } from '../arg-types.js';
import { defineCommand } from '../command.js';
import { remoteOptions } from './repository-access.js';

const EPILOG = `An encrypted repository cannot be read without its key. This command makes a backup
copy of the key; the copy stays encrypted with the passphrase, so you need both the export
and the passphrase to regain access.

Formats: the default is the key file format, for storing as a file. --paper prints lines
with a checksum each, for printing and typing in with "key import --paper". --qr-html
writes an HTML page for printing, with the key file text and the paper lines.

With keyfile modes the key lives only on the machines that make backups: back it up
separately. With repokey modes it is kept in the repository config; a copy still helps
when that file gets damaged.

Examples:
    borg-ts key export /path/to/repo > encrypted-key-backup
    borg-ts key export --paper /path/to/repo > encrypted-key-backup.txt
    borg-ts key export --qr-html /path/to/repo encrypted-key-backup.html`;

export const keyExportCommand = defineCommand<{ location: Location; path: string | undefined; paper: boolean; qr: boolean }>({
  name: 'key export',
  summary: 'export repository key for backup',
  epilog: EPILOG,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository whose key to export', archive: 'forbidden', optional: true }),
    { name: 'path', metavar: 'PATH', description: "where to store the backup (default or '-': stdout)", required: false },
  ],
  options: [
    { flags: '--paper', description: 'create an export suitable for printing and later type-in', conflicts: ['qr'] },
    { flags: '--qr-html', key: 'qr', description: 'create an HTML page suitable for printing', conflicts: ['paper'] },
  ],
  async handler(ctx, { location, path, paper, qr }) {
    const { exportKey } = await import('../../archive/key-commands.js'); // loaded on use, see index.ts
    const text = await exportKey(location, paper ? 'paper' : qr ? 'html' : 'keyfile', { env: ctx.env, remote: remoteOptions(ctx) });
    if (path === undefined || path === '-') {
      ctx.print(text);
      return;
    }
    const target = resolve(ctx.cwd, path);
    let isDirectory = false;
    try {
      isDirectory = statSync(target).isDirectory();
    } catch {
      // not there yet: it will be created
    }
    if (isDirectory) throw new BorgError(`Cannot export the key to '${path}': it must be a file, not a directory`, { code: 'Error' });
    writeFileSync(target, text);
  },
});
