// Starting worker threads from modules that run either compiled (dist/*.js) or as TypeScript under
// tsx (tests, benchmarks). A worker does not inherit tsx's loader hooks, so a .ts entry is started
// through a tiny bootstrap that registers tsx first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts `entry` (a sibling module URL of the caller, given with its .js name) as a worker. */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const asTs = new URL(entry.href.replace(/\.js$/, '.ts'));
  const runningTs = import.meta.url.endsWith('.ts');
  if (!runningTs) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(asTs.href)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
