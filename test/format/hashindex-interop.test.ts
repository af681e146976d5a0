// Interop with real borg: its own hashindex module (Debian's borg 1.2.4 under /usr/bin/python3)
// reads what we write, writes what we read, and replays the same operations to the same bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChunkIndex, NSIndex, MAX_VALUE } from '../../src/format/hashindex.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('borg-hashindex.py', import.meta.url));
const skip = spawnSync(PYTHON, ['-c', 'import borg.hashindex'], { stdio: 'ignore' }).status !== 0 && 'no borg for /usr/bin/python3';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'borg-ts-hashindex-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Dump {
  count: number;
  entries: [string, ...number[]][];
  summary?: number[];
}

function borg(...args: string[]): string {
  return execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
}

function borgDump(kind: 'ns' | 'chunk', path: string): Dump {
  return JSON.parse(borg('dump', kind, path)) as Dump;
}

/** Deterministic pseudo-random u32 sequence (LCG), so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** A key with a chosen home word (to force collisions) and random rest. */
function randomKey(next: () => number, homeSpace: number): string {
  const k = Buffer.alloc(32);
  k.writeUInt32LE((next() % homeSpace) * 977, 0);
  for (let i = 4; i < 32; i += 4) k.writeUInt32LE(next(), i);
  return k.toString('hex');
}

type Op = [string, ...(string | number | unknown[])[]];

/** A random session of inserts, deletes and lookups that crosses grow, shrink and rebuild points. */
function nsSession(seed: number, length: number, homeSpace: number): Op[] {
  const next = lcg(seed);
  const live: string[] = [];
  const ops: Op[] = [];
  for (let i = 0; i < length; i++) {
    const phase = Math.floor((4 * i) / length); // grow, churn, shrink, churn
    const insertShare = [80, 50, 20, 50][phase]!;
    const x = next() % 100;
    if (x < insertShare || live.length === 0) {
      const k = randomKey(next, homeSpace);
      live.push(k);
      ops.push(['set', k, next() % 100000, next()]);
    } else if (x < 90) {
      const j = next() % live.length;
      ops.push(['del', live[j]!]);
      live[j] = live[live.length - 1]!;
      live.pop();
    } else {
      ops.push(['get', live[next() % live.length]!]);
    }
  }
  return ops;
}

function applyNs(ops: Op[]): NSIndex {
  const ns = new NSIndex();
  for (const [op, k, a, b] of ops) {
    const id = Buffer.from(k as string, 'hex');
    if (op === 'set') ns.set(id, a as number, b as number);
    else if (op === 'del') ns.delete(id);
    else ns.get(id);
  }
  return ns;
}

test('borg reads an NSIndex we wrote and sees the same entries in the same order', { skip }, () => {
  const ns = applyNs(nsSession(1, 6000, 100000));
  assert.ok(ns.table.numBuckets > 1031);
  const path = join(dir, 'ours.idx');
  writeFileSync(path, ns.toBytes());
  const dump = borgDump('ns', path);
  assert.equal(dump.count, ns.count);
  assert.deepEqual(dump.entries, [...ns.entries()].map(([id, seg, off]) => [id.toString('hex'), seg, off]));
  borg('rewrite', 'ns', path, join(dir, 'rewritten.idx'));
  assert.deepEqual(readFileSync(join(dir, 'rewritten.idx')), ns.toBytes());
});

test('we read an NSIndex borg wrote, and the same operations give the same bytes', { skip }, () => {
  const sessions: [string, Op[]][] = [
    ['spread keys', nsSession(2, 8000, 100000)],
    ['clustered keys', nsSession(3, 8000, 300)],
  ];
  // Steady churn of new keys: fills the table with tombstones until borg rebuilds it in place.
  const churn: Op[] = [];
  for (let n = 0; n < 10; n++) churn.push(['set', Buffer.alloc(32, n + 1).toString('hex'), 0, 0]);
  for (let n = 0; n < 2500; n++) {
    const k = Buffer.alloc(32);
    k.writeUInt32LE(n, 0);
    k.writeUInt32LE(0xabcdef, 4);
    churn.push(['set', k.toString('hex'), 1, 2], ['del', k.toString('hex')]);
  }
  sessions.push(['tombstone churn', churn]);
  for (const [name, ops] of sessions) {
    const opsPath = join(dir, 'ops.json');
    const path = join(dir, 'borg.idx');
    writeFileSync(opsPath, JSON.stringify(ops));
    borg('replay', 'ns', opsPath, path);
    const theirs = readFileSync(path);
    const read = NSIndex.fromBytes(theirs);
    assert.deepEqual([...read.entries()].map(([id, seg, off]) => [id.toString('hex'), seg, off]), borgDump('ns', path).entries, name);
    assert.deepEqual(read.toBytes(), theirs, name);
    assert.deepEqual(applyNs(ops).toBytes(), theirs, name);
  }
});

/** A session of chunk index operations; a small model keeps it within what borg accepts (no decref of 0). */
function chunkSession(seed: number): Op[] {
  const next = lcg(seed);
  const ids = Array.from({ length: 3000 }, () => randomKey(next, 1 << 20));
  const refs = new Map<string, number>();
  const ops: Op[] = [];
  const add = (id: string, n: number): void => void refs.set(id, Math.min((refs.get(id) ?? 0) + n, MAX_VALUE));
  for (const id of ids) {
    const n = 1 + (next() % 3);
    ops.push(['add', id, n, next() % 5000000, next() % 5000000]);
    add(id, n);
  }
  ops.push(['set', ids[0]!, MAX_VALUE - 1, 1, 1], ['incref', ids[0]!], ['incref', ids[0]!], ['decref', ids[0]!]);
  refs.set(ids[0]!, MAX_VALUE);
  for (let i = 0; i < 6000; i++) {
    const id = ids[next() % ids.length]!;
    const r = refs.get(id);
    const kind = next() % 5;
    if (r === undefined || kind === 0) {
      ops.push(['add', id, 1, 7, 5]);
      add(id, 1);
    } else if (kind === 1) {
      ops.push(['incref', id]);
      add(id, 1);
    } else if (kind === 2 && r > 0) {
      ops.push(['decref', id]);
      if (r !== MAX_VALUE) refs.set(id, r - 1);
    } else if (kind === 3 && i % 3 === 0) {
      ops.push(['del', id]);
      refs.delete(id);
    } else {
      ops.push(['get', id]);
    }
  }
  const rows = ids.slice(1000, 1100).map((id, i) => [id, i === 0 ? MAX_VALUE : i, 11, 22]);
  rows.push([randomKey(next, 1 << 20), 3, 33, 44]);
  ops.push(['merge', rows]);
  return ops;
}

function applyChunks(ops: Op[]): ChunkIndex {
  const chunks = new ChunkIndex();
  for (const [op, k, a, b, c] of ops) {
    if (op === 'merge') {
      const other = new ChunkIndex();
      for (const [id, r, s, cs] of k as [string, number, number, number][]) other.set(Buffer.from(id, 'hex'), r, s, cs);
      chunks.merge(other);
      continue;
    }
    const id = Buffer.from(k as string, 'hex');
    if (op === 'add') chunks.add(id, a as number, b as number, c as number);
    else if (op === 'set') chunks.set(id, a as number, b as number, c as number);
    else if (op === 'incref') chunks.incref(id);
    else if (op === 'decref') chunks.decref(id);
    else if (op === 'del') chunks.delete(id);
    else chunks.get(id);
  }
  return chunks;
}

test('ChunkIndex reference counting, merge and summarize agree with borg', { skip }, () => {
  const ops = chunkSession(4);
  const chunks = applyChunks(ops);
  assert.equal(chunks.get(Buffer.from(ops[0]![1] as string, 'hex'))!.refcount, MAX_VALUE);
  const opsPath = join(dir, 'chunk-ops.json');
  const path = join(dir, 'chunks');
  writeFileSync(opsPath, JSON.stringify(ops));
  borg('replay', 'chunk', opsPath, path);
  const theirs = readFileSync(path);
  assert.deepEqual(chunks.toBytes(), theirs);
  const dump = borgDump('chunk', path);
  const sum = chunks.summarize();
  assert.deepEqual(dump.summary, [sum.totalSize, sum.totalCsize, sum.uniqueSize, sum.uniqueCsize, sum.totalUniqueChunks, sum.totalChunks]);
  assert.deepEqual([...ChunkIndex.fromBytes(theirs).entries()].map(([id, ...v]) => [id.toString('hex'), ...v]), dump.entries);
  // And borg reads what we wrote.
  writeFileSync(join(dir, 'ours-chunks'), chunks.toBytes());
  assert.deepEqual(borgDump('chunk', join(dir, 'ours-chunks')).entries, dump.entries);
});
