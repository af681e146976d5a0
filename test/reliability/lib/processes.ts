// Running borg-ts (the built dist/cli/main.js) and real borg as child processes for the reliability
// runs: with a time limit (a hang is a finding, not a stuck test), optionally killed with SIGKILL
// after a delay or after a number of output lines, and with helpers that classify the result.
import { spawn } from 'node:child_process';
import { BIN } from '../../interop/tools.js';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The time limit ran out (the process was killed). */
  timedOut: boolean;
  /** We killed it on purpose (killAfterMs / killAfterLines) while it still ran. */
  killed: boolean;
  ms: number;
  /** Output events (newlines and carriage returns on stderr and stdout) seen before the end. */
  lines: number;
}

export interface ProcessOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  killAfterMs?: number;
  killAfterLines?: number;
  /** Told the child's pid once it runs (to watch it from outside). */
  onSpawn?: (pid: number) => void;
}

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let lines = 0;
    let timedOut = false;
    let killed = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const count = (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a || byte === 0x0d) lines++;
      if (options.killAfterLines !== undefined && lines >= options.killAfterLines && !killed) {
        killed = true;
        kill();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      count(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      count(chunk);
    });
    const timers = [
      setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs ?? 120_000),
    ];
    if (options.killAfterMs !== undefined) {
      timers.push(setTimeout(() => {
        killed = true;
        kill();
      }, options.killAfterMs));
    }
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a child that exits early closes its stdin
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      resolve({
        code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
        timedOut, killed: killed && signal === 'SIGKILL', ms: Date.now() - started, lines,
      });
    });
  });
}

/**
 * The borg-ts under test: the build in dist/, or BORG_TS_TEST_BIN (a copy of a build, so that a
 * long torture run is not disturbed by a rebuild of dist/ meanwhile).
 */
export const BORG_TS_BIN = process.env['BORG_TS_TEST_BIN'] ?? BIN;

export function runBorgTs(args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  return runProcess(process.execPath, [BORG_TS_BIN, ...args], options);
}

export function runRealBorg(args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  return runProcess('borg', args, options);
}

/** One line for a report: what ran and how it ended. */
export function describeResult(what: string, r: ProcessResult): string {
  const end = r.timedOut ? 'timed out' : r.signal !== null ? `signal ${r.signal}` : `exit ${r.code}`;
  return `${what}: ${end}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 4000)}`;
}

/**
 * What borg-ts must never do with bad input: crash (a non-BorgError is reported as "Local
 * Exception"), print a stack trace, hang, or end by a signal. Returns the problem, or ''.
 */
export function misbehaviour(r: ProcessResult): string {
  if (r.timedOut) return 'hung (time limit reached)';
  if (r.signal !== null) return `ended by ${r.signal}`;
  if (/Local Exception|Traceback|^\s+at .+:\d+:\d+\)?$/m.test(r.stderr)) return 'crashed (Local Exception or stack trace)';
  if (r.code === 2 && r.stderr.trim() === '') return 'exit 2 without a message';
  if (r.code !== 0 && r.code !== 1 && r.code !== 2) return `unexpected exit code ${r.code}`;
  return '';
}
