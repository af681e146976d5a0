// Objects written and committed by borg-ts's storage core are borg's own: for every key mode, an
// archive stored through the library (chunks, item stream, archive metadata with TAM, manifest,
// nonce reservation) passes real `borg check --verify-data` and real `borg extract` gives the bytes
// and the nanosecond mtime back — also in a repository borg created and wrote to first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { initRepository } from '../../src/archive/init-repository.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { SimpleChunkStore } from '../../src/archive/chunk-store.js';
import { ItemStreamWriter } from '../../src/archive/item-stream-writer.js';
import { saveArchive } from '../../src/archive/archive-writer.js';
import { nowMicros } from '../../src/archive/timestamps.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { DEFAULT_CHUNKER_PARAMS } from '../../src/chunker/index.js';
import { KEY_MODES, type KeyMode } from '../../src/crypto/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { assertExit, realBorg, Sandbox } from './tools.js';

const MTIME = 1700000000123456789n;

async function writeArchive(session: RepositorySession, name: string, content: Buffer): Promise<void> {
  const store = new SimpleChunkStore(session.repository, session.writer('zstd,3'), () => session.prepareWrite());
  const start = nowMicros();
  const chunks = [await store.storeChunk(content.subarray(0, 1000)), await store.storeChunk(content.subarray(1000))];
  const items = new ItemStreamWriter(store, session.key.chunkSeed);
  await items.add({ path: 'lib', mode: 0o40755, uid: 0, gid: 0, user: 'root', group: 'root', mtime: MTIME });
  await items.add({ path: 'lib/data.bin', mode: 0o100600, uid: 0, gid: 0, user: 'root', group: 'root', mtime: MTIME, size: content.length, chunks, hardlinkMaster: false });
  const size = content.length;
  const csize = chunks.reduce((a, c) => a + c.csize, 0);
  await saveArchive(session, store, {
    name, items: await items.finish(), cmdline: ['borg-ts', 'test'], start, end: nowMicros(), chunkerParams: DEFAULT_CHUNKER_PARAMS,
    totals: { size, csize, nfiles: 1, sizeParts: 0, csizeParts: 0, nfilesParts: 0 },
  });
  await session.commit();
}

for (const mode of KEY_MODES as readonly KeyMode[]) {
  test(`library writes in a ${mode} repository pass real borg check --verify-data and extract`, async () => {
    const box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
    try {
      const env = box.env as Record<string, string | undefined>;
      const location = parseLocation(box.path('repo'), { env });
      const content = randomBytes(5000);
      const { session } = await initRepository(location, { encryption: mode, env, kdfIterations: 1000 });
      try {
        await writeArchive(session, 'first', content);
      } finally {
        await session.close();
      }
      // borg writes next (it must respect our nonce reservation), then borg-ts again on top.
      assertExit(realBorg(['create', `${box.path('repo')}::by-borg`, 'repo/config'], { env: box.env, cwd: box.dir }), 0, 'borg create');
      const again = await RepositorySession.open(location, { env, exclusive: true, confirm: confirmFromEnv(env) });
      try {
        await writeArchive(again, 'second', content);
      } finally {
        await again.close();
      }
      assertExit(realBorg(['check', '--verify-data', box.path('repo')], { env: box.env }), 0, 'borg check --verify-data');
      for (const name of ['first', 'second']) {
        assertExit(realBorg(['extract', `${box.path('repo')}::${name}`], { env: box.env, cwd: box.path() }), 0, `borg extract ${name}`);
        assert.ok(readFileSync(box.path('lib/data.bin')).equals(content));
        assert.equal(statSync(box.path('lib/data.bin'), { bigint: true }).mtimeNs, MTIME);
      }
      const list = realBorg(['list', '--short', box.path('repo')], { env: box.env });
      assert.deepEqual(list.stdout.trim().split('\n').sort(), ['by-borg', 'first', 'second']);
    } finally {
      box.cleanup();
    }
  });
}
