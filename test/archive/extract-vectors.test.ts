// The vector repositories made by borg 1.2.4 (one per key mode and compression) extract to exactly
// the input tree described in test/fixtures/repos/tree-manifest.json (describe_tree.py's format).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { openArchive } from '../../src/archive/archive-reader.js';
import { extractArchive } from '../../src/archive/extract/index.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import type { WarningRecord } from '../../src/progress.js';
import { parseLocation } from '../../src/remote/location.js';
import { snapshotTree, type TreeSnapshot } from '../helpers/tree-compare.js';
import { copyVectorRepo, FIXTURES, makeTempDir, PASSPHRASE, removeTemp, type VectorRepo } from '../repository/repo-fixtures.js';

interface ManifestEntry {
  path: string;
  mode: string;
  mtime_ns: number;
  type: string;
  size?: number;
  sha256?: string;
  target?: string;
  hardlink_group?: string;
  xattrs?: Record<string, string>;
}

const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'tree-manifest.json'), 'utf8')) as ManifestEntry[];

/**
 * A snapshot in describe_tree.py's terms (mtime_ns as a number: the fixture's JSON has float64
 * precision). That script lists only the top directory, not the ones below it.
 */
function describe(snapshot: TreeSnapshot): ManifestEntry[] {
  const types: Record<string, string> = { dir: 'dir', file: 'file', symlink: 'symlink', fifo: 'fifo' };
  return [...snapshot.values()].filter((e) => e.type !== 'dir' || !e.path.includes('/')).map((e) => {
    const entry: ManifestEntry = { path: e.path, mode: `0o${e.mode.toString(8)}`, mtime_ns: Number(e.mtimeNs), type: types[e.type] ?? e.type };
    if (e.type === 'file') Object.assign(entry, { size: e.size, sha256: e.sha256 });
    if (e.linkGroup !== undefined) entry.hardlink_group = e.linkGroup;
    if (e.type === 'symlink') entry.target = Buffer.from(e.target!, 'hex').toString('utf8');
    if (Object.keys(e.xattrs).length > 0) entry.xattrs = e.xattrs;
    return entry;
  }).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function envFor(tmp: string, name: VectorRepo): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env, BORG_BASE_DIR: join(tmp, 'base'), BORG_PASSPHRASE: PASSPHRASE, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  };
  delete env['BORG_KEY_FILE'];
  if (name === 'repo-keyfile-blake2') env['BORG_KEY_FILE'] = join(FIXTURES, 'repo-keyfile-blake2.key');
  return env;
}

async function extractVector(name: VectorRepo, archiveName: string, tmp: string): Promise<{ dest: string; warnings: WarningRecord[] }> {
  const env = envFor(tmp, name);
  const session = await RepositorySession.open(parseLocation(copyVectorRepo(name, tmp), { env }), { env, confirm: confirmFromEnv(env) });
  const dest = join(tmp, 'out');
  const warnings: WarningRecord[] = [];
  try {
    const archive = await openArchive(session, archiveName);
    await extractArchive(session, archive, { destination: dest, warnings: { warn: (w) => warnings.push(w) } });
  } finally {
    await session.close();
  }
  return { dest, warnings };
}

const FULL: VectorRepo[] = ['repo-none', 'repo-repokey', 'repo-repokey-blake2', 'repo-keyfile-blake2', 'repo-authenticated-blake2'];

for (const name of FULL) {
  test(`extract of ${name} reproduces tree-manifest.json`, async () => {
    const tmp = makeTempDir();
    try {
      const { dest, warnings } = await extractVector(name, 'vector-archive', tmp);
      assert.deepEqual(warnings, []);
      assert.deepEqual(describe(snapshotTree(dest, { acls: false })), MANIFEST);
    } finally {
      removeTemp(tmp);
    }
  });
}

test('extract of repo-extra (fixed chunker, obfuscated compression) reproduces its three files', async () => {
  const tmp = makeTempDir();
  try {
    const { dest, warnings } = await extractVector('repo-extra', 'fixed-obfuscated', tmp);
    assert.deepEqual(warnings, []);
    const files = new Set(['tree/compressible.txt', 'tree/random-100k.bin', 'tree/small.txt']);
    const got = describe(snapshotTree(dest, { acls: false })).filter((e) => e.type === 'file');
    assert.deepEqual(got, MANIFEST.filter((e) => files.has(e.path)));
  } finally {
    removeTemp(tmp);
  }
});
