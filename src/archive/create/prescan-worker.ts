// Worker thread entry of the size pre-scan (see prescan.ts): walks the roots like `create` would,
// stat()ing only, and reports the total size and number of the regular files it would store.
import { existsSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeFsBytes, fsPath } from '../../format/surrogate-escape.js';
import { normpath } from '../../remote/location.js';
import { createPattern, PatternMatcher, type PatternCommandKind, type PatternStyle } from '../patterns/index.js';

export interface PrescanRequest {
  roots: string[];
  /** Relative roots are relative to this directory. */
  cwd: string;
  patterns: { style: PatternStyle; text: string; recurseDir: boolean; cmd: PatternCommandKind }[];
  excludeCaches: boolean;
  excludeIfPresent: string[];
  oneFileSystem: boolean;
  /** "dev:ino" of objects never stored. */
  skip: string[];
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function join(path: string, name: string): string {
  return path.endsWith('/') ? path + name : `${path}/${name}`;
}

function fsPathIn(cwd: string, path: string): string | Buffer {
  return fsPath(path.startsWith('/') ? path : join(cwd, path));
}

function scan(request: PrescanRequest): { size: number; files: number } {
  const matcher = new PatternMatcher(true);
  matcher.addInclExcl(request.patterns.map((p) => ({ pattern: createPattern(p.style, p.text, { recurseDir: p.recurseDir }), cmd: p.cmd })));
  const skip = new Set(request.skip);
  let size = 0;
  let files = 0;
  const walk = (path: string, st: Stats, restrictDev: number | null): void => {
    const included = matcher.match(path);
    if (!included && !matcher.recurseDir) return;
    if (skip.has(`${st.dev}:${st.ino}`)) return;
    const type = st.mode & S_IFMT;
    if (type === S_IFREG) {
      if (included) {
        size += st.size;
        files += 1;
      }
      return;
    }
    if (type !== S_IFDIR || (restrictDev !== null && st.dev !== restrictDev)) return;
    if (request.excludeCaches && existsSync(fsPathIn(request.cwd, join(path, 'CACHEDIR.TAG')))) return;
    if (request.excludeIfPresent.some((tag) => existsSync(fsPathIn(request.cwd, join(path, tag))))) return;
    let names: Buffer[];
    try {
      names = readdirSync(fsPathIn(request.cwd, path), { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const raw of names) {
      const child = normpath(join(path, decodeFsBytes(raw)));
      try {
        walk(child, lstatSync(fsPathIn(request.cwd, child)), restrictDev);
      } catch {
        // vanished or unreadable: the backup will report it
      }
    }
  };
  for (const root of request.roots) {
    const path = normpath(root);
    try {
      const st = lstatSync(fsPathIn(request.cwd, path));
      walk(path, st, request.oneFileSystem ? st.dev : null);
    } catch {
      // reported by the backup
    }
  }
  return { size, files };
}

parentPort?.postMessage(scan(workerData as PrescanRequest));
