// Shared helpers of the cache tests: sessions on copies of the vector repositories, separate base
// dirs for borg and borg-ts (or a shared one for alternation), and chunk index comparisons.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import type { ChunkIndex } from '../../src/format/hashindex.js';
import type { LogSink, WarningRecord, WarningSink } from '../../src/progress.js';
import { parseLocation } from '../../src/remote/location.js';
import { borgEnv, type VectorRepo } from '../repository/repo-fixtures.js';

export type TestEnv = Record<string, string | undefined>;

/** borg's environment for a vector repository with its own base dir `base` under `tmp`. */
export function envWithBase(tmp: string, repo: VectorRepo, base: string): TestEnv {
  const env: TestEnv = { ...borgEnv(tmp, repo), BORG_BASE_DIR: join(tmp, base) };
  for (const k of ['BORG_CACHE_DIR', 'BORG_SECURITY_DIR', 'BORG_CONFIG_DIR', 'BORG_FILES_CACHE_SUFFIX', 'BORG_FILES_CACHE_TTL']) delete env[k];
  return env;
}

export async function openSession(repoPath: string, env: TestEnv, exclusive = false): Promise<RepositorySession> {
  return RepositorySession.open(parseLocation(repoPath, { env }), { env, confirm: confirmFromEnv(env), exclusive });
}

/** The repository id (hex) from a repository's config file. */
export function repositoryIdHex(repoPath: string): string {
  return /^id = (\w+)$/m.exec(readFileSync(join(repoPath, 'config'), 'utf8'))![1]!;
}

/** `<base>/.cache/borg/<id>`: where borg and borg-ts keep the repository's cache. */
export function cacheDirOf(env: TestEnv, idHex: string): string {
  return join(env['BORG_BASE_DIR']!, '.cache', 'borg', idHex);
}

/** Entries as sorted "id refcount,size,csize" lines, for comparing indexes regardless of layout. */
export function entryLines(index: ChunkIndex): string[] {
  return [...index.entries()].map(([id, r, s, c]) => `${id.toString('hex')} ${r},${s},${c}`).sort();
}

export interface Recorder extends LogSink, WarningSink {
  lines: string[];
  warnings: WarningRecord[];
}

/** Collects log lines ("level: message") and warnings. */
export function recorder(): Recorder {
  const lines: string[] = [];
  const warnings: WarningRecord[] = [];
  return {
    lines, warnings,
    log: (level, message) => void lines.push(`${level}: ${message}`),
    warn: (w) => void warnings.push(w),
  };
}
