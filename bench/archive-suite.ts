// The archive suite of `npm run bench`: borg-ts and real borg 1.2.4 back up, re-back-up, list,
// extract and verify the same corpora in one run; wall time, MB/s and peak RSS side by side.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bigFilesCorpus, changeOnePercent, smallFilesCorpus, type Corpus } from './corpora.js';

const BORG_PYTHON = '/usr/bin/python3';
const BORG_TS = resolve(new URL('../dist/cli/main.js', import.meta.url).pathname);

// Runs a command and reports its peak RSS: Python's getrusage(RUSAGE_CHILDREN) after the child
// ended (no extra package such as GNU time needed).
const RUSAGE_WRAPPER = `
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
t = time.monotonic() - t0
print(rc, t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
`;

interface Measurement {
  seconds: number;
  rssKiB: number;
}

interface Tool {
  name: string;
  argv: (args: string[]) => string[];
}

const TOOLS: Tool[] = [
  { name: 'borg-ts', argv: (args) => [process.execPath, BORG_TS, ...args] },
  { name: 'borg', argv: (args) => ['borg', ...args] },
];

function measure(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Measurement {
  const r = spawnSync(BORG_PYTHON, ['-c', RUSAGE_WRAPPER, ...argv], { env, cwd, encoding: 'utf8', maxBuffer: 1 << 20 });
  const [rc, seconds, rss] = r.stdout.trim().split(/\s+/).map(Number);
  if (r.status !== 0 || rc !== 0) throw new Error(`${argv.join(' ')} failed (rc ${rc}): ${r.stderr}`);
  return { seconds: seconds!, rssKiB: rss! };
}

function fmtRss(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

interface Row {
  step: string;
  bytes: number;
  results: Record<string, Measurement>;
}

function printRows(corpus: Corpus, rows: Row[]): void {
  console.log(`\n${corpus.name}: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(0)} MB`);
  console.log('| step | borg-ts s | borg s | borg-ts / borg | borg-ts MB/s | borg MB/s | borg-ts peak RSS | borg peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const a = row.results['borg-ts']!;
    const b = row.results['borg']!;
    const mbs = (m: Measurement) => (row.bytes / 1e6 / m.seconds).toFixed(0);
    console.log(`| ${row.step} | ${a.seconds.toFixed(2)} | ${b.seconds.toFixed(2)} | ${(a.seconds / b.seconds).toFixed(2)} | ${mbs(a)} | ${mbs(b)} | ${fmtRss(a.rssKiB)} | ${fmtRss(b.rssKiB)} |`);
  }
}

function runCorpus(corpus: Corpus, work: string): void {
  const rows: Row[] = [];
  const step = (name: string, bytes: number, args: (tool: Tool, repo: string) => string[], cwd: (tool: Tool) => string = () => work) => {
    const results: Record<string, Measurement> = {};
    for (const tool of TOOLS) {
      const repo = join(work, `repo-${tool.name}`);
      results[tool.name] = measure(tool.argv(args(tool, repo)), envFor(work, tool), cwd(tool));
    }
    rows.push({ step: name, bytes, results });
  };
  for (const tool of TOOLS) {
    rmSync(join(work, `repo-${tool.name}`), { recursive: true, force: true });
    measure(tool.argv(['init', '-e', 'repokey', join(work, `repo-${tool.name}`)]), envFor(work, tool), work);
  }
  step('create, new data', corpus.bytes, (_t, repo) => ['create', `${repo}::first`, corpus.root]);
  step('create, unchanged (files cache)', corpus.bytes, (_t, repo) => ['create', `${repo}::second`, corpus.root]);
  changeOnePercent(corpus, Date.now() % 1000);
  step('create, 1 % of files changed', corpus.bytes, (_t, repo) => ['create', `${repo}::third`, corpus.root]);
  step('list archive items', corpus.bytes, (_t, repo) => ['list', `${repo}::third`]);
  for (const tool of TOOLS) {
    const target = join(work, `extract-${tool.name}`);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
  }
  step('extract', corpus.bytes, (_t, repo) => ['extract', `${repo}::third`], (tool) => join(work, `extract-${tool.name}`));
  step('check --verify-data', corpus.bytes, (_t, repo) => ['check', '--verify-data', repo]);
  printRows(corpus, rows);
  for (const tool of TOOLS) rmSync(join(work, `extract-${tool.name}`), { recursive: true, force: true });
}

function envFor(work: string, tool: Tool): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BORG_BASE_DIR: join(work, `base-${tool.name}`),
    BORG_PASSPHRASE: 'bench',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
}

export async function archiveSuite(dir: string): Promise<void> {
  const smallCount = Number(process.env['BENCH_SMALL_FILES'] ?? 50000);
  const bigMib = Number(process.env['BENCH_BIG_MIB'] ?? 1024);
  const corpora = [smallFilesCorpus(dir, smallCount), bigFilesCorpus(dir, bigMib)];
  for (const corpus of corpora) {
    const work = join(dir, `work-${corpus.root.split('/').at(-2)}`);
    mkdirSync(work, { recursive: true });
    runCorpus(corpus, work);
  }
}
