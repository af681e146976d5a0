// Benchmark corpora, generated once per BENCH_DIR and reused: many small files, and a few big
// files made of zero runs, text and random data. Deterministic, so runs are comparable.
import { createCipheriv } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mixedData } from './data.js';

export interface Corpus {
  name: string;
  root: string;
  files: number;
  bytes: number;
}

/** xorshift32: a cheap deterministic sequence for sizes and choices. */
function* sequence(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    yield x;
  }
}

function stamp(dir: string): string {
  return join(dir, '.complete');
}

function measure(root: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(root);
  return { files, bytes };
}

/** `count` files of 1–40 KiB (half text, half random) in directories of 100. */
export function smallFilesCorpus(base: string, count: number): Corpus {
  const dir = join(base, `small-${count}`);
  const root = join(dir, 'tree');
  if (!existsSync(stamp(dir))) {
    mkdirSync(root, { recursive: true });
    const pool = mixedData(64 << 20);
    const rnd = sequence(count);
    for (let i = 0; i < count; i++) {
      const sub = join(root, `d${Math.floor(i / 1000)}`, `e${Math.floor(i / 100) % 10}`);
      if (i % 100 === 0) mkdirSync(sub, { recursive: true });
      const size = 1024 + (rnd.next().value % (39 * 1024));
      const off = rnd.next().value % (pool.length - size);
      writeFileSync(join(sub, `f${i}.dat`), pool.subarray(off, off + size));
    }
    writeFileSync(stamp(dir), '');
  }
  return { name: `${count} small files`, root, ...measure(root) };
}

/** Three big files: zero runs, text, random; `mib` MiB in all. */
export function bigFilesCorpus(base: string, mib: number): Corpus {
  const dir = join(base, `big-${mib}`);
  const root = join(dir, 'tree');
  if (!existsSync(stamp(dir))) {
    mkdirSync(root, { recursive: true });
    const third = Math.floor(mib / 3) << 20;
    const piece = 4 << 20;
    const write = (name: string, fill: (buf: Buffer, i: number) => void): void => {
      const fd = openSync(join(root, name), 'w');
      const buf = Buffer.alloc(piece);
      for (let off = 0, i = 0; off < third; off += piece, i++) {
        fill(buf, i);
        writeSync(fd, buf, 0, Math.min(piece, third - off));
      }
      closeSync(fd);
    };
    // Zero runs with a little data between them, as in VM images.
    write('zeros.img', (buf, i) => { buf.fill(0); buf.write(`block ${i}`, (i * 4099) % (piece - 16)); });
    const text = mixedData(12 << 20).subarray(4 << 20, 8 << 20);
    write('text.log', (buf, i) => { text.copy(buf, 0, (i * 7919) % 1024); buf.write(`line ${i}\n`, 0); });
    const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16));
    write('random.bin', (buf) => { cipher.update(Buffer.alloc(piece)).copy(buf); });
    writeFileSync(stamp(dir), '');
  }
  return { name: `${mib} MiB in 3 big files`, root, ...measure(root) };
}

/** Changes about 1 % of the files (appends a line), as between two daily backups. */
export function changeOnePercent(corpus: Corpus, round: number): void {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(corpus.root);
  files.sort();
  const step = Math.max(1, Math.floor(files.length / Math.max(1, Math.round(files.length / 100))));
  for (let i = round % step; i < files.length; i += step) {
    const fd = openSync(files[i]!, 'a');
    writeSync(fd, `changed in round ${round}\n`);
    closeSync(fd);
  }
}
