// Disk full: the lab's working directory (repository and cache) is a small tmpfs that fills up
// during `create` or `compact`, or the repository's data directory is a file system of its own that
// is full. borg-ts must end with a clear one-line error and exit code 2 (or succeed if it fitted),
// the repository must stay at its last commit, and once the file system has room again (remounted
// larger) real borg check passes and borg-ts works again. Needs root.
import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_ARCHIVES, type Lab } from './lab.js';
import { describeResult, misbehaviour } from './processes.js';
import type { Prng } from './prng.js';

export const DISK_FULL_OPS = ['create', 'compact'] as const;
export type DiskFullOp = (typeof DISK_FULL_OPS)[number];

/**
 * How the disk fills: `room` leaves a fixed number of bytes free on the working file system;
 * `during` has another writer take all free space once compact writes its first new segments
 * (borg-ts may win the race and fit); `segments` puts the repository's data directory on a file
 * system of its own with less than a page free, while the repository root (where the free-space
 * estimate looks, as borg's does) has room: the first segment write fails, every time.
 */
export type DiskFullHow = { room: number } | 'during' | 'segments';

export interface DiskFullOutcome {
  op: DiskFullOp;
  /** How the disk was filled: a fixed room, during the run, or the segments' own file system. */
  how: 'room' | 'during' | 'segments';
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

const PAGE = 4096;

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
  return () => unmountPath(lab.run);
}

function unmountPath(path: string): void {
  const r = spawnSync('umount', [path], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', path]);
}

/**
 * Moves the repository's data directory onto a tmpfs of its own that holds the segments and
 * `room` bytes more; returns its size.
 */
function mountSegmentsTmpfs(lab: Lab, room: number): number {
  const data = join(lab.repo, 'data');
  const aside = join(lab.repo, 'data.aside');
  renameSync(data, aside);
  mkdirSync(data);
  const size = Math.ceil((pagesUsed(aside) + room) / PAGE) * PAGE;
  mount(['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', data]);
  cpSync(aside, data, { recursive: true, preserveTimestamps: true });
  rmSync(aside, { recursive: true });
  return size;
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
 * One seeded disk-full run of `op` (the lab's working dir must not be mounted yet), the disk filled
 * as `how` says; without `how`, a seeded pick (`create` leaves a fixed room; `compact` is filled
 * during the run or has its segment file system full). A fixed room small enough makes `compact`
 * fail at borg's free-space estimate, which it checks before it writes anything.
 */
export async function diskFullScenario(lab: Lab, op: DiskFullOp, rng: Prng, how?: DiskFullHow): Promise<DiskFullOutcome> {
  how ??= op === 'create' ? { room: rng.range(16 * 1024, 3 * 1024 * 1024) } : rng.pick(['during', 'segments'] as const);
  const room = typeof how === 'object' ? how.room : how === 'during' ? rng.range(0, 16 * 1024) : rng.range(0, PAGE);
  // The working file system: `room` to spare, or room for all compact could want.
  const size = Math.ceil((pagesUsed(lab.template) + (typeof how === 'object' ? room : 48 * 1024 * 1024)) / PAGE) * PAGE;
  const unmount = mountWorkingTmpfs(lab, size);
  const dataDir = join(lab.repo, 'data');
  let segmentsSize: number | undefined;
  const outcome: DiskFullOutcome = { op, how: typeof how === 'object' ? 'room' : how, headroom: room, result: 'bad', message: '', problems: [] };
  const problems = outcome.problems;
  try {
    lab.reset();
    if (how === 'segments') segmentsSize = mountSegmentsTmpfs(lab, room);
    const command: { args: string[]; cwd?: string } = op === 'create' ? lab.createArgs('new', 'new', ['--checkpoint-interval', '1']) : { args: ['compact', '--threshold', '0', lab.loc()] };
    const running = lab.ts(command.args, command.cwd !== undefined ? { cwd: command.cwd } : {});
    // Compact writes new segments only after the free-space estimate passed: fill the disk when
    // the seeded n-th new segment appears.
    let watcher: NodeJS.Timeout | undefined;
    if (how === 'during') {
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
    if (segmentsSize !== undefined) mount(['-o', `remount,size=${segmentsSize + 64 * 1024 * 1024}`, dataDir]);
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
    if (segmentsSize !== undefined) unmountPath(dataDir);
    unmount();
  }
  return outcome;
}
