// The remote suite of `npm run bench`: create and extract over ssh to 127.0.0.1 (a private sshd
// with its own keys), borg-ts talking to `borg-ts serve` beside borg talking to `borg serve`, on
// the archive suite's corpora. Sizes: BENCH_REMOTE_SMALL_FILES (default 20000 files) and
// BENCH_REMOTE_BIG_MIB (default 512 MiB). Peak RSS is the client's.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SshServer } from '../test/helpers/sshd.js';
import { fmtRss, measure, warmPageCache, type Measurement } from './archive-suite.js';
import { bigFilesCorpus, smallFilesCorpus, type Corpus } from './corpora.js';
import { freshExtractTarget, type ExtractTarget } from './extract-target.js';

const BORG_TS = resolve(new URL('../dist/cli/main.js', import.meta.url).pathname);

interface Pair {
  name: string;
  argv: (args: string[]) => string[];
}

const PAIRS: Pair[] = [
  { name: 'borg-ts', argv: (args) => [process.execPath, BORG_TS, '--remote-path', `${process.execPath} ${BORG_TS}`, ...args] },
  { name: 'borg', argv: (args) => ['borg', ...args] },
];

function runCorpus(corpus: Corpus, work: string, sshd: SshServer): void {
  const env = (pair: Pair): NodeJS.ProcessEnv => ({
    ...process.env, BORG_BASE_DIR: join(work, `base-${pair.name}`), BORG_PASSPHRASE: 'bench', BORG_RSH: sshd.client.rsh,
  });
  const url = (pair: Pair) => sshd.url(join(work, `repo-${pair.name}`));
  const rows: Array<[string, Record<string, Measurement>]> = [];
  for (const pair of PAIRS) {
    rmSync(join(work, `repo-${pair.name}`), { recursive: true, force: true });
    rmSync(join(work, `base-${pair.name}`), { recursive: true, force: true });
    measure(pair.argv(['init', '-e', 'repokey', url(pair)]), env(pair), work);
  }
  let extractedTo = '';
  const step = (name: string, args: (pair: Pair) => string[], target?: (pair: Pair) => ExtractTarget) => {
    const results: Record<string, Measurement> = {};
    for (const pair of PAIRS) {
      // As in the archive suite: what the step reads is in the page cache for each tool alike, and
      // an extraction gets a fresh place.
      warmPageCache([...(name.startsWith('create') ? [corpus.root] : []), join(work, `repo-${pair.name}`), join(work, `base-${pair.name}`)]);
      const place = target?.(pair);
      try {
        results[pair.name] = measure(pair.argv(args(pair)), env(pair), place?.path ?? work);
      } finally {
        place?.release();
      }
    }
    rows.push([name, results]);
  };
  step('create over ssh, new data', (pair) => ['create', `${url(pair)}::first`, corpus.root]);
  step('extract over ssh', (pair) => ['extract', `${url(pair)}::first`], (pair) => {
    const place = freshExtractTarget(work, pair.name, corpus.bytes);
    extractedTo = place.kind;
    return place;
  });

  console.log(`\n${corpus.name}: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(0)} MB, over ssh to 127.0.0.1`);
  console.log('| step | borg-ts → borg-ts serve s | borg → borg serve s | borg-ts / borg | borg-ts MB/s | borg MB/s | borg-ts client peak RSS | borg client peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, results] of rows) {
    const a = results['borg-ts']!;
    const b = results['borg']!;
    const mbs = (m: Measurement) => (corpus.bytes / 1e6 / m.seconds).toFixed(0);
    console.log(`| ${name} | ${a.seconds.toFixed(2)} | ${b.seconds.toFixed(2)} | ${(a.seconds / b.seconds).toFixed(2)} | ${mbs(a)} | ${mbs(b)} | ${fmtRss(a.rssKiB)} | ${fmtRss(b.rssKiB)} |`);
  }
  console.log(`(each tool extracted into ${extractedTo})`);
}

export async function remoteSuite(dir: string): Promise<void> {
  const smallCount = Number(process.env['BENCH_REMOTE_SMALL_FILES'] ?? 20000);
  const bigMib = Number(process.env['BENCH_REMOTE_BIG_MIB'] ?? 512);
  const sshd = await SshServer.start();
  try {
    for (const corpus of [smallFilesCorpus(dir, smallCount), bigFilesCorpus(dir, bigMib)]) {
      const work = join(dir, `remote-${corpus.root.split('/').at(-2)}`);
      mkdirSync(work, { recursive: true });
      runCorpus(corpus, work, sshd);
    }
  } finally {
    await sshd.stop();
  }
}
