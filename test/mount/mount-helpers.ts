// Test helpers for real FUSE mounts: run the built borg-ts (and real borg) with time limits, wait
// for a mount to appear or go, and tear every mount down even when a test failed. Everything that
// touches a mount point runs in a child process with a timeout, so a hung file system fails the
// test instead of hanging the suite.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BORG_TS = resolve(new URL('../../dist/cli/main.js', import.meta.url).pathname);
const TIMEOUT = 60_000;

export type Env = Record<string, string | undefined>;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: Env, timeout = TIMEOUT): Run {
  const r: SpawnSyncReturns<string> = spawnSync(command, args, { cwd, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout, maxBuffer: 1 << 28 });
  if (r.error !== undefined) throw new Error(`${command} ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function borgTs(args: readonly string[], cwd: string, env: Env): Run {
  return run(process.execPath, [BORG_TS, ...args], cwd, env);
}

export function borg(args: readonly string[], cwd: string, env: Env): Run {
  return run('borg', args, cwd, env);
}

/** Any command, e.g. `cp -a` out of a mount. */
export function sh(command: string, args: readonly string[], cwd: string, env: Env = process.env): Run {
  return run(command, args, cwd, env);
}

export function ok(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** Whether a FUSE file system is mounted at `path` (absolute). */
export function isMounted(path: string): boolean {
  const target = resolve(path).replaceAll(' ', '\\040');
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === target && line.split(' ')[2]?.startsWith('fuse'));
}

export async function waitFor(condition: () => boolean, what: string, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Unmounts whatever is still mounted at these paths (lazily: never blocks). */
export function unmountAll(paths: Iterable<string>): void {
  for (const path of paths) {
    if (isMounted(path)) spawnSync('umount', ['-l', path], { timeout: 10_000 });
  }
}

/** Fresh mount points mnt-1, mnt-2, ... in a test's work directory, all unmounted at the end. */
export class MountPoints {
  readonly #made: string[] = [];

  constructor(private readonly workDir: () => string) {}

  next(): string {
    const path = join(this.workDir(), `mnt-${this.#made.length + 1}`);
    mkdirSync(path);
    this.#made.push(path);
    return path;
  }

  unmountAll(): void {
    unmountAll(this.#made);
  }
}

/** A foreground `borg-ts mount -f ...` run as a child process. */
export function startForeground(args: readonly string[], cwd: string, env: Env): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BORG_TS, 'mount', '-f', ...args], { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exit, stderr: () => stderr };
}

/** `find ROOT -printf` lines (relative path, type, link count, size), sorted, for comparing two mounts. */
export function listing(root: string, cwd: string): string[] {
  const r = ok(sh('find', ['.', '-printf', '%p %y %n %s\n'], resolve(cwd, root)), `find ${root}`);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

/** sha256 of every regular file below `root`, as "hash  path" lines, sorted. */
export function checksums(root: string, cwd: string): string[] {
  const r = ok(sh('sh', ['-c', 'find . -type f -print0 | xargs -0 -r sha256sum'], resolve(cwd, root)), `sha256sum ${root}`);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}
