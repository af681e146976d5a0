// Inputs other than a directory walk: a stream stored as one file (stdin with the path '-', or
// the output of --content-from-command), and lists of paths to store without recursion
// (--paths-from-stdin, --paths-from-command).
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { BorgError } from '../../errors.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import { group2gid, user2uid } from '../../platform/users.js';
import { normpath } from '../../remote/location.js';
import type { ChunkRef, Item } from '../item.js';
import { backupIo, backupOSError, isBackupProblem, osErrorText } from './backup-errors.js';
import { ChunkProcessor, ivBlocksBound } from './chunk-processor.js';
import type { StdinItemOptions } from './create-options.js';
import type { CreateRun } from './create-run.js';
import { problemWarning } from './file-processor.js';
import type { ObjectHandler } from './fs-objects.js';
import { QueueEntry } from './item-queue.js';
import { fsPathIn } from './walker.js';

/**
 * The pieces of `stream` until it ends or `signal` aborts: waiting for more data (a command that
 * is silent for a while) must not delay the checkpoint an interruption asks for.
 */
async function* untilAborted(stream: AsyncIterable<Buffer | string>, signal: AbortSignal | undefined): AsyncIterable<Buffer> {
  const iterator = stream[Symbol.asyncIterator]();
  const aborted = new Promise<null>((resolve) => {
    if (signal?.aborted) resolve(null);
    else signal?.addEventListener('abort', () => resolve(null), { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === null || next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  } finally {
    void iterator.return?.();
  }
}

/** Python's repr() of a command word, as borg quotes it in messages. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Stores `stream` as one regular file named by `--stdin-name` (borg's process_pipe). Errors while
 * reading are BackupOSErrors; the caller decides whether they end the backup.
 */
export async function storeStream(run: CreateRun, stream: AsyncIterable<Buffer | string>, options: StdinItemOptions): Promise<void> {
  const uid = user2uid(options.user);
  if (uid === null) throw new BorgError(`no such user: ${options.user}`, { code: 'Error' });
  const gid = group2gid(options.group);
  if (gid === null) throw new BorgError(`no such group: ${options.group}`, { code: 'Error' });
  const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
  const item: Item = {
    path: options.name, mode: (options.mode & 0o107777) | 0o100000, uid, user: options.user, gid, group: options.group,
    mtime: now, atime: now, ctime: now,
  };
  const entry = new QueueEntry(item, false).status('i', options.name);
  const content = { chunks: [] as ChunkRef[], offset: 0, partsFrom: 0, parts: 0 };
  entry.content = content;
  run.push(entry);
  const session = run.session;
  const processor = new ChunkProcessor(
    { keyMode: session.key.mode, material: session.key.material, compression: run.options.compression, chunkerParams: run.options.chunkerParams },
    (id) => run.cache.chunks.has(id),
  );
  const params = run.options.chunkerParams;
  const held = params.algorithm === 'fixed' ? Math.max(params.blockSize, params.headerSize) : 2 ** params.maxExp;
  // Chunking, sealing and storing happen under the writer lock: the known/unknown decision cannot
  // go stale before the chunk is stored.
  const feed = (piece: Buffer | null) => run.lock.run(async () => {
    if (run.stopped) return;
    await session.prepareWrite(ivBlocksBound((piece?.length ?? 0) + held, params, run.options.compression));
    for (const chunk of processor.processPiece(piece, session.ivSupply())) {
      const ref = (await run.store.storeSealed(chunk, run.stats.files))!;
      content.chunks.push(ref);
      content.offset += ref.size;
    }
    await run.afterStore(options.name);
  });
  try {
    for await (const piece of untilAborted(stream, run.options.signal)) await feed(piece);
    // Interrupted: the checkpoint stores what was read as a part file; the rest is not read.
    if (run.aborted) return;
    await feed(null);
  } catch (e) {
    await run.lock.run(async () => {
      for (const chunk of content.chunks.slice(content.partsFrom)) await run.store.release(chunk.id, run.stats.files);
      content.chunks.length = content.partsFrom;
      entry.item = null;
      entry.content = null;
      entry.ready = true;
      run.entryChanged();
    });
    throw isBackupProblem(e) ? e : backupOSError('read', e);
  }
  await run.lock.run(() => {
    item.chunks = content.chunks;
    item.size = content.offset;
    item.hardlinkMaster = false;
    run.stats.files.nfiles += 1;
    entry.ready = true;
    run.entryChanged();
  });
}

/** '-' among the paths: stdin as a file; a read error is a warning ('E'), as in borg. */
export async function storeStdin(run: CreateRun, stdin: AsyncIterable<Buffer | string>, options: StdinItemOptions): Promise<void> {
  try {
    await storeStream(run, stdin, options);
  } catch (e) {
    if (!isBackupProblem(e)) throw e;
    run.objects.warning(problemWarning(options.name, e));
    run.objects.line('E', options.name);
  }
}

function startCommand(command: readonly string[], cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C at the terminal interrupts borg-ts (which then writes a
    // checkpoint) but not the command feeding it, like borg's SIGINT-ignoring child.
    const child = spawn(command[0]!, command.slice(1), { cwd, stdio: ['inherit', 'pipe', 'inherit'], detached: true });
    child.once('spawn', () => resolve(child));
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(new BorgError(`Failed to execute command: ${osErrorText(e.code ?? '', e.message, command[0])}`, { code: 'Error' }));
    });
  });
}

function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? -1);
    else child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : 0)));
  });
}

/** --content-from-command: the command's stdout is stored; a failed command fails the backup. */
export async function storeCommandOutput(run: CreateRun, command: readonly string[], options: StdinItemOptions): Promise<void> {
  if (command.length === 0) throw new BorgError('No command given', { code: 'Error' });
  const child = await startCommand(command, run.options.cwd);
  try {
    await storeStream(run, child.stdout!, options);
  } catch (e) {
    child.kill();
    if (!isBackupProblem(e)) throw e;
    throw new BorgError(`${options.name}: ${e.message}`, { code: 'Error' });
  }
  if (run.aborted) {
    child.kill();
    return;
  }
  const status = await exitStatus(child);
  if (status !== 0) throw new BorgError(`Command ${quote(command[0]!)} exited with status ${status}`, { code: 'Error' });
}

/** borg's iter_separated: the parts between separators; a trailing empty part is dropped. */
async function* separated(stream: AsyncIterable<Buffer | string>, separator: string): AsyncIterable<string> {
  const sep = Buffer.from(separator);
  let rest = Buffer.alloc(0);
  for await (const piece of stream) {
    rest = Buffer.concat([rest, typeof piece === 'string' ? Buffer.from(piece) : piece]);
    for (let at = rest.indexOf(sep); at >= 0; at = rest.indexOf(sep)) {
      yield decodeFsBytes(rest.subarray(0, at));
      rest = rest.subarray(at + sep.length);
    }
  }
  if (rest.length > 0) yield decodeFsBytes(rest);
}

/** Stores each listed path by itself (no recursion, no patterns), borg's --paths-from-* loop. */
export async function storeListedPaths(
  handler: ObjectHandler, stream: AsyncIterable<Buffer | string>, separator: string, cwd: string, signal?: AbortSignal,
): Promise<void> {
  for await (const listed of separated(untilAborted(stream, signal), separator || '\n')) {
    if (!(await handler.ready())) return;
    const path = normpath(listed);
    let status: string | null;
    try {
      const fs = fsPathIn(cwd, path);
      const st = backupIo('stat', path, () => lstatSync(fs, { bigint: true }));
      status = await handler.processAny(path, fs, path, st);
    } catch (e) {
      if (!isBackupProblem(e)) throw e;
      handler.warning(problemWarning(path, e));
      status = 'E';
    }
    if (status !== null) handler.line(status, path);
  }
}

/** --paths-from-command: like --paths-from-stdin with the command's output; it must succeed. */
export async function storeCommandPaths(
  handler: ObjectHandler, command: readonly string[], separator: string, cwd: string, signal?: AbortSignal,
): Promise<void> {
  if (command.length === 0) throw new BorgError('No command given', { code: 'Error' });
  const child = await startCommand(command, cwd);
  try {
    await storeListedPaths(handler, child.stdout!, separator, cwd, signal);
  } catch (e) {
    child.kill();
    throw e;
  }
  if (signal?.aborted) {
    child.kill();
    return;
  }
  const status = await exitStatus(child);
  if (status !== 0) throw new BorgError(`Command ${quote(command[0]!)} exited with status ${status}`, { code: 'Error' });
}
