// Disk full: the lab's working directory (repository and cache) is a small tmpfs that fills up
// during `create` or `compact`. borg-ts must end with a clear one-line error and exit code 2 (or
// succeed if it fitted), the repository must stay at its last commit, and once the file system
// has room again (remounted larger) real borg check passes and borg-ts works again. Needs root.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_ARCHIVES, type Lab } from './lab.js';
import { describeResult, misbehaviour } from './processes.js';
import type { Prng } from './prng.js';

export const DISK_FULL_OPS = ['create', 'compact'] as const;
export type DiskFullOp = (typeof DISK_FULL_OPS)[number];

export interface DiskFullOutcome {
  op: DiskFullOp;
  /** Bytes of room left on the file system beyond the repository copy. */
  headroom: number;
  /** 'error' (exit 2 with a clear message) or 'fitted' (the operation succeeded). */
  result: 'error' | 'fitted' | 'bad';
  message: string;
  problems: string[];
}

export function canMount(): boolean {
  return process.getuid?.() === 0;
}

function mount(args: string[]): void {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${r.stderr}`);
}

/** Bytes the tree below `dir` occupies on a tmpfs (whole pages per file). */
function pagesUsed(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) total += pagesUsed(path);
    else total += Math.ceil(st.size / 4096) * 4096;
  }
  return total;
}

/** Mounts a tmpfs on the lab's working directory; returns the function that unmounts it. */
export function mountWorkingTmpfs(lab: Lab, size: number): () => void {
  mount(['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', lab.run]);
  return () => {
    const r = spawnSync('umount', [lab.run], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', lab.run]);
  };
}

function segmentFiles(repo: string): string[] {
  const out: string[] = [];
  const data = join(repo, 'data');
  for (const dir of readdirSync(data)) {
    try {
      for (const name of readdirSync(join(data, dir))) out.push(`${dir}/${name}`);
    } catch {
      // removed by compact meanwhile
    }
  }
  return out;
}

/** Fills the file system at `dir` with one file until `room` bytes are left. */
function fill(dir: string, room: number): void {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (free <= room) return;
  const fd = openSync(join(dir, 'filler'), 'a');
  try {
    const block = Buffer.alloc(1 << 20, 0x55);
    for (let left = free - room; left > 0; left -= block.length) {
      try {
        writeSync(fd, block, 0, Math.min(block.length, left));
      } catch {
        break; // full already: the command under test took the rest
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * One seeded disk-full run of `op` (the lab's working dir must not be mounted yet). `create` runs
 * on a file system with little room beyond the template copy. `compact` first needs room for
 * borg's free-space estimate (which refuses to start on a nearly full disk — that path is checked
 * with a small `headroom`), so without one the disk is filled by another writer while compact runs.
 */
export async function diskFullScenario(lab: Lab, op: DiskFullOp, rng: Prng, headroom?: number): Promise<DiskFullOutcome> {
  const concurrentFill = op === 'compact' && headroom === undefined;
  const room = headroom ?? (concurrentFill ? rng.range(0, 16 * 1024) : rng.range(16 * 1024, 3 * 1024 * 1024));
  const size = Math.ceil((pagesUsed(lab.template) + (concurrentFill ? 48 * 1024 * 1024 : room)) / 4096) * 4096;
  const unmount = mountWorkingTmpfs(lab, size);
  const outcome: DiskFullOutcome = { op, headroom: room, result: 'bad', message: '', problems: [] };
  const problems = outcome.problems;
  try {
    lab.reset();
    const command: { args: string[]; cwd?: string } = op === 'create' ? lab.createArgs('new', 'new', ['--checkpoint-interval', '1']) : { args: ['compact', '--threshold', '0', lab.loc()] };
    const running = lab.ts(command.args, command.cwd !== undefined ? { cwd: command.cwd } : {});
    // Compact writes new segments only after the free-space estimate passed: fill the disk when
    // the seeded n-th new segment appears.
    let watcher: NodeJS.Timeout | undefined;
    if (concurrentFill) {
      const known = new Set(segmentFiles(lab.repo));
      const after = rng.range(1, 3);
      let filling = false;
      // Once started, space that compact frees is taken again at once: the disk stays full.
      watcher = setInterval(() => {
        filling ||= segmentFiles(lab.repo).filter((f) => !known.has(f)).length >= after;
        if (filling) fill(lab.run, room);
      }, 2);
    }
    const r = await running;
    clearInterval(watcher);
    rmSync(join(lab.run, 'filler'), { force: true });
    const bad = misbehaviour(r);
    const lines = r.stderr.split('\n').filter((line) => line !== '');
    if (bad !== '') problems.push(`${bad}: ${describeResult(op, r)}`);
    else if (r.code === 0) outcome.result = 'fitted';
    else if (r.code === 2 && lines.length === 1) {
      outcome.result = 'error';
      outcome.message = lines[0]!;
    } else problems.push(`not one clear error line with exit 2: ${describeResult(op, r)}`);

    // Room again: the filler is gone, and the same file system grows.
    mount(['-o', `remount,size=${size + 64 * 1024 * 1024}`, lab.run]);
    const check = await lab.borg(['check', lab.loc()]);
    if (check.code !== 0) problems.push(describeResult('borg check after disk full', check));
    const archives = await lab.archives();
    const expected = [...Object.keys(TEMPLATE_ARCHIVES), ...(op === 'create' && outcome.result === 'fitted' ? ['new'] : [])];
    const unexpected = archives.filter((a) => !expected.includes(a) && !(op === 'create' && /^new\.checkpoint(\.\d+)?$/.test(a)));
    if (unexpected.length > 0 || expected.some((a) => !archives.includes(a))) {
      problems.push(`archives after disk full: ${archives.join(', ')} (expected ${expected.join(', ')})`);
    }
    for (const archive of archives) {
      const source = TEMPLATE_ARCHIVES[archive] ?? 'new';
      problems.push(...(await lab.verifyArchive(archive, source, archive.includes('.checkpoint'))));
    }
    // And works again.
    const again: { args: string[]; cwd?: string } = op === 'create' ? lab.createArgs(archives.includes('new') ? 'new-again' : 'new', 'new') : { args: ['compact', '--threshold', '0', lab.loc()] };
    const rerun = await lab.ts(again.args, again.cwd !== undefined ? { cwd: again.cwd } : {});
    if (rerun.code !== 0) problems.push(describeResult(`borg-ts ${op} with room again`, rerun));
    const final = await lab.borg(['check', lab.loc()]);
    if (final.code !== 0) problems.push(describeResult('borg check at the end', final));
    if (op === 'create' && rerun.code === 0) problems.push(...(await lab.verifyArchive(archives.includes('new') ? 'new-again' : 'new', 'new')));
  } finally {
    unmount();
  }
  return outcome;
}
