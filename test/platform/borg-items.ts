// Test helper: archive a directory with the real borg (Debian's 1.2.4) and return its items as
// borg stored them, to compare our metadata readers with. Skips when borg is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
let serial = 0;

export const borgSkip: string | false =
  spawnSync('borg', ['--version'], { stdio: 'ignore' }).status !== 0
    ? 'borg is not installed (scripts/install-test-deps.sh)'
    : spawnSync(PYTHON, ['-c', 'import msgpack'], { stdio: 'ignore' }).status !== 0 && 'no msgpack for /usr/bin/python3';

/**
 * An item's raw fields: bytes as Buffer, maps (xattrs) as Map keyed by the latin1 name, integers
 * beyond 2^53 (ns times) as bigint.
 */
export type BorgItem = Record<string, unknown>;

// Items are written by `borg debug dump-archive-items` as msgpack; turn them into JSON with bytes
// tagged as hex and big integers as strings, so nothing is lost to text decoding or float64.
const DUMP_SCRIPT = `
import glob, json, sys, msgpack
def conv(v):
    if isinstance(v, bytes): return {"$b": v.hex()}
    if isinstance(v, dict): return {"$m": [[k.hex(), conv(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)): return [conv(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53: return {"$i": str(v)}
    return v
out = []
for fn in sorted(glob.glob(sys.argv[1] + "/*.items")):
    for item in msgpack.Unpacker(open(fn, "rb"), raw=True):
        out.append({k.decode(): conv(x) for k, x in item.items()})
json.dump(out, sys.stdout)
`;

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v !== null && typeof v === 'object') {
    const o = v as { $b?: string; $m?: [string, unknown][]; $i?: string };
    if (o.$b !== undefined) return Buffer.from(o.$b, 'hex');
    if (o.$i !== undefined) return BigInt(o.$i);
    if (o.$m !== undefined) return new Map(o.$m.map(([k, x]) => [Buffer.from(k, 'hex').toString('latin1'), revive(x)]));
  }
  return v;
}

/**
 * Runs `borg create` (with extra options such as --numeric-ids) on `dir`, run from inside it so that
 * item paths are relative to it, and returns the items by path. Also leaves the repository in
 * `<work>/repo` for `borg extract`.
 */
export interface BorgArchive {
  items: Map<string, BorgItem>;
  repo: string;
  env: NodeJS.ProcessEnv;
}

export function borgArchive(work: string, dir: string, options: string[] = []): BorgArchive {
  const repo = join(work, `repo-${++serial}`);
  const env = {
    ...process.env,
    BORG_BASE_DIR: join(work, 'borg-base'),
    BORG_PASSPHRASE: '',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  };
  execFileSync('borg', ['init', '-e', 'none', repo], { env, stdio: 'pipe' });
  execFileSync('borg', ['create', ...options, `${repo}::a`, '.'], { cwd: dir, env, stdio: 'pipe' });
  const dumpDir = mkdtempSync(join(tmpdir(), 'borg-ts-dump-'));
  try {
    execFileSync('borg', ['debug', 'dump-archive-items', `${repo}::a`], { cwd: dumpDir, env, stdio: 'pipe' });
    const json = execFileSync(PYTHON, ['-c', DUMP_SCRIPT, dumpDir], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const items = new Map<string, BorgItem>();
    for (const raw of JSON.parse(json) as Record<string, unknown>[]) {
      const item: BorgItem = {};
      for (const [k, v] of Object.entries(raw)) item[k] = revive(v);
      items.set((item.path as Buffer).toString('utf8'), item);
    }
    return { items, repo, env };
  } finally {
    rmSync(dumpDir, { recursive: true, force: true });
  }
}

/** `borg extract` of archive `a` into a new directory under `work`; returns that directory. */
export function borgExtract(work: string, archive: BorgArchive, options: string[] = []): string {
  const dest = join(work, `extract-${++serial}`);
  mkdirSync(dest);
  execFileSync('borg', ['extract', ...options, `${archive.repo}::a`], { cwd: dest, env: archive.env, stdio: 'pipe' });
  return dest;
}
