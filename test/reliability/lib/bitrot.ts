// Bit rot and truncation in every kind of file of a repository and of the client's state: segments,
// index, hints, integrity, config, key file, cache files (config, chunks, files, archive indexes)
// and the security dir. After one seeded damage, borg-ts runs list, extract, check and a new backup.
// Every run must end cleanly (no crash, trace or hang), a run that exits 0 must give exactly the
// right data, damage in repository data must be detected by `check`, and damage in the cache must
// only cost a rebuild: the next backup succeeds and real borg check passes afterwards.
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compareContent } from './corpus.js';
import { TEMPLATE_ARCHIVES, type Lab } from './lab.js';
import { describeResult, misbehaviour, type ProcessResult } from './processes.js';
import type { Prng } from './prng.js';
import { repoLayout } from '../../helpers/damage.js';
import { indexTransactionId, readIndex } from '../../../src/repository/index-files.js';

export const FILE_KINDS = [
  'segment', 'index', 'hints', 'integrity', 'config', 'keyfile',
  'cache-config', 'cache-chunks', 'cache-files', 'cache-archive-index', 'security-nonce', 'security-timestamp',
] as const;
export type FileKind = (typeof FILE_KINDS)[number];
export type Damage = 'flip' | 'truncate';

export interface BitrotOutcome {
  kind: FileKind;
  damage: Damage;
  file: string;
  /** Byte offset of the flipped bit, or the new length. */
  at: number;
  /** Per command: ok (exit 0, right data), warning, error (clear, exit 2). */
  results: Record<string, string>;
  /** Whether `check` found the damage (repository files) — informative for the others. */
  detected: boolean;
  problems: string[];
}

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) visit(path);
      else out.push(path);
    }
  };
  visit(dir);
  return out.sort();
}

/** The files of one kind in the lab's working copy. */
export function filesOfKind(lab: Lab, kind: FileKind): string[] {
  const repoFiles = filesBelow(lab.repo).map((f) => relative(lab.repo, f));
  const inRepo = (re: RegExp) => repoFiles.filter((f) => re.test(f)).map((f) => join(lab.repo, f));
  const base = filesBelow(lab.base);
  const cache = base.filter((f) => f.includes('/.cache/borg/'));
  const security = base.filter((f) => f.includes('/security/'));
  switch (kind) {
    case 'segment': return inRepo(/^data\/\d+\/\d+$/);
    case 'index': return inRepo(/^index\.\d+$/);
    case 'hints': return inRepo(/^hints\.\d+$/);
    case 'integrity': return inRepo(/^integrity\.\d+$/);
    case 'config': return inRepo(/^config$/);
    case 'keyfile': return base.filter((f) => f.includes('/keys/'));
    case 'cache-config': return cache.filter((f) => /\/config$/.test(f));
    case 'cache-chunks': return cache.filter((f) => /\/chunks$/.test(f));
    case 'cache-files': return cache.filter((f) => /\/files$/.test(f));
    case 'cache-archive-index': return cache.filter((f) => f.includes('/chunks.archive.d/'));
    case 'security-nonce': return security.filter((f) => /\/nonce$/.test(f));
    case 'security-timestamp': return security.filter((f) => /\/manifest-timestamp$/.test(f));
  }
}

/** Damages one seeded file of `kind`: one flipped bit, or a cut. */
export function damageFile(lab: Lab, kind: FileKind, damage: Damage, rng: Prng): { file: string; at: number } {
  const files = filesOfKind(lab, kind).filter((f) => statSync(f).size > 0);
  if (files.length === 0) throw new Error(`no ${kind} file in ${lab.run}`);
  const file = rng.pick(files);
  const bytes = readFileSync(file);
  if (damage === 'flip') {
    const at = rng.int(bytes.length);
    bytes[at]! ^= 1 << rng.int(8);
    writeFileSync(file, bytes);
    return { file: relative(lab.run, file), at };
  }
  const at = rng.int(bytes.length);
  truncateSync(file, at);
  return { file: relative(lab.run, file), at };
}

/**
 * Flips a bit in the last byte of a stored object (its segment CRC then fails). Like
 * helpers/damage.ts flipObjectBit, but for any segments_per_dir (the lab uses 10).
 */
function flipLastByte(repo: string, id: Buffer): { file: string; at: number } {
  const perDir = Number(/^segments_per_dir\s*=\s*(\d+)/m.exec(readFileSync(join(repo, 'config'), 'utf8'))![1]);
  const at = readIndex(repo, indexTransactionId(repo)!).get(id)!;
  const file = join(repo, 'data', String(Math.floor(at.segment / perDir)), String(at.segment));
  const bytes = readFileSync(file);
  const end = at.offset + bytes.readUInt32LE(at.offset + 4) - 1;
  bytes[end]! ^= 0x01;
  writeFileSync(file, bytes);
  return { file: relative(repo, file), at: end };
}

/** Whether damage to the security dir's manifest timestamp made it later (as borg compares it). */
function timestampMovedLater(lab: Lab, file: string): boolean {
  const before = readFileSync(join(lab.template, file), 'latin1');
  return readFileSync(join(lab.run, file), 'latin1') > before;
}

/** The client's own state (cache and security dir), as opposed to the repository and its key. */
export function isClientState(kind: FileKind): boolean {
  return kind.startsWith('cache-') || kind.startsWith('security-');
}

/** Repository files whose damage must be detected; the rest may also be repaired silently. */
function isRepositoryData(kind: FileKind): boolean {
  return kind === 'segment';
}

function classify(r: ProcessResult): string {
  return r.code === 0 ? 'ok' : r.code === 1 ? 'warning' : 'error';
}

/** Damages a fresh copy, then runs the commands and judges them. */
export async function bitrotScenario(lab: Lab, kind: FileKind, damage: Damage, rng: Prng, options: { liveChunk?: boolean } = {}): Promise<BitrotOutcome> {
  lab.reset();
  const archive = rng.pick(Object.keys(TEMPLATE_ARCHIVES));
  let damaged: { file: string; at: number };
  if (options.liveChunk) {
    // One bit of a file chunk of the archive that is extracted below.
    const layout = await repoLayout(lab.repo, lab.env);
    const chunks = [...layout.archives.find((a) => a.name === archive)!.files.values()].flat();
    damaged = flipLastByte(lab.repo, rng.pick(chunks));
  } else {
    damaged = damageFile(lab, kind, damage, rng);
  }
  const { file, at } = damaged;
  const outcome: BitrotOutcome = { kind, damage, file, at, results: {}, detected: false, problems: [] };
  const problems = outcome.problems;
  const judge = (what: string, r: ProcessResult): boolean => {
    outcome.results[what] = classify(r);
    const bad = misbehaviour(r);
    if (bad !== '') problems.push(`${what}: ${bad}\n${describeResult(what, r)}`);
    else if (r.code !== 0 && r.stderr.trim() === '') problems.push(`${what}: exit ${r.code} without saying why`);
    return bad === '' && r.code === 0;
  };

  const list = await lab.ts(['list', '--short', lab.loc()]);
  if (judge('list', list)) {
    const names = list.stdout.split('\n').filter((l) => l !== '').sort();
    if (names.join(',') !== Object.keys(TEMPLATE_ARCHIVES).sort().join(',')) problems.push(`list exit 0 but shows ${names.join(', ')}`);
  }
  const target = mkdtempSync(join(lab.root, 'extract-'));
  try {
    const extract = await lab.ts(['extract', lab.loc(archive)], { cwd: target });
    if (judge('extract', extract)) {
      const diff = compareContent(lab.sourceDir(TEMPLATE_ARCHIVES[archive]!), target);
      if (diff.length > 0) problems.push(`extract exit 0 with wrong data (silent corruption): ${diff.slice(0, 5).join('; ')}`);
    }
  } finally {
    rmSync(target, { recursive: true, force: true });
  }
  const check = await lab.ts(['check', lab.loc()]);
  judge('check', check);
  outcome.detected = check.code !== 0;
  if (isRepositoryData(kind) && !outcome.detected) problems.push('check did not detect damage in a segment');

  if (kind === 'security-timestamp' && timestampMovedLater(lab, file)) {
    // The last-seen manifest time now lies after the repository's manifest: borg refuses that as
    // a possible replay (it cannot tell it from one), and so must we: a clean refusal, never a
    // crash, and never a read that went ahead anyway.
    if (outcome.results['list'] === 'ok' || outcome.results['extract'] === 'ok') problems.push('a read went ahead with a manifest older than the last one seen');
    if (!/replay|newer than the repository/i.test(list.stderr)) problems.push(`list does not say why it refuses: ${list.stderr.slice(0, 300)}`);
    return outcome;
  }

  if (isClientState(kind)) {
    // Client state only: the repository is intact, so the next backup must work (rebuilding the
    // cache) and leave a repository real borg accepts.
    const { args, cwd } = lab.createArgs('after-damage', 'new');
    const create = await lab.ts(args, { cwd });
    judge('create', create);
    if (create.code !== 0 && create.code !== 1) problems.push(describeResult('create after damaged client state', create));
    const borgCheck = await lab.borg(['check', lab.loc()]);
    if (borgCheck.code !== 0) problems.push(describeResult('borg check after damaged client state', borgCheck));
    if (create.code === 0 || create.code === 1) problems.push(...(await lab.verifyArchive('after-damage', 'new')));
  }
  return outcome;
}
