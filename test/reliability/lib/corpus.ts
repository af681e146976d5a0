// Seeded test corpora for the reliability runs: directories of files whose names and contents carry
// unique marker strings (so that a scan of an encrypted repository can look for them), with
// incompressible and compressible data, duplicates (deduplication) and empty files; and a content
// comparison of an extracted tree with its source (all of it, or only what was extracted, for
// checkpoint archives that hold part of the data).
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prng } from './prng.js';

export interface Corpus {
  /** The directory that holds the data (archived by its relative name). */
  root: string;
  /** Every marker string used in names and contents. */
  markers: string[];
  bytes: number;
  files: number;
}

export interface CorpusOptions {
  files?: number;
  /** Upper bound of one random file's size. */
  maxFileSize?: number;
  /** Files of 1–2 MiB of random data (they make a backup last long enough to be interrupted). */
  bigFiles?: number;
  /** Upper bound of a big file's size (default 2 MiB; at least half of it). */
  bigFileSize?: number;
}

/** Builds a corpus below `root` (created). */
export function makeCorpus(root: string, rng: Prng, options: CorpusOptions = {}): Corpus {
  const markers: string[] = [];
  const marker = () => {
    const m = `BTSMARK${rng.bytes(8).toString('hex')}`;
    markers.push(m);
    return m;
  };
  mkdirSync(root, { recursive: true });
  const dirs = [root];
  for (let i = 0; i < 4; i++) {
    const dir = join(rng.pick(dirs), `dir-${marker()}`);
    mkdirSync(dir);
    dirs.push(dir);
  }
  let bytes = 0;
  let files = 0;
  const contents: Buffer[] = [];
  const write = (path: string, data: Buffer) => {
    writeFileSync(path, data);
    bytes += data.length;
    files++;
    contents.push(data);
  };
  for (let i = 0; i < (options.files ?? 40); i++) {
    const dir = rng.pick(dirs);
    const name = `file-${marker()}.${rng.pick(['txt', 'bin', 'dat'])}`;
    const size = rng.int(options.maxFileSize ?? 64 * 1024);
    const kind = rng.int(4);
    let data: Buffer;
    if (kind === 0) data = rng.bytes(size);
    else if (kind === 1) data = Buffer.from(Array.from({ length: Math.ceil(size / 40) + 1 }, () => `line with ${marker()}\n`).join(''));
    else if (kind === 2 && contents.length > 0) data = rng.pick(contents);
    else data = Buffer.concat([Buffer.from(`${marker()}\n`), rng.bytes(size)]);
    write(join(dir, name), data);
  }
  const bigMax = options.bigFileSize ?? 2 << 20;
  for (let i = 0; i < (options.bigFiles ?? 0); i++) write(join(root, `big-${marker()}.bin`), rng.bytes(rng.range(bigMax >> 1, bigMax)));
  write(join(root, `empty-${marker()}`), Buffer.alloc(0));
  symlinkSync(`target-${marker()}`, join(root, `link-${marker()}`));
  return { root, markers, bytes, files };
}

interface Entry {
  type: 'dir' | 'file' | 'symlink' | 'other';
  mode: number;
  digest: string;
}

function entries(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const key = rel === '' ? name : `${rel}/${name}`;
      if (st.isDirectory()) {
        out.set(key, { type: 'dir', mode: st.mode & 0o7777, digest: '' });
        visit(path, key);
      } else if (st.isFile()) {
        out.set(key, { type: 'file', mode: st.mode & 0o7777, digest: createHash('sha256').update(readFileSync(path)).digest('hex') });
      } else if (st.isSymbolicLink()) {
        out.set(key, { type: 'symlink', mode: 0, digest: readlinkSync(path) });
      } else {
        out.set(key, { type: 'other', mode: st.mode, digest: '' });
      }
    }
  };
  visit(root, '');
  return out;
}

/**
 * Differences between a source tree and an extracted one (type, permission bits, content, link
 * target), one line each. With `subset`, entries missing from the extracted tree are allowed (a
 * checkpoint archive), but whatever is there must be right.
 */
export function compareContent(source: string, extracted: string, options: { subset?: boolean } = {}): string[] {
  const want = entries(source);
  const got = entries(extracted);
  const problems: string[] = [];
  for (const [path, entry] of got) {
    const expected = want.get(path);
    if (expected === undefined) problems.push(`${path}: not in the source`);
    else if (expected.type !== entry.type || expected.mode !== entry.mode || expected.digest !== entry.digest) {
      problems.push(`${path}: differs (${JSON.stringify(expected)} vs ${JSON.stringify(entry)})`);
    }
  }
  if (!options.subset) for (const path of want.keys()) if (!got.has(path)) problems.push(`${path}: missing`);
  return problems;
}
