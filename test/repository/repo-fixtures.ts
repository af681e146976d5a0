// Shared helpers of the repository tests: fresh copies of the vector repositories (never touching
// the fixtures), their dumps, and running real borg 1.2.4 (CLI and its Python Repository class).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'repos');
export const PASSPHRASE = 'correct horse battery staple';
export const VECTOR_REPOS = ['repo-none', 'repo-repokey', 'repo-repokey-blake2', 'repo-keyfile-blake2', 'repo-authenticated-blake2', 'repo-extra'] as const;
export type VectorRepo = (typeof VECTOR_REPOS)[number];

export interface DumpEntry {
  offset: number;
  tag: 'PUT' | 'DELETE' | 'COMMIT';
  size: number;
  crc32: string;
  id: string | null;
}

export interface RepoDump {
  transaction_id: number;
  segments: { segment: number; file_size: number; committed: boolean; entries: DumpEntry[] }[];
  index: { num_entries: number; num_buckets: number; entries: { bucket: number; id: string; value: [number, number] }[] };
  hints: { segments: Record<string, number>; compact: Record<string, number>; storage_quota_use: number; shadow_index: Record<string, number[]> };
  objects: { id: string; segment: number; offset: number; csize: number }[];
}

export function hexId(dumpId: string): Buffer {
  return Buffer.from(dumpId.replace(/^hex:/, ''), 'hex');
}

export function loadDump(name: VectorRepo): RepoDump {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.dump.json`), 'utf8')) as RepoDump;
}

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'borg-ts-repo-'));
}

function makeWritable(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o700 : 0o600);
  if (statSync(path).isDirectory()) for (const n of readdirSync(path)) makeWritable(join(path, n));
}

/** A writable copy of a vector repository in a new temp dir; returns the repository path. */
export function copyVectorRepo(name: VectorRepo, tmp = makeTempDir()): string {
  const dest = join(tmp, name);
  cpSync(join(FIXTURES, name), dest, { recursive: true });
  makeWritable(dest);
  return dest;
}

export function removeTemp(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Environment for real borg: private base dir, passphrase, key file, no interactive prompts. */
export function borgEnv(tmp: string, repo?: VectorRepo): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BORG_BASE_DIR: join(tmp, 'borg-base'),
    BORG_PASSPHRASE: PASSPHRASE,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    LANG: 'C.UTF-8',
  };
  if (repo === 'repo-keyfile-blake2') env['BORG_KEY_FILE'] = join(FIXTURES, 'repo-keyfile-blake2.key');
  return env;
}

export function runBorg(args: string[], env: NodeJS.ProcessEnv, cwd?: string): SpawnSyncReturns<string> {
  return spawnSync('borg', args, { env, encoding: 'utf8', timeout: 120_000, ...(cwd ? { cwd } : {}) });
}

/** Runs `borg check` (extra args e.g. --verify-data) and returns a readable failure text or ''. */
export function borgCheck(repo: string, env: NodeJS.ProcessEnv, extra: string[] = []): string {
  const r = runBorg(['check', ...extra, repo], env);
  return r.status === 0 ? '' : `borg check exited ${r.status}: ${r.stderr}`;
}

/** Runs a Python snippet with Debian's interpreter, which can import borg (its logging set up first). */
export function runBorgPython(code: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const prelude = "from borg.logger import setup_logging\nsetup_logging(level='warning')\n";
  return spawnSync('/usr/bin/python3', ['-c', prelude + code], { env, encoding: 'utf8', timeout: 120_000 });
}
