// Test helper: repositories made in-process (fast KDF) and `createArchive` runs against them with
// everything `borg-ts create` would pass, recording the --list lines and warnings; plus reading
// the items and objects back. Each repository gets its own BORG_BASE_DIR (keys, cache, security).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository } from '../../src/archive/init-repository.js';
import { openArchive, archiveItems } from '../../src/archive/archive-reader.js';
import { createArchive, type CreateResult } from '../../src/archive/create/create-archive.js';
import { CREATE_DEFAULTS, type CreateOptions } from '../../src/archive/create/create-options.js';
import type { Item } from '../../src/archive/item.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { LocalCache } from '../../src/cache/local-cache.js';
import type { FilesCacheMode } from '../../src/cache/files-cache.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import type { KeyMode } from '../../src/crypto/index.js';
import type { WarningRecord } from '../../src/progress.js';
import { parseLocation } from '../../src/remote/location.js';

export const PASSPHRASE = 'create test passphrase';

export type TestEnv = Record<string, string | undefined>;

export interface TestRepo {
  dir: string;
  path: string;
  env: TestEnv;
  cleanup(): void;
}

/** A temp dir with a new repository `repo` in it and a private borg environment. */
export async function newTestRepo(mode: KeyMode = 'repokey-blake2'): Promise<TestRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'borg-ts-create-'));
  const env: TestEnv = {
    PATH: process.env['PATH'], HOME: dir, LANG: 'C.UTF-8', BORG_BASE_DIR: join(dir, 'base'), BORG_PASSPHRASE: PASSPHRASE,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  };
  const path = join(dir, 'repo');
  const { session } = await initRepository(parseLocation(path, { env }), { encryption: mode, env, kdfIterations: 1000 });
  await session.close();
  return { dir, path, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openSession(repo: TestRepo, exclusive = true): Promise<RepositorySession> {
  return RepositorySession.open(parseLocation(repo.path, { env: repo.env }), { env: repo.env, confirm: confirmFromEnv(repo.env), exclusive, operations: ['write'] });
}

export interface CreateRunResult {
  result: CreateResult;
  /** `--list` lines: "A path". */
  lines: string[];
  warnings: WarningRecord[];
}

/** Runs createArchive like the CLI would (cache with files cache, repository and cache dirs skipped). */
export async function runCreate(
  repo: TestRepo, options: Partial<CreateOptions> & { name: string; paths: string[] }, filesCacheMode: FilesCacheMode = 'cis',
): Promise<CreateRunResult> {
  const session = await openSession(repo);
  const lines: string[] = [];
  const warnings: WarningRecord[] = [];
  try {
    const cache = await LocalCache.open(session, { env: repo.env, filesCacheMode, sharedChunkIndex: (options.workers ?? 1) > 1 });
    try {
      const result = await createArchive(session, cache, {
        ...CREATE_DEFAULTS, cmdline: ['borg-ts', 'create'], cwd: repo.dir, workers: 1, skipPaths: [repo.path, join(repo.dir, 'base')],
        fileStatus: (status, path) => lines.push(`${status} ${path}`), warnings: { warn: (w) => warnings.push(w) },
        ...options,
      });
      return { result, lines, warnings };
    } finally {
      await cache.close();
    }
  } finally {
    await session.close();
  }
}

/** All items of archive `name` (part files included). */
export async function readItems(repo: TestRepo, name: string): Promise<Item[]> {
  const session = await openSession(repo, false);
  try {
    const archive = await openArchive(session, name);
    const items: Item[] = [];
    for await (const item of archiveItems(session, archive, { considerPartFiles: true })) items.push(item);
    return items;
  } finally {
    await session.close();
  }
}

/** Every object of the repository as [id, envelope], in on-disk order. */
export async function readObjects(repo: TestRepo): Promise<Array<[Buffer, Buffer]>> {
  const session = await openSession(repo, false);
  try {
    const objects: Array<[Buffer, Buffer]> = [];
    let marker: Buffer | null = null;
    for (;;) {
      const ids = await session.repository.scan(1000, marker);
      if (ids.length === 0) break;
      for (const id of ids) objects.push([id, await session.repository.get(id)]);
      marker = ids[ids.length - 1]!;
    }
    return objects;
  } finally {
    await session.close();
  }
}
