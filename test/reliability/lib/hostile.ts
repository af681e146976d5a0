// Hostile repositories, written object by object with the library as an attacker (or a broken
// server) could: a malformed or forged manifest, archive metadata and item streams of the wrong
// shape, huge length fields, deep nesting, archives without or with a wrong TAM, a forged chunk
// (MAC failure), a replayed manifest and a rolled-back repository. `HOSTILE_CASES` lists them with
// the commands to run; `runHostileCase` judges the runs (see processes.ts misbehaviour()).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archiveMetaToMsg, packArchiveMeta } from '../../../src/archive/archive-meta.js';
import { initRepository } from '../../../src/archive/init-repository.js';
import { itemToMsg, S_IFDIR, S_IFLNK, S_IFREG, type ChunkRef, type Item } from '../../../src/archive/item.js';
import { RepositorySession } from '../../../src/archive/repository-session.js';
import { DEFAULT_CHUNKER_PARAMS } from '../../../src/chunker/chunker-params.js';
import { confirmFromEnv } from '../../../src/cache/security-dir.js';
import { Key, MANIFEST_ID, type KeyMode } from '../../../src/crypto/index.js';
import { packAndAuthenticate } from '../../../src/crypto/tam.js';
import { encode, type MsgMap, type MsgValue } from '../../../src/format/msgpack.js';
import { parseLocation } from '../../../src/remote/location.js';
import { describeResult, misbehaviour, runBorgTs, type ProcessResult } from './processes.js';

export const MTIME = 1_700_000_000_000_000_000n;

/** Writes objects into a repository through a session, bypassing every check of the normal writers. */
export class HostileWriter {
  constructor(readonly session: RepositorySession) {}

  get key(): Key {
    return this.session.key;
  }

  /** Stores `data` as an ordinary object (id = id hash, encrypted with the key); returns its id. */
  async store(data: Buffer): Promise<Buffer> {
    await this.session.prepareWrite();
    const { id, envelope } = this.session.writer('lz4').pack(data);
    await this.session.repository.put(id, envelope);
    return id;
  }

  /** A file chunk reference. */
  async chunk(content: string): Promise<ChunkRef> {
    const data = Buffer.from(content);
    const id = await this.store(data);
    return { id, size: data.length, csize: data.length };
  }

  /** An item stream of ordinary items plus raw (possibly malformed) values, as one chunk. */
  async itemStream(values: Array<Item | MsgValue | Buffer>): Promise<Buffer[]> {
    const parts = values.map((v) => (Buffer.isBuffer(v) ? v : isItem(v) ? encode(itemToMsg(v)) : encode(v as MsgValue)));
    return [await this.store(Buffer.concat(parts))];
  }

  /** Archive metadata: an ordinary map (overridable), with a valid TAM unless told otherwise. */
  async archive(name: string, items: Buffer[], options: { override?: MsgMap; tam?: 'valid' | 'none' | 'foreign' } = {}): Promise<Buffer> {
    const now = '2024-01-01T00:00:00.000000';
    const msg: MsgMap = {
      ...archiveMetaToMsg({
        version: 1, name, items, cmdline: ['borg-ts', 'create'], time: now, timeEnd: now, hostname: 'h', username: 'u', comment: '',
        chunkerParams: DEFAULT_CHUNKER_PARAMS, size: 0, csize: 0, nfiles: 0, sizeParts: 0, csizeParts: 0, nfilesParts: 0,
      }),
      ...options.override,
    };
    const tam = options.tam ?? 'valid';
    const data = tam === 'none' ? encode(msg, { sortKeys: true })
      : packArchiveMeta(tam === 'valid' ? this.key : Key.generate(this.key.mode, Buffer.alloc(32, 9)), msg);
    return this.store(data);
  }

  /** The manifest listing `archives` (name -> id), written the normal way. */
  listArchives(archives: Record<string, Buffer>): void {
    for (const [name, id] of Object.entries(archives)) this.session.manifest.archives.set(name, { name, id, time: '2024-01-01T00:00:00.000000' });
  }

  /** Replaces the manifest object with `data` (raw plaintext), packed with the key. */
  async rawManifest(data: Buffer): Promise<void> {
    await this.session.prepareWrite();
    const { envelope } = this.session.writer('lz4').packWithId(MANIFEST_ID, data);
    await this.session.repository.put(MANIFEST_ID, envelope);
  }

  /** Replaces object `id` with raw envelope bytes (e.g. forged without the key). */
  async rawObject(id: Buffer, envelope: Buffer): Promise<void> {
    await this.session.repository.put(id, envelope);
  }
}

function isItem(v: unknown): v is Item {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v) && 'path' in v && typeof (v as Item).path === 'string' && 'mtime' in v;
}

export function fileItem(path: string, chunks: ChunkRef[], extra: Partial<Item> = {}): Item {
  const size = chunks.reduce((n, c) => n + c.size, 0);
  return { path, mode: S_IFREG | 0o644, uid: 0, gid: 0, user: 'root', group: 'root', mtime: MTIME, chunks, size, ...extra };
}

export interface HostileEnv {
  dir: string;
  repo: string;
  env: NodeJS.ProcessEnv;
}

export async function openWriter(h: HostileEnv): Promise<HostileWriter> {
  const session = await RepositorySession.open(parseLocation(h.repo, { env: h.env }), { env: h.env, confirm: confirmFromEnv(h.env), exclusive: true, operations: ['write'] });
  return new HostileWriter(session);
}

/** A new repository with archive `good` (one file) below a new temp dir in `parent`. */
export async function newHostileRepo(parent: string, mode: KeyMode): Promise<HostileEnv> {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'hostile-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'], HOME: dir, LANG: 'C.UTF-8', BORG_BASE_DIR: join(dir, 'base'), BORG_PASSPHRASE: 'hostile test',
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES',
    // A decoder that believed a huge length would run out of heap and abort.
    NODE_OPTIONS: '--max-old-space-size=256',
  };
  const repo = join(dir, 'repo');
  const { session } = await initRepository(parseLocation(repo, { env }), { encryption: mode, env, kdfIterations: 1000 });
  const w = new HostileWriter(session);
  try {
    const items = await w.itemStream([fileItem('good.txt', [await w.chunk('good content\n')])]);
    w.listArchives({ good: await w.archive('good', items) });
    await session.commit();
  } finally {
    await session.close();
  }
  return { dir, repo, env };
}

/** Runs `build` in one transaction; `manifest` false leaves the manifest as `build` wrote it. */
export async function tamper(h: HostileEnv, build: (w: HostileWriter) => Promise<void>, manifest = true): Promise<void> {
  const w = await openWriter(h);
  try {
    await build(w);
    if (manifest) await w.session.commit();
    else await w.session.repository.commit({ compact: false });
  } finally {
    await w.session.close();
  }
}

export interface HostileCase {
  name: string;
  mode: KeyMode;
  /** Changes the repository (which already holds archive `good`). */
  build(h: HostileEnv): Promise<void>;
  /** What is damaged: the manifest (every command must fail) or archive `evil`. */
  target: 'manifest' | 'archive';
  /** Commands (by verb) that must fail, saying something that matches `expect`. */
  mustFail?: string[];
  expect?: RegExp;
  /** `check` must report a problem (default true); with `verifyData` it runs --verify-data. */
  checkFinds?: boolean;
  verifyData?: boolean;
}

const READS = ['list', 'extract', 'export-tar'];

const huge32 = (type: number) => Buffer.from([type, 0xff, 0xff, 0xff, 0xf0]);

/** Items a hostile writer may put into an archive; each must be skipped or refused cleanly. */
function evilItems(chunk: ChunkRef, id: Buffer): Array<Item | MsgValue | Buffer> {
  return [
    fileItem('ok-before', [chunk]),
    { path: 5, mode: 'x' } as unknown as MsgValue,
    { path: Buffer.from('no-mode') },
    { path: Buffer.from('bad-chunks'), mode: S_IFREG | 0o644, mtime: 0, chunks: 'nope' } as unknown as MsgValue,
    { path: Buffer.from('bad-chunk-tuple'), mode: S_IFREG | 0o644, mtime: 0, chunks: [[1, 2]] },
    { path: Buffer.from('huge-size'), mode: S_IFREG | 0o644, mtime: 0, size: 2n ** 62n, chunks: [[id, 2 ** 40, 5]] },
    { path: Buffer.from('huge-mtime'), mode: S_IFREG | 0o644, mtime: 2n ** 63n - 1n, chunks: [] },
    { path: Buffer.from('neg-uid'), mode: S_IFREG | 0o644, mtime: 0, uid: -5, gid: 'x' as unknown as number, chunks: [] } as unknown as MsgValue,
    { path: Buffer.from('bad-xattrs'), mode: S_IFREG | 0o644, mtime: 0, xattrs: [1, 2], acl_access: 7, chunks: [] } as unknown as MsgValue,
    { path: Buffer.from('weird-mode'), mode: 0o177777, mtime: 0 },
    [1, 2, 3],
    'a string instead of an item',
    fileItem('ok-after', [chunk]),
  ];
}

export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'manifest that is not msgpack', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(Buffer.from('this is not msgpack at all \xc1\xc1')), false),
  },
  {
    name: 'manifest of the wrong type (an array)', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(encode([1, 2, 3])), false),
  },
  {
    name: 'manifest with wrong field types', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(encode({ version: 1, archives: 5, timestamp: 7, config: [] })), false),
  },
  {
    name: 'manifest with a bad archive entry', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(encode({ version: 1, archives: { evil: { id: Buffer.from('short'), time: 5 } }, timestamp: '2024-01-01T00:00:00.000000', config: {} })), false),
  },
  {
    name: 'manifest with a huge string length', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(Buffer.concat([Buffer.from([0x81, 0xa8]), Buffer.from('archives'), huge32(0xdb), Buffer.alloc(100)])), false),
  },
  {
    name: 'manifest with a huge map count', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(Buffer.concat([Buffer.from([0x81, 0xa8]), Buffer.from('archives'), huge32(0xdf), Buffer.alloc(100)])), false),
  },
  {
    name: 'manifest nested 100000 levels deep', mode: 'none', target: 'manifest', expect: /manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])])), false),
  },
  {
    name: 'manifest forged without the key (MAC failure)', mode: 'repokey', target: 'manifest', expect: /integrity|MAC|authenticat/i,
    build: (h) => tamper(h, (w) => w.rawObject(MANIFEST_ID, Buffer.concat([Buffer.from([w.key.typeByte]), Buffer.alloc(32 + 8), Buffer.from('forged manifest data')])), false),
  },
  {
    name: 'manifest signed by another key (TAM invalid)', mode: 'repokey', target: 'manifest', expect: /TAM|authenticat|manifest/i,
    build: (h) => tamper(h, (w) => w.rawManifest(packAndAuthenticate(Key.generate('repokey', Buffer.alloc(32, 3)), { version: 1, archives: {}, timestamp: '2030-01-01T00:00:00.000000', config: {} }, 'manifest')), false),
  },
  {
    name: 'archive metadata that is garbage', mode: 'none', target: 'archive', mustFail: READS,
    build: (h) => tamper(h, async (w) => w.listArchives({ evil: await w.store(Buffer.from('\xc1 garbage archive')) })),
  },
  {
    name: 'archive metadata with wrong field types', mode: 'none', target: 'archive', mustFail: READS,
    build: (h) => tamper(h, async (w) => w.listArchives({ evil: await w.archive('evil', [], { override: { name: 5, items: 'x', cmdline: 3, time: 4 } as unknown as MsgMap }) })),
  },
  {
    name: 'archive metadata with bad item ids', mode: 'none', target: 'archive', mustFail: READS,
    build: (h) => tamper(h, async (w) => w.listArchives({ evil: await w.archive('evil', [], { override: { items: [Buffer.alloc(5), 7, Buffer.alloc(32, 0xee)] } }) })),
  },
  {
    name: 'item stream that is garbage', mode: 'none', target: 'archive', mustFail: READS, expect: /item stream is damaged/,
    build: (h) => tamper(h, async (w) => w.listArchives({ evil: await w.archive('evil', [await w.store(Buffer.from([0xc1, 0xc1, 0xff, 0x00, 0xdb, 0xff]))]) })),
  },
  {
    name: 'items of the wrong types and sizes', mode: 'none', target: 'archive', mustFail: READS, expect: /Invalid item/,
    build: (h) => tamper(h, async (w) => {
      const chunk = await w.chunk('fine\n');
      w.listArchives({ evil: await w.archive('evil', await w.itemStream(evilItems(chunk, chunk.id))) });
    }),
  },
  {
    name: 'item with a huge string length and deep nesting', mode: 'none', target: 'archive', mustFail: READS, expect: /item stream is damaged/,
    build: (h) => tamper(h, async (w) => {
      const raw = Buffer.concat([Buffer.from([0x82, 0xa4]), Buffer.from('path'), huge32(0xdb), Buffer.alloc(50)]);
      const deep = Buffer.concat([Buffer.alloc(5000, 0x91), Buffer.from([0xc0])]);
      w.listArchives({ evil: await w.archive('evil', [await w.store(deep), await w.store(raw)]) });
    }),
  },
  {
    name: 'hostile paths: .., absolute, symlinked parent, hard link outside, 64 KiB name, deep nesting', mode: 'none', target: 'archive', checkFinds: false,
    build: (h) => tamper(h, async (w) => {
      const c = await w.chunk('x\n');
      const deep = Array.from({ length: 2000 }, () => 'd').join('/');
      const items: Item[] = [
        fileItem('../escape', [c]), fileItem('/abs/escape', [c]), fileItem('a/../../escape2', [c]),
        { ...fileItem('link', []), mode: S_IFLNK | 0o777, source: '/' }, fileItem('link/through', [c]),
        { ...fileItem('hl', []), source: '../../etc/passwd' }, { ...fileItem('hl-abs', []), source: '/etc/passwd' },
        fileItem(`n${'x'.repeat(65536)}`, [c]), fileItem(`${deep}/f`, [c]), { ...fileItem('dir', []), mode: S_IFDIR | 0o755 },
        fileItem('ok', [c]),
      ];
      w.listArchives({ evil: await w.archive('evil', await w.itemStream(items)) });
    }),
  },
  {
    // Read like borg >= 1.2.5 does (old archives have none); check reports it, --repair removes it.
    name: 'archive without a TAM', mode: 'repokey', target: 'archive',
    build: (h) => tamper(h, async (w) => {
      const items = await w.itemStream([fileItem('f', [await w.chunk('unauthenticated\n')])]);
      w.listArchives({ evil: await w.archive('evil', items, { tam: 'none' }) });
    }),
  },
  {
    name: 'archive with a wrong TAM', mode: 'repokey', target: 'archive', mustFail: READS, expect: /TAM|authenticat/i,
    build: (h) => tamper(h, async (w) => {
      const items = await w.itemStream([fileItem('f', [await w.chunk('wrongly authenticated\n')])]);
      w.listArchives({ evil: await w.archive('evil', items, { tam: 'foreign' }) });
    }),
  },
  {
    name: 'file chunk forged without the key (MAC failure)', mode: 'repokey', target: 'archive', mustFail: ['extract', 'export-tar'],
    expect: /integrity|MAC|authenticat/i, verifyData: true,
    build: (h) => tamper(h, async (w) => {
      const chunk = await w.chunk('the real content\n');
      w.listArchives({ evil: await w.archive('evil', await w.itemStream([fileItem('forged', [chunk])])) });
      await w.rawObject(chunk.id, Buffer.concat([Buffer.from([w.key.typeByte]), Buffer.alloc(32 + 8, 1), Buffer.from('attacker data')]));
    }),
  },
];

/** The archive cases about paths and authentication (the rest are about malformed metadata). */
export function isPathOrAuthCase(c: HostileCase): boolean {
  return c.mode !== 'none' || c.name.startsWith('hostile paths');
}

export const ARCHIVE_COMMANDS = [['list', 'REPO::evil'], ['extract', 'REPO::evil'], ['export-tar', 'REPO::evil', '-'], ['diff', 'REPO::good', 'evil'], ['check', 'REPO']];
export const MANIFEST_COMMANDS = [['list', 'REPO'], ['check', 'REPO'], ['create', 'REPO::new', '.']];

export interface HostileResult {
  name: string;
  runs: Array<{ command: string; result: ProcessResult }>;
  problems: string[];
}

/** Builds the case's repository and runs its commands; returns what went wrong. */
export async function runHostileCase(parent: string, c: HostileCase): Promise<HostileResult> {
  const h = await newHostileRepo(parent, c.mode);
  const result: HostileResult = { name: c.name, runs: [], problems: [] };
  try {
    await c.build(h);
    cpSync(h.repo, join(h.dir, 'before'), { recursive: true });
    const commands = (c.target === 'manifest' ? MANIFEST_COMMANDS : ARCHIVE_COMMANDS)
      .map((command) => (command[0] === 'check' && c.verifyData ? ['check', '--verify-data', 'REPO'] : command));
    for (const command of commands) {
      const target = mkdtempSync(join(h.dir, 'target-'));
      const args = command.map((a) => a.replace('REPO', h.repo));
      const r = await runBorgTs(args, { env: h.env, cwd: target, timeoutMs: 20_000 });
      result.runs.push({ command: command.join(' '), result: r });
      const bad = misbehaviour(r);
      if (bad !== '') result.problems.push(`${command.join(' ')}: ${bad}\n${describeResult(command.join(' '), r)}`);
      removeTree(target);
    }
    // Nothing was written outside the targets.
    const left = readdirSync(h.dir).sort().join(',');
    if (left !== 'base,before,repo') result.problems.push(`files appeared beside the targets: ${left}`);
    const mustFail = c.target === 'manifest' ? ['list', 'create'] : c.mustFail ?? [];
    for (const { command, result: r } of result.runs) {
      if (!mustFail.includes(command.split(' ')[0]!)) continue;
      if (r.code !== 2) result.problems.push(`${command} did not refuse the hostile ${c.target}: ${describeResult(command, r)}`);
      else if (c.expect && !c.expect.test(r.stderr)) result.problems.push(`${command} does not say what is wrong: ${r.stderr.slice(0, 500)}`);
    }
    const check = result.runs.find((r) => r.command.startsWith('check'))!.result;
    if ((c.checkFinds ?? true) && check.code === 0) result.problems.push('check found nothing wrong');
  } finally {
    removeTree(h.dir);
  }
  return result;
}

/** rm -rf: node's recursive rmSync runs out of stack on the 2000-level tree of the path case. */
function removeTree(path: string): void {
  spawnSync('rm', ['-rf', '--', path]);
}
