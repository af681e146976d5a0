// Running the built borg-ts (`npm run build` first) and the real borg 1.2.4 side by side in a
// private sandbox: its own BORG_BASE_DIR (keys, security dir, cache) and no BORG_* variable of the
// calling environment. Also a digest of a directory tree, to show that a refused command changed
// nothing on disk.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');
export const PASSPHRASE = 'correct horse battery staple';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Fed to stdin (stdin is empty otherwise). */
  input?: string;
}

function run(command: string, args: string[], options: RunOptions): Run {
  const result = spawnSync(command, args, {
    env: options.env, cwd: options.cwd, input: options.input ?? '', encoding: 'utf8', timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function borgTs(args: string[], options: RunOptions): Run {
  return run(process.execPath, [BIN, ...args], options);
}

export function realBorg(args: string[], options: RunOptions): Run {
  return run('borg', args, options);
}

/** Fails with both outputs when a run did not exit with `code`. */
export function assertExit(r: Run, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** An error as borg-ts must report it: exit 2, one line on stderr (matching `pattern`), no trace. */
export function assertOneLineError(r: Run, pattern: RegExp, what = 'command'): void {
  assertExit(r, 2, what);
  const lines = r.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `${what}: expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern, what);
  assert.doesNotMatch(r.stderr, /^\s+at .*\(.*\)$|Traceback/m, `${what}: stack trace on stderr`);
}

/** A temp directory with a private borg environment; remove it with cleanup(). */
export class Sandbox {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'borg-ts-sandbox-'));
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('BORG_')) env[name] = value;
    this.env = {
      ...env, LANG: 'C.UTF-8', BORG_BASE_DIR: join(this.dir, 'base'), BORG_PASSPHRASE: PASSPHRASE, ...extraEnv,
    };
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** The sandbox environment with some variables changed (undefined removes one). */
  with(changes: Record<string, string | undefined>): NodeJS.ProcessEnv {
    const env = { ...this.env };
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return env;
  }

  borgTs(args: string[], options: Partial<RunOptions> = {}): Run {
    return borgTs(args, { env: this.env, cwd: this.dir, ...options });
  }

  borg(args: string[], options: Partial<RunOptions> = {}): Run {
    return realBorg(args, { env: this.env, cwd: this.dir, ...options });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** sha256 over every entry below `root` (sorted): relative path, type and mode, size, content or link target. */
export function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      // A directory's own size changes with entries that come and go (lock files): leave it out.
      hash.update(`${rel}/${name}\0${st.mode}\0${st.isDirectory() ? '' : st.size}\0`);
      if (st.isDirectory()) walk(path, `${rel}/${name}`);
      else if (st.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (st.isFile()) hash.update(readFileSync(path));
    }
  };
  walk(root, '');
  return hash.digest('hex');
}
