// The archive suite of `npm run bench`: borg-ts, real borg 1.2.4 and restic (Debian's, installed
// by the bench when missing; left out if that fails) back up, re-back-up, list, extract and verify
// the same corpora in one run: wall time, CPU time (user + system) and peak RSS side by side, with
// the machine's load average (other work on the machine distorts wall times, less so CPU times).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { bigFilesCorpus, changeOnePercent, smallFilesCorpus, type Corpus } from './corpora.js';
import { freshExtractTarget, type ExtractTarget } from './extract-target.js';

const BORG_PYTHON = '/usr/bin/python3';
const BORG_TS = resolve(new URL('../dist/cli/main.js', import.meta.url).pathname);

// Runs a command and reports its wall time, peak RSS and CPU time: Python's
// getrusage(RUSAGE_CHILDREN) after the child ended (no extra package such as GNU time needed).
const RUSAGE_WRAPPER = `
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
t = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, t, r.ru_maxrss, r.ru_utime + r.ru_stime)
`;

export interface Measurement {
  seconds: number;
  rssKiB: number;
  /** User + system CPU time of the command and its children. */
  cpuSeconds: number;
}

/** One program under test: how it does each step of the suite. */
interface Tool {
  name: string;
  env: (work: string) => NodeJS.ProcessEnv;
  init: (repo: string) => string[];
  create: (repo: string, name: string, root: string) => string[];
  list: (repo: string, name: string) => string[];
  /** Extracts into the current directory. */
  extract: (repo: string, name: string) => string[];
  verify: (repo: string) => string[];
}

function borgLike(name: string, command: string[]): Tool {
  return {
    name,
    env: (work) => ({ ...process.env, BORG_BASE_DIR: join(work, `base-${name}`), BORG_PASSPHRASE: 'bench', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' }),
    init: (repo) => [...command, 'init', '-e', 'repokey', repo],
    create: (repo, archive, root) => [...command, 'create', `${repo}::${archive}`, root],
    list: (repo, archive) => [...command, 'list', `${repo}::${archive}`],
    extract: (repo, archive) => [...command, 'extract', `${repo}::${archive}`],
    verify: (repo) => [...command, 'check', '--verify-data', repo],
  };
}

// restic names snapshots itself: the suite's archives are its snapshots in order, the last is "latest".
const RESTIC: Tool = {
  name: 'restic',
  env: (work) => ({ ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(work, 'base-restic') }),
  init: (repo) => ['restic', '--quiet', 'init', '--repo', repo],
  create: (repo, _name, root) => ['restic', '--quiet', 'backup', '--repo', repo, root],
  list: (repo) => ['restic', 'ls', '--repo', repo, 'latest'],
  extract: (repo) => ['restic', '--quiet', 'restore', '--repo', repo, 'latest', '--target', '.'],
  verify: (repo) => ['restic', '--quiet', 'check', '--read-data', '--repo', repo],
};

/** restic from Debian, installed on first use (not a test dependency: only the bench needs it). */
function resticAvailable(): boolean {
  const has = () => spawnSync('restic', ['version'], { stdio: 'ignore' }).status === 0;
  if (has()) return true;
  console.log('installing restic (apt-get install restic) for the comparison ...');
  spawnSync('apt-get', ['install', '-y', '-q', 'restic'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!has()) spawnSync('sh', ['-c', 'apt-get update -q && apt-get install -y -q restic'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (has()) return true;
  console.log('restic could not be installed: the restic columns are left out');
  return false;
}

export function measure(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Measurement {
  const r = spawnSync(BORG_PYTHON, ['-c', RUSAGE_WRAPPER, ...argv], { env, cwd, encoding: 'utf8', maxBuffer: 1 << 20 });
  const [rc, seconds, rss, cpu] = r.stdout.trim().split(/\s+/).map(Number);
  if (r.status !== 0 || rc !== 0) throw new Error(`${argv.join(' ')} failed (rc ${rc}): ${r.stderr}`);
  return { seconds: seconds!, rssKiB: rss!, cpuSeconds: cpu! };
}

/**
 * Reads every file under `paths` once, so that the next command finds them in the page cache.
 * This VM runs DAMON reclaim, which pages out file pages left idle for about 30 s: without this,
 * whichever tool runs a step first would read the shared corpus (or its repository) from disk, and
 * the next one would find it cached.
 */
export function warmPageCache(paths: string[]): void {
  spawnSync('sh', ['-c', 'find "$@" -type f -print0 | xargs -0 -r cat > /dev/null', 'sh', ...paths], { stdio: 'ignore' });
}

export function fmtRss(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

interface Row {
  step: string;
  bytes: number;
  results: Record<string, Measurement>;
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

function printRows(corpus: Corpus, tools: Tool[], rows: Row[], loadBefore: string, extractedTo: string): void {
  const names = tools.map((t) => t.name);
  const others = names.filter((n) => n !== 'borg-ts');
  console.log(`\n${corpus.name}: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(0)} MB; load average before ${loadBefore}, after ${load()}`);
  const head = [
    'step', ...names.map((n) => `${n} s`), ...others.map((n) => `borg-ts / ${n}`),
    ...names.map((n) => `${n} CPU s`), ...names.map((n) => `${n} MB/s`), ...names.map((n) => `${n} peak RSS`),
  ];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|---|${head.slice(1).map(() => '---:').join('|')}|`);
  for (const row of rows) {
    const m = (n: string) => row.results[n]!;
    const ours = m('borg-ts');
    const cells = [
      row.step, ...names.map((n) => m(n).seconds.toFixed(2)), ...others.map((n) => (ours.seconds / m(n).seconds).toFixed(2)),
      ...names.map((n) => m(n).cpuSeconds.toFixed(2)), ...names.map((n) => (row.bytes / 1e6 / m(n).seconds).toFixed(0)),
      ...names.map((n) => fmtRss(m(n).rssKiB)),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log(`(each tool extracted into ${extractedTo})`);
}

function runCorpus(corpus: Corpus, work: string, tools: Tool[]): void {
  const rows: Row[] = [];
  const loadBefore = load();
  const repoOf = (tool: Tool) => join(work, `repo-${tool.name}`);
  let extractedTo = '';
  // Each tool finds what it reads (the corpus, its repository and cache) in the page cache; a step
  // that writes a tree gets a fresh place for it per tool.
  const step = (name: string, argv: (tool: Tool, repo: string) => string[], target?: (tool: Tool) => ExtractTarget) => {
    const results: Record<string, Measurement> = {};
    const readsCorpus = name.startsWith('create');
    for (const tool of tools) {
      warmPageCache([...(readsCorpus ? [corpus.root] : []), repoOf(tool), join(work, `base-${tool.name}`)]);
      const place = target?.(tool);
      try {
        results[tool.name] = measure(argv(tool, repoOf(tool)), tool.env(work), place?.path ?? work);
      } finally {
        place?.release();
      }
    }
    rows.push({ step: name, bytes: corpus.bytes, results });
  };
  for (const tool of tools) {
    rmSync(repoOf(tool), { recursive: true, force: true });
    rmSync(join(work, `base-${tool.name}`), { recursive: true, force: true });
    measure(tool.init(repoOf(tool)), tool.env(work), work);
  }
  step('create, new data', (t, repo) => t.create(repo, 'first', corpus.root));
  step('create, unchanged (files cache)', (t, repo) => t.create(repo, 'second', corpus.root));
  changeOnePercent(corpus, Date.now() % 1000);
  step('create, 1 % of files changed', (t, repo) => t.create(repo, 'third', corpus.root));
  step('list archive items', (t, repo) => t.list(repo, 'third'));
  step('extract', (t, repo) => t.extract(repo, 'third'), (tool) => {
    const place = freshExtractTarget(work, tool.name, corpus.bytes);
    extractedTo = place.kind;
    return place;
  });
  step('check --verify-data', (t, repo) => t.verify(repo));
  printRows(corpus, tools, rows, loadBefore, extractedTo);
}

export async function archiveSuite(dir: string): Promise<void> {
  const smallCount = Number(process.env['BENCH_SMALL_FILES'] ?? 50000);
  const bigMib = Number(process.env['BENCH_BIG_MIB'] ?? 1024);
  const tools = [borgLike('borg-ts', [process.execPath, BORG_TS]), borgLike('borg', ['borg'])];
  if (resticAvailable()) tools.push(RESTIC);
  const corpora = [smallFilesCorpus(dir, smallCount), bigFilesCorpus(dir, bigMib)];
  for (const corpus of corpora) {
    const work = join(dir, `work-${corpus.root.split('/').at(-2)}`);
    mkdirSync(work, { recursive: true });
    runCorpus(corpus, work, tools);
  }
}
