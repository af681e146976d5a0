// Crash consistency: borg-ts is killed with SIGKILL at a seeded point (after a delay, or after a
// number of --list/--progress output lines) during one operation on a copy of the lab's template.
// Then, in this order:
//   1. `borg-ts list` succeeds: the dead process's lock is broken automatically;
//   2. real `borg check` passes (check --repair: only the orphans it was repairing may be left);
//   3. every archive committed before the kill is still there (unless the operation removes it),
//      nothing unexpected appeared, and each archive extracts with real borg identical to its
//      source (checkpoints: what they hold is identical);
//   4. the same operation run again succeeds, then a new backup succeeds (caches recovered), and
//      real `borg check` passes and the new backup extracts intact.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_ARCHIVES, type Lab } from './lab.js';
import { describeResult, type ProcessResult } from './processes.js';
import type { Prng } from './prng.js';

export const CRASH_OPS = ['create', 'delete', 'prune', 'compact', 'check-repair', 'recreate'] as const;
export type CrashOpName = (typeof CRASH_OPS)[number];

interface CrashOp {
  /** Runs on the fresh copy before the command that is killed. */
  prepare?(lab: Lab): Promise<void>;
  command(lab: Lab): { args: string[]; cwd?: string };
  /** Archives the operation may remove. */
  removes: readonly string[];
  /** The archive the operation adds (and its source). */
  adds?: { name: string; source: string };
  /** Extra errors real borg check may report right after the kill. */
  checkMayReport?: RegExp;
  /** The next run of the operation, given the archives left after the kill. */
  rerun(lab: Lab, archives: string[]): { args: string[]; cwd?: string };
}

const OPS: Record<CrashOpName, CrashOp> = {
  create: {
    command: (lab) => lab.createArgs('new', 'new', ['--list', '--checkpoint-interval', '1']),
    removes: [],
    adds: { name: 'new', source: 'new' },
    rerun: (lab, archives) => lab.createArgs(archives.includes('new') ? 'new-again' : 'new', 'new', ['--list']),
  },
  delete: {
    command: (lab) => ({ args: ['delete', '--list', lab.loc(), 'a1', 'a2'] }),
    removes: ['a1', 'a2'],
    rerun: (lab, archives) => {
      const left = ['a1', 'a2'].filter((a) => archives.includes(a));
      return { args: left.length > 0 ? ['delete', lab.loc(), ...left] : ['compact', lab.loc()] };
    },
  },
  prune: {
    command: (lab) => ({ args: ['prune', '--list', '--keep-last', '1', lab.loc()] }),
    removes: ['a1', 'a2'],
    rerun: (lab) => ({ args: ['prune', '--keep-last', '1', lab.loc()] }),
  },
  compact: {
    command: (lab) => ({ args: ['compact', '--threshold', '0', lab.loc()] }),
    removes: [],
    rerun: (lab) => ({ args: ['compact', '--threshold', '0', lab.loc()] }),
  },
  'check-repair': {
    // Something to repair: the objects of an archive dropped from the manifest only (orphans).
    prepare: async (lab) => {
      const { args, cwd } = lab.createArgs('orphaned', 'new');
      await lab.tsOk(args, { cwd });
      await lab.tsOk(['delete', '--force', '--force', lab.loc('orphaned')]);
    },
    command: (lab) => ({ args: ['check', '--repair', '--progress', lab.loc()] }),
    removes: [],
    checkMayReport: /orphaned objects found/,
    rerun: (lab) => ({ args: ['check', '--repair', lab.loc()] }),
  },
  recreate: {
    command: (lab) => ({ args: ['recreate', '--list', '-C', 'zlib,1', '--recompress', 'always', '--chunker-params', '11,17,13,4095', lab.loc()] }),
    removes: [],
    rerun: (lab) => ({ args: ['recreate', '-C', 'zlib,1', '--recompress', 'always', '--chunker-params', '11,17,13,4095', lab.loc()] }),
  },
};

export interface CrashOutcome {
  op: CrashOpName;
  /** How the kill point was chosen, e.g. "after 830 ms" or "after 12 lines". */
  killPoint: string;
  /** The process still ran when it was killed (else it had finished first). */
  killed: boolean;
  /** A lock of the dead process was left behind (and had to be broken). */
  staleLock: boolean;
  archivesAfterKill: string[];
  problems: string[];
}

interface Calibration {
  ms: number;
  lines: number;
}

const calibrations = new WeakMap<Lab, Map<CrashOpName, Calibration>>();

/** How long the uninterrupted operation takes and how many output lines it writes. */
async function calibrate(lab: Lab, name: CrashOpName): Promise<Calibration> {
  let known = calibrations.get(lab);
  if (!known) calibrations.set(lab, (known = new Map()));
  const cached = known.get(name);
  if (cached) return cached;
  lab.reset();
  const op = OPS[name];
  await op.prepare?.(lab);
  const { args, cwd } = op.command(lab);
  const r = await lab.tsOk(args, cwd !== undefined ? { cwd } : {});
  const result = { ms: r.ms, lines: r.lines };
  known.set(name, result);
  return result;
}

/** Base name of a checkpoint or recreate left-over, and whether it is one. */
function partialOf(name: string): { base: string; partial: boolean } {
  const m = /^(.*?)(\.checkpoint(\.\d+)?|\.recreate)$/.exec(name);
  return m ? { base: m[1]!, partial: true } : { base: name, partial: false };
}

function sourceOf(op: CrashOp, name: string): string | undefined {
  if (TEMPLATE_ARCHIVES[name] !== undefined) return TEMPLATE_ARCHIVES[name];
  if (op.adds && (name === op.adds.name || name === `${op.adds.name}-again`)) return op.adds.source;
  return undefined;
}

function checkProblems(op: CrashOp, r: ProcessResult, what: string, lenient: boolean): string[] {
  if (r.code === 0) return [];
  // borg's own notice about a config.old left by a kill during a config update (it erases it).
  const errors = r.stderr.split('\n').filter((line) => line !== '' && !/^(Starting|Checking|Archive consistency|Analyzing|Enter passphrase|Repository|Old config file not securely erased)/.test(line));
  if (lenient && op.checkMayReport && r.code === 1 && errors.every((line) => op.checkMayReport!.test(line))) return [];
  return [describeResult(what, r)];
}

/** One seeded kill of `name` on a fresh copy of the template, and the checks after it. */
export async function crashScenario(lab: Lab, name: CrashOpName, rng: Prng): Promise<CrashOutcome> {
  const op = OPS[name];
  const calibration = await calibrate(lab, name);
  lab.reset();
  await op.prepare?.(lab);
  const byLines = calibration.lines > 2 && rng.chance(0.5);
  const killAfterLines = byLines ? rng.range(1, calibration.lines) : undefined;
  const killAfterMs = byLines ? undefined : Math.round(calibration.ms * (0.15 + 0.9 * rng.float()));
  const { args, cwd } = op.command(lab);
  const run = await lab.ts(args, { ...(cwd !== undefined ? { cwd } : {}), ...(byLines ? { killAfterLines } : { killAfterMs }) });
  const outcome: CrashOutcome = {
    op: name, killPoint: byLines ? `after ${killAfterLines} lines` : `after ${killAfterMs} ms`, killed: run.killed,
    staleLock: existsSync(join(lab.repo, 'lock.exclusive')) || existsSync(join(lab.repo, 'lock.roster')),
    archivesAfterKill: [], problems: [],
  };
  const problems = outcome.problems;
  if (!run.killed && run.code !== 0) problems.push(describeResult(`borg-ts ${args.join(' ')} (not killed)`, run));

  // 1. Our next command breaks the dead process's lock by itself.
  const list = await lab.ts(['list', '--consider-checkpoints', lab.loc()]);
  if (list.code !== 0) problems.push(describeResult('borg-ts list after the kill', list));
  if (existsSync(join(lab.repo, 'lock.exclusive'))) problems.push('lock.exclusive still there after borg-ts list');

  // 2. Real borg finds the repository consistent.
  problems.push(...checkProblems(op, await lab.borg(['check', lab.loc()]), 'borg check after the kill', true));

  // 3. Committed archives survive and extract intact.
  const archives = await lab.archives();
  outcome.archivesAfterKill = archives;
  for (const before of Object.keys(TEMPLATE_ARCHIVES)) {
    if (!archives.includes(before) && !op.removes.includes(before)) problems.push(`archive ${before} was lost`);
  }
  for (const archive of archives) {
    const { base, partial } = partialOf(archive);
    const source = sourceOf(op, base);
    if (source === undefined) problems.push(`unexpected archive ${archive}`);
    else problems.push(...(await lab.verifyArchive(archive, source, partial)));
  }

  // 4. The next runs succeed and leave a consistent repository.
  const again = op.rerun(lab, archives);
  const rerun = await lab.ts(again.args, again.cwd !== undefined ? { cwd: again.cwd } : {});
  if (rerun.code !== 0) problems.push(describeResult(`rerun borg-ts ${again.args.join(' ')}`, rerun));
  const next = lab.createArgs('next', 'new');
  const create = await lab.ts(next.args, { cwd: next.cwd });
  if (create.code !== 0) problems.push(describeResult('borg-ts create after the kill', create));
  problems.push(...checkProblems(op, await lab.borg(['check', lab.loc()]), 'borg check at the end', false));
  if (create.code === 0) problems.push(...(await lab.verifyArchive('next', 'new')));
  return outcome;
}
