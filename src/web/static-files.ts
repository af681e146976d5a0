// The built front end (dist/web/public): served from memory, by exact file name only, so no URL
// can reach any other file. Loaded once when the server starts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/** dist/web/public beside this module (dist/web/static-files.js). */
export function defaultPublicDir(): string {
  return fileURLToPath(new URL('./public/', import.meta.url));
}

export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const type = TYPES[extname(name)];
    if (type === undefined || !statSync(path).isFile()) continue;
    files.set(name, { type, body: readFileSync(path) });
  }
  return files;
}
