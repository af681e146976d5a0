// `npm run bench`: borg-ts beside real borg 1.2.4 on the same data in one run, with ratios.
// Suites: core (chunker, compressors, envelope), archive (create/re-create/list/extract/check on
// a many-small-files corpus and a big-files corpus), remote (create/extract over ssh to
// 127.0.0.1: borg-ts with borg-ts serve beside borg with borg serve), web (borg-ts web over an
// archive of a million items), mount (mount, ls, find, cat of an archive of BENCH_MOUNT_ITEMS
// items beside borg mount). `npm run bench -- core`
// runs one suite.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDataFile } from './data.js';
import { measureBorgTs } from './core-borgts.js';
import { archiveSuite } from './archive-suite.js';
import { mountSuite } from './mount-suite.js';
import { remoteSuite } from './remote-suite.js';
import { webSuite } from './web-suite.js';

const BORG_PYTHON = '/usr/bin/python3';

function table(rows: Array<[string, number, number]>): string {
  const lines = ['| kernel (one core) | borg-ts MB/s | borg 1.2.4 MB/s | borg-ts / borg |', '|---|---:|---:|---:|'];
  for (const [name, ours, theirs] of rows) lines.push(`| ${name} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${(ours / theirs).toFixed(2)}× |`);
  return lines.join('\n');
}

async function coreSuite(dir: string): Promise<void> {
  const size = Number(process.env['BENCH_CORE_MB'] ?? 256) << 20;
  const file = join(dir, `core-${size}.bin`);
  const data = ensureDataFile(file, size);
  console.log(`core: ${size >> 20} MiB of mixed data (random, text, zeros), best of 2 runs`);
  const ours = measureBorgTs(data);
  const r = spawnSync(BORG_PYTHON, [new URL('./borg_core.py', import.meta.url).pathname, file, '2'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`borg benchmark failed: ${r.stderr}`);
  const theirs = JSON.parse(r.stdout) as Record<string, number>;
  console.log(table(Object.keys(ours).map((k) => [k, ours[k]!, theirs[k]!] as [string, number, number])));
}

const dir = process.env['BENCH_DIR'] ?? join(tmpdir(), 'borg-ts-bench');
mkdirSync(dir, { recursive: true });
const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all: Record<string, (dir: string) => Promise<void>> = { core: coreSuite, archive: archiveSuite, remote: remoteSuite, web: webSuite, mount: mountSuite };
for (const name of suites.length ? suites : Object.keys(all)) {
  const suite = all[name];
  if (!suite) throw new Error(`Unknown bench suite '${name}' (known: ${Object.keys(all).join(', ')})`);
  await suite(dir);
}
