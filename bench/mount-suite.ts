// The mount suite of `npm run bench`: one archive of many items (BENCH_MOUNT_ITEMS, default
// 1,000,000 small files in directories of 1000, plus one deep file), mounted by borg-ts and by
// real borg 1.2.4 in turn: time until the mount command returns (the archive's tree is built by
// then), to `ls` the root, to `find | wc -l`, to `cat` the deep file, and the serving process's
// peak RSS. The corpus and repository are made once per BENCH_DIR and item count.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BORG_TS = resolve(new URL('../dist/cli/main.js', import.meta.url).pathname);
const DEEP = 'deep/a/b/c/d/e/f/g/h/i/j/file.bin';
const DEEP_BYTES = 8 << 20;

interface Tool {
  name: string;
  argv: (args: string[]) => string[];
}

const TOOLS: Tool[] = [
  { name: 'borg-ts', argv: (args) => [process.execPath, BORG_TS, ...args] },
  { name: 'borg', argv: (args) => ['borg', ...args] },
];

function corpus(dir: string, items: number): string {
  const root = join(dir, 'tree');
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return root;
  rmSync(root, { recursive: true, force: true });
  for (let i = 0; i < items; i++) {
    const sub = join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `file-${i}.txt`), `item ${i}\n`);
  }
  mkdirSync(join(root, DEEP, '..'), { recursive: true });
  const data = Buffer.alloc(DEEP_BYTES);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(join(root, DEEP), data);
  writeFileSync(stamp, '');
  return root;
}

function env(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, BORG_BASE_DIR: join(dir, 'base'), BORG_PASSPHRASE: 'bench', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
}

function run(argv: string[], cwd: string, e: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: e, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** The repository (made by borg-ts) with the archive "items"; reused when present. */
function repository(dir: string, root: string): string {
  const repo = join(dir, 'repo');
  if (existsSync(join(dir, '.repo-complete'))) return repo;
  rmSync(repo, { recursive: true, force: true });
  run([process.execPath, BORG_TS, 'init', '-e', 'repokey', repo], dir, env(dir));
  run([process.execPath, BORG_TS, 'create', `${repo}::items`, '.'], root, env(dir));
  writeFileSync(join(dir, '.repo-complete'), '');
  return repo;
}

/** The process serving a mount: the one whose command line names the mount point after "mount". */
function servingPid(mountpoint: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.includes('mount') && args.includes(mountpoint)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function peakRssKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface Result {
  mount: number;
  ls: number;
  find: number;
  cat: number;
  entries: number;
  rssKiB: number;
}

function measure(tool: Tool, repo: string, dir: string): Result {
  const mnt = join(dir, `mnt-${tool.name}`);
  mkdirSync(mnt, { recursive: true });
  const e = env(dir);
  const mount = run(tool.argv(['mount', `${repo}::items`, mnt]), dir, e);
  try {
    const pid = servingPid(mnt);
    const ls = run(['ls', mnt], dir, e);
    let t0 = performance.now();
    const count = execFileSync('sh', ['-c', `find '${mnt}' | wc -l`], { encoding: 'utf8', timeout: 3_600_000 });
    const find = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const bytes = execFileSync('cat', [join(mnt, DEEP)], { maxBuffer: DEEP_BYTES * 2, timeout: 600_000 }).length;
    const cat = (performance.now() - t0) / 1000;
    if (bytes !== DEEP_BYTES) throw new Error(`${tool.name}: read ${bytes} bytes of the deep file`);
    return { mount, ls, find, cat, entries: Number(count.trim()), rssKiB: pid !== undefined ? peakRssKiB(pid) : NaN };
  } finally {
    spawnSync(tool.argv(['umount', mnt])[0]!, tool.argv(['umount', mnt]).slice(1), { env: e, timeout: 60_000 });
  }
}

export async function mountSuite(base: string): Promise<void> {
  const items = Number(process.env['BENCH_MOUNT_ITEMS'] ?? 1_000_000);
  const dir = join(base, `mount-${items}`);
  mkdirSync(dir, { recursive: true });
  const root = corpus(dir, items);
  const repo = repository(dir, root);
  const results = TOOLS.map((tool) => [tool.name, measure(tool, repo, dir)] as const);
  const [ours, theirs] = [results[0]![1], results[1]![1]];
  console.log(`\nmount: one archive of ${items} files (+ directories), ${ours.entries} entries found`);
  console.log('| step | borg-ts | borg | borg-ts / borg |');
  console.log('|---|---:|---:|---:|');
  for (const key of ['mount', 'ls', 'find', 'cat'] as const) {
    const label = { mount: 'mount (s)', ls: 'ls root (s)', find: 'find | wc -l (s)', cat: `cat ${DEEP_BYTES >> 20} MiB deep file (s)` }[key];
    console.log(`| ${label} | ${ours[key].toFixed(2)} | ${theirs[key].toFixed(2)} | ${(ours[key] / theirs[key]).toFixed(2)} |`);
  }
  console.log(`| peak RSS (MiB) | ${(ours.rssKiB / 1024).toFixed(0)} | ${(theirs.rssKiB / 1024).toFixed(0)} | ${(ours.rssKiB / theirs.rssKiB).toFixed(2)} |`);
  if (ours.entries !== theirs.entries) console.log(`warning: borg-ts found ${ours.entries} entries, borg ${theirs.entries}`);
}
