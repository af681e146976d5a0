// Runs a snippet of Python with Debian's borg 1.2.4 importable, feeding it JSON on stdin and
// returning the JSON it prints: the oracle for behaviour that must match borg exactly.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** A private BORG_BASE_DIR so that borg never touches the real home directory. */
export const BORG_BASE_DIR = mkdtempSync(path.join(tmpdir(), 'borg-ts-oracle-'));
process.on('exit', () => rmSync(BORG_BASE_DIR, { recursive: true, force: true }));

export function python<T>(script: string, input: unknown, env: Record<string, string> = {}): T {
  const output = execFileSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, BORG_BASE_DIR, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return JSON.parse(output) as T;
}
