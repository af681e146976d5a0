// Test helper: `borg-ts ARGS` run in-process (no build needed) with its own environment, working
// directory and stdin, capturing stdout as bytes and stderr as text; and real borg 1.2.4 the same
// way, so that tests can compare the two runs.
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';

import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface CliRunOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Fed to stdin; none when absent. */
  stdin?: Buffer | string;
}

export async function runBorgTs(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const umask = process.umask();
  try {
    const code = await runCli(args, {
      env: options.env, cwd: options.cwd,
      stdout: { write: (chunk: string | Uint8Array) => out.push(Buffer.from(chunk)) },
      stderr: { write: (chunk: string | Uint8Array) => void err.push(String(chunk)) },
      ...(options.stdin !== undefined ? { stdin: Readable.from([Buffer.from(options.stdin)]) } : {}),
    });
    return { code, stdout: Buffer.concat(out), stderr: err.join('') };
  } finally {
    process.umask(umask);
  }
}

export function runRealBorg(args: readonly string[], options: CliRunOptions): CliRun {
  const r = spawnSync('borg', args, {
    cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, input: options.stdin ?? '', maxBuffer: 1 << 28, timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Fails with both outputs when a run did not end with `code`. */
export function expectExit(run: CliRun, code: number, what: string): void {
  if (run.code !== code) throw new Error(`${what}: exit ${run.code}, expected ${code}\nstdout: ${run.stdout.toString()}\nstderr: ${run.stderr}`);
}
