// Builds the web UI's front end into dist/web/public: the TypeScript in src/web/client (DOM
// types, its own tsconfig) and the static files beside it. Part of `npm run build`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src/web/client');
const target = join(root, 'dist/web/public');
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.web.json')], { stdio: 'inherit' });
} catch {
  process.exit(1);
}
mkdirSync(target, { recursive: true });
for (const name of readdirSync(source)) {
  if (/\.(html|css|svg)$/.test(name)) copyFileSync(join(source, name), join(target, name));
}
