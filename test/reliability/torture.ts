// `npm run torture -- [--iterations N] [--seed S] [--transport local|ssh] [--fuzz-cases M] [--kinds LIST]`
//
// Long randomized reliability run. Each iteration draws one scenario from the seeded generator:
// kill -9 during create/delete/prune/compact/check --repair/recreate, disk full during create or
// compact (as root), bit rot or truncation in a random repository/cache file, a hostile
// repository, or a batch of decoder fuzz cases. Every scenario checks its own invariants (see
// lib/*.ts); at the end a summary table lists what was done and how it ended, then the failures
// with the iteration's seed. Exits 1 if anything failed.
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bitrotScenario, FILE_KINDS } from './lib/bitrot.js';
import { CRASH_OPS, crashScenario } from './lib/crash.js';
import { canMount, DISK_FULL_OPS, diskFullScenario } from './lib/disk-full.js';
import { FUZZ_TARGETS, fuzzTarget } from './lib/fuzz.js';
import { HOSTILE_CASES, runHostileCase } from './lib/hostile.js';
import { Lab } from './lib/lab.js';
import { Prng } from './lib/prng.js';
import { openTransport, type TransportName } from './lib/transport.js';

const KINDS = ['kill', 'disk-full', 'corruption', 'fuzz', 'hostile'] as const;
type Kind = (typeof KINDS)[number];
const WEIGHTS: Record<Kind, number> = { kill: 45, 'disk-full': 10, corruption: 25, fuzz: 15, hostile: 5 };

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '50' },
    seed: { type: 'string' },
    transport: { type: 'string', default: 'local' },
    'fuzz-cases': { type: 'string', default: '500' },
    kinds: { type: 'string', default: KINDS.join(',') },
  },
});
const iterations = Number(values.iterations);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 32);
const transportName = values.transport as TransportName;
const fuzzCases = Number(values['fuzz-cases']);
let kinds = values.kinds.split(',') as Kind[];
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(seed) || !['local', 'ssh'].includes(transportName)) {
  console.error('usage: npm run torture -- [--iterations N] [--seed S] [--transport local|ssh] [--fuzz-cases M] [--kinds kill,disk-full,corruption,fuzz,hostile]');
  process.exit(2);
}
if (kinds.some((k) => !KINDS.includes(k))) {
  console.error(`unknown kind in --kinds; known: ${KINDS.join(', ')}`);
  process.exit(2);
}
if (!canMount() && kinds.includes('disk-full')) {
  console.error('not root: no disk-full runs (they mount a tmpfs)');
  kinds = kinds.filter((k) => k !== 'disk-full');
}
if (transportName === 'ssh') {
  // Disk full and hostile repositories are about local files; fuzzing needs no repository.
  kinds = kinds.filter((k) => k !== 'disk-full' && k !== 'hostile');
}

interface Row {
  runs: number;
  outcomes: Map<string, number>;
  failures: number;
}
const rows = new Map<string, Row>();
const failures: string[] = [];
function record(kind: string, outcome: string, problems: string[], iteration: number, iterationSeed: number, what: string): void {
  const row = rows.get(kind) ?? { runs: 0, outcomes: new Map(), failures: 0 };
  rows.set(kind, row);
  row.runs++;
  const label = problems.length > 0 ? `FAILED (${outcome})` : outcome;
  row.outcomes.set(label, (row.outcomes.get(label) ?? 0) + 1);
  if (problems.length > 0) {
    row.failures++;
    failures.push(`iteration ${iteration} (seed ${iterationSeed}) ${what}:\n  ${problems.join('\n  ').slice(0, 6000)}`);
  }
}

const root = join(tmpdir(), `borg-ts-torture-${process.pid}`);
mkdirSync(root, { recursive: true });
const rng = new Prng(seed);
const transport = await openTransport(transportName);
const started = Date.now();
console.log(`torture: ${iterations} iterations, seed ${seed}, transport ${transportName}, kinds ${kinds.join(',')}`);
let crashLab: Lab | undefined;
let rotLab: Lab | undefined;
let fuzzCount = 0;
try {
  const labRng = rng.fork();
  for (let i = 1; i <= iterations; i++) {
    const iterationSeed = rng.next();
    const r = new Prng(iterationSeed);
    const total = kinds.reduce((n, k) => n + WEIGHTS[k], 0);
    let pick = r.int(total);
    const kind = kinds.find((k) => (pick -= WEIGHTS[k]) < 0)!;
    const t = Date.now();
    let line = '';
    if (kind === 'kill') {
      crashLab ??= await Lab.create(root, labRng.fork(), transport);
      const op = r.pick(CRASH_OPS);
      const o = await crashScenario(crashLab, op, r);
      const outcome = `${op}: ${o.killed ? 'killed' : 'finished before the kill'}${o.staleLock ? ', stale lock broken' : ''}`;
      record('kill -9', outcome, o.problems, i, iterationSeed, `kill -9 ${op} ${o.killPoint}`);
      line = `kill -9 ${op} ${o.killPoint}: ${o.problems.length ? 'FAILED' : 'ok'}`;
    } else if (kind === 'disk-full') {
      crashLab ??= await Lab.create(root, labRng.fork(), transport);
      const op = r.pick(DISK_FULL_OPS);
      const o = await diskFullScenario(crashLab, op, r);
      record('disk full', `${op}: ${o.result === 'error' ? 'clear error' : o.result}`, o.problems, i, iterationSeed, `disk full (${o.how}) during ${op}, ${o.headroom} bytes left`);
      line = `disk full ${op} (${o.how}, ${o.headroom} B room): ${o.result}${o.problems.length ? ' FAILED' : ''}`;
    } else if (kind === 'corruption') {
      rotLab ??= await Lab.create(root, labRng.fork(), transport, { encryption: 'keyfile-blake2', scale: 0.5 });
      const fileKind = r.pick(FILE_KINDS);
      const damage = r.pick(['flip', 'truncate'] as const);
      const o = await bitrotScenario(rotLab, fileKind, damage, r);
      const outcome = o.detected ? 'detected by check' : Object.values(o.results).every((x) => x === 'ok') ? 'harmless or repaired' : 'refused or warned';
      record('corruption', `${fileKind}: ${outcome}`, o.problems, i, iterationSeed, `${damage} ${o.file} at ${o.at}`);
      line = `${damage} ${fileKind} (${o.file} @${o.at}): ${JSON.stringify(o.results)}${o.problems.length ? ' FAILED' : ''}`;
    } else if (kind === 'fuzz') {
      const target = r.pick(FUZZ_TARGETS);
      const o = await fuzzTarget(target, r, fuzzCases);
      fuzzCount += o.cases;
      record('fuzz', `${target}: ${o.cases} cases`, o.failures, i, iterationSeed, `fuzz ${target}`);
      const row = rows.get('fuzz')!;
      row.outcomes.set('cases accepted', (row.outcomes.get('cases accepted') ?? 0) + o.accepted);
      row.outcomes.set('cases rejected cleanly', (row.outcomes.get('cases rejected cleanly') ?? 0) + o.rejected);
      line = `fuzz ${target}: ${o.accepted} accepted, ${o.rejected} rejected, ${o.failures.length} failures`;
    } else {
      const c = r.pick(HOSTILE_CASES);
      const o = await runHostileCase(root, c);
      record('hostile', c.name, o.problems, i, iterationSeed, `hostile: ${c.name}`);
      line = `hostile ${c.name}: ${o.problems.length ? 'FAILED' : 'ok'}`;
    }
    console.log(`[${i}/${iterations}] ${((Date.now() - t) / 1000).toFixed(1)} s  ${line}`);
  }
} finally {
  crashLab?.cleanup();
  rotLab?.cleanup();
  await transport.close();
  rmSync(root, { recursive: true, force: true });
}

console.log(`\n## Torture summary (seed ${seed}, ${iterations} iterations, ${transportName}, ${((Date.now() - started) / 60000).toFixed(1)} min)\n`);
console.log('| scenario | runs | outcomes | failures |');
console.log('|---|---|---|---|');
for (const [kind, row] of rows) {
  const outcomes = [...row.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => `${label} ×${n}`).join('; ');
  console.log(`| ${kind} | ${row.runs}${kind === 'fuzz' ? ` (${fuzzCount} cases)` : ''} | ${outcomes} | ${row.failures} |`);
}
if (failures.length > 0) {
  console.log(`\n${failures.length} failure(s):\n`);
  for (const f of failures) console.log(f, '\n');
  process.exitCode = 1;
} else {
  console.log('\nNo failures: nothing lost, every error clean.');
}
