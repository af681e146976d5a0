// The curated library surface (src/index.ts) is enough to do what a program embedding borg-ts needs:
// open a repository borg made, pick an archive, read its items and their bytes — and it is what
// the package's `main` points at after a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../src/index.js';
import { copyVectorRepo, makeTempDir, PASSPHRASE } from './repository/repo-fixtures.js';


const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

test('a program reads a borg-made archive through the public API only', async () => {
  const repo = copyVectorRepo('repo-repokey-blake2');
  const env = { BORG_BASE_DIR: join(makeTempDir(), 'base'), BORG_PASSPHRASE: PASSPHRASE, BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
  const session = await api.RepositorySession.open(api.parseLocation(repo), { env, confirm: () => true });
  try {
    const names = api.selectArchives(session.manifest.archives.values(), { sortBy: ['timestamp'] }).map((a) => a.name);
    assert.ok(names.length > 0, 'the fixture has archives');
    const archive = await api.openArchive(session, names[0]!);
    let files = 0;
    let bytes = 0;
    for await (const item of api.archiveItems(session, archive)) {
      if (!item.chunks || (item.mode & 0o170000) !== 0o100000) continue;
      files++;
      for await (const chunk of api.fetchChunks(session, item.chunks.map((c) => c.id))) bytes += chunk.length;
    }
    assert.ok(files > 0 && bytes > 0, `read ${files} files, ${bytes} bytes`);
  } finally {
    await session.close();
  }
});

test("package.json's main and types point at the built library entry", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string };
  assert.equal(pkg.main, 'dist/index.js');
  assert.equal(pkg.types, 'dist/index.d.ts');
  assert.ok(existsSync(join(ROOT, 'src', 'index.ts')));
});
