// Like borg, a backup leaves the page cache as it found it: the pages of the files it has read and
// of the segments it has made durable are dropped (posix_fadvise DONTNEED), so a nightly backup does
// not push everything else out of memory. Measured with util-linux's fincore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { expectExit, runBorgTs } from '../helpers/run-borg-ts.js';

/** Bytes of `path` in the page cache, or null when fincore cannot tell. */
function resident(path: string): number | null {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

const fincoreWorks = (() => {
  const dir = makeTempDir();
  try {
    const probe = join(dir, 'probe');
    writeFileSync(probe, randomBytes(1 << 16));
    readFileSync(probe);
    return resident(probe) === 1 << 16;
  } finally {
    removeTemp(dir);
  }
})();

describe('create leaves the page cache as it found it', { skip: fincoreWorks ? false : 'fincore (util-linux) is missing or the temp file system keeps no page cache' }, () => {
  let tmp: string;
  let env: Record<string, string | undefined>;
  const files = ['big.bin', 'a.bin', 'b.bin'];
  before(() => {
    tmp = makeTempDir();
    env = { BORG_BASE_DIR: join(tmp, 'base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    mkdirSync(join(tmp, 'tree'));
    const sizes = [6 << 20, 64 << 10, 256 << 10];
    files.forEach((name, i) => {
      // Written to disk (clean pages): the kernel keeps dirty pages whatever the advice.
      const fd = openSync(join(tmp, 'tree', name), 'w');
      writeSync(fd, randomBytes(sizes[i]!));
      fsyncSync(fd);
      closeSync(fd);
    });
  });
  after(() => removeTemp(tmp));

  for (const workers of [1, 2]) {
    it(`drops the files it read and the segments it wrote (--workers ${workers})`, async () => {
      const repo = join(tmp, `repo-${workers}`);
      expectExit(await runBorgTs(['init', '-e', 'none', repo], { env, cwd: tmp }), 0, 'init');
      for (const name of files) {
        readFileSync(join(tmp, 'tree', name));
        assert.ok(resident(join(tmp, 'tree', name))! > 0, `${name} is cached before the backup`);
      }
      expectExit(await runBorgTs(['create', '--workers', String(workers), `${repo}::a`, 'tree'], { env, cwd: tmp }), 0, 'create');
      for (const name of files) assert.equal(resident(join(tmp, 'tree', name)), 0, `${name} is no longer cached`);
      const segments = readdirSync(join(repo, 'data', '0')).map((n) => join(repo, 'data', '0', n));
      for (const segment of segments) assert.equal(resident(segment), 0, `segment ${segment} is no longer cached`);
    });
  }
});
