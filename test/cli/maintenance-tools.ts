// Helpers of the maintenance command tests (prune, compact, with-lock, upgrade).
//
// borgBatch runs many real borg 1.2.4 command lines in one Python process (borg's own Archiver):
// starting borg costs about a second, so a test that needs dozens of archives or dozens of dry
// runs would otherwise spend minutes starting Python. Each command gets its own captured stdout
// and stderr (borg sets up logging per run, on the stderr of that moment) and its exit code.
import { spawnSync } from 'node:child_process';
import { runCli } from '../../src/cli/main.js';

export interface BorgJob {
  argv: string[];
  /** Variables to set (or remove, with null) before this command; TZ changes take effect. */
  env?: Record<string, string | null>;
}

export interface BorgJobResult {
  rc: number;
  stdout: string;
  stderr: string;
}

const RUNNER = String.raw`
import io, json, os, sys, time
import borg.helpers
from borg.archiver import Archiver
from borg.helpers import Error
jobs = json.load(sys.stdin)
results = []
for job in jobs:
    for name, value in (job.get('env') or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    time.tzset()
    borg.helpers.exit_code = 0  # set_ec() only ever raises this process-wide value
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        archiver = Archiver()
        rc = archiver.run(archiver.get_args(['borg'] + job['argv'], None))
    except Error as e:
        err.write(e.get_message() + '\n')
        rc = e.exit_code
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 2
    finally:
        sys.stdout, sys.stderr = saved
    results.append({'rc': rc, 'stdout': out.getvalue(), 'stderr': err.getvalue()})
json.dump(results, sys.stdout)
`;

/** Runs `jobs` one after the other in one borg process with environment `env`. */
export function borgBatch(jobs: readonly BorgJob[], env: NodeJS.ProcessEnv, cwd?: string): BorgJobResult[] {
  const r = spawnSync('/usr/bin/python3', ['-c', RUNNER], {
    input: JSON.stringify(jobs), env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, ...(cwd ? { cwd } : {}),
  });
  if (r.status !== 0) throw new Error(`borg batch failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as BorgJobResult[];
}

export interface OurRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs borg-ts in this process (no build needed), with `env` as its whole environment. The
 * process's TZ is set from `env` for the run: local times are the process's.
 */
export async function runBorgTs(argv: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; signal?: AbortSignal } = {}): Promise<OurRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const savedTz = process.env['TZ'];
  if (env['TZ'] === undefined) delete process.env['TZ'];
  else process.env['TZ'] = env['TZ'];
  try {
    const code = await runCli(argv, {
      env, cwd: options.cwd ?? process.cwd(),
      stdout: { write: (chunk) => stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) },
      stderr: { write: (chunk) => stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  }
}
