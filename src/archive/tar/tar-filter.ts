// Where tar streams go to and come from: a file, standard output or input ("-"), optionally
// through a filter program ([de]compression) picked from the file name as borg picks it
// (--tar-filter=auto) or given explicitly. The filter is a separate process, so it runs on another
// core and any installed (parallel) compressor can be used; its failure fails the command.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { shlexSplit } from '../../crypto/shlex.js';
import { BorgError } from '../../errors.js';
import { SILENT_LOG, type LogSink } from '../../progress.js';

/** borg's get_tar_filter: the [de]compressor a tar file name asks for, or null. */
export function tarFilterFor(fileName: string, decompress: boolean): string | null {
  const d = decompress ? ' -d' : '';
  if (/\.(tar\.gz|tgz)$/.test(fileName)) return `gzip${d}`;
  if (/\.(tar\.bz2|tbz)$/.test(fileName)) return `bzip2${d}`;
  if (/\.(tar\.xz|txz)$/.test(fileName)) return `xz${d}`;
  if (fileName.endsWith('.tar.lz4')) return `lz4${d}`;
  if (/\.tar\.zstd?$/.test(fileName)) return `zstd${d}`;
  return null;
}

/** Something that accepts bytes with backpressure (a Node stream or a test's collector). */
export interface ByteWriter {
  write(chunk: Uint8Array): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

async function writeTo(writer: ByteWriter, data: Uint8Array): Promise<void> {
  if (writer.write(data) === false && typeof writer.once === 'function') await new Promise<void>((resolve) => void writer.once!('drain', resolve));
}

export interface FilterOptions {
  env?: Record<string, string | undefined>;
  /** Receives the reason a filter could not be started. */
  log?: LogSink;
}

interface Filter {
  child: ChildProcess;
  /** The exit code (-1 when killed by a signal), once it has exited. */
  exited: Promise<number>;
  /** Set when it has exited. */
  rc: number | null;
}

async function startFilter(command: string, stdio: Array<'pipe' | 'inherit' | number>, options: FilterOptions): Promise<Filter> {
  const log = options.log ?? SILENT_LOG;
  let argv: string[];
  try {
    argv = shlexSplit(command);
  } catch (e) {
    log.log('error', `filter-process: ${(e as Error).message}`);
    throw new BorgError(`filter ${command}: process creation failed`, { code: 'Error' });
  }
  if (argv.length === 0) {
    log.log('error', 'filter-process: an empty command line is not permitted');
    throw new BorgError(`filter ${command}: process creation failed`, { code: 'Error' });
  }
  const child = spawn(argv[0]!, argv.slice(1), { stdio: stdio as never, env: options.env as NodeJS.ProcessEnv });
  const filter: Filter = { child, rc: null, exited: Promise.resolve(-1) };
  filter.exited = new Promise((resolve) => child.once('exit', (code) => resolve((filter.rc = code ?? -1))));
  try {
    await once(child, 'spawn');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    log.log('error', `filter-process: ${code === 'EACCES' ? 'permission denied' : 'executable not found'}: ${argv[0]}`);
    throw new BorgError(`filter ${command}: process creation failed`, { code: 'Error' });
  }
  return filter;
}

function filterFailed(command: string, rc: number): BorgError {
  return new BorgError(`filter ${command} failed, rc=${rc}`, { code: 'Error' });
}

/** Opens the tar file; failing to is the user's error (a one-line message), not a bug. */
function openFile(path: string, flags: 'r' | 'w'): number {
  try {
    return openSync(path, flags);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new BorgError(`Cannot open the tar file ${path}: ${reason}`, { code: 'Error', args: [path, reason] });
  }
}

export interface TarOutput {
  write(data: Buffer): Promise<void>;
  /** Closes the output; waits for the filter and fails if it failed. */
  finish(): Promise<void>;
  /** After an error: stops the filter and closes the output. */
  abort(): Promise<void>;
}

/** Opens `path` ("-": `stdout`) for writing a tar stream, through `filter` if given. */
export async function openTarOutput(path: string, stdout: ByteWriter, filter: string | null, options: FilterOptions = {}): Promise<TarOutput> {
  const fd = path === '-' ? null : openFile(path, 'w');
  const closeFile = () => {
    if (fd !== null) closeSync(fd);
  };
  const direct = async (data: Uint8Array): Promise<void> => {
    if (fd === null) return writeTo(stdout, data);
    for (let done = 0; done < data.length;) done += writeSync(fd, data, done);
  };
  if (filter === null) return { write: direct, finish: async () => closeFile(), abort: async () => closeFile() };

  let proc: Filter;
  try {
    proc = await startFilter(filter, ['pipe', fd ?? 'pipe', 'inherit'], options);
  } catch (e) {
    closeFile();
    throw e;
  }
  const { child } = proc;
  // The filter's output to our stdout, in order, with backpressure.
  let forwarding: Promise<void> = Promise.resolve();
  if (fd === null) {
    forwarding = (async () => {
      for await (const piece of child.stdout!) await writeTo(stdout, piece as Buffer);
    })();
    forwarding.catch(() => undefined); // reported by finish() or abort(), never unhandled
  }
  const stdin = child.stdin!;
  // A filter that died (EPIPE) is reported with its exit code.
  let broken = false;
  stdin.on('error', () => (broken = true));
  const writable = () => new Promise<void>((resolve) => {
    const done = () => {
      for (const event of ['drain', 'error', 'close']) stdin.off(event, done);
      resolve();
    };
    for (const event of ['drain', 'error', 'close']) stdin.once(event, done);
  });
  return {
    async write(data) {
      if (broken || proc.rc !== null) throw filterFailed(filter, await proc.exited);
      if (!stdin.write(data)) await writable();
    },
    async finish() {
      stdin.end();
      const rc = await proc.exited;
      await forwarding;
      closeFile();
      if (rc !== 0) throw filterFailed(filter, rc);
    },
    async abort() {
      child.kill();
      await proc.exited;
      await forwarding.catch(() => undefined);
      closeFile();
    },
  };
}

export interface TarInput {
  stream: AsyncIterable<Uint8Array>;
  /**
   * A filter produces it: read the stream to its end (the filter must be able to write what
   * follows the archive's end) before `finish`.
   */
  filtered: boolean;
  /** After the tar stream was read: waits for the filter and fails if it failed. */
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** Opens `path` ("-": `stdin`) for reading a tar stream, through `filter` if given. */
export async function openTarInput(path: string, stdin: NodeJS.ReadableStream | undefined, filter: string | null, options: FilterOptions = {}): Promise<TarInput> {
  if (path === '-' && stdin === undefined) throw new BorgError('Cannot read the tar stream from standard input: there is none', { code: 'Error' });
  const fd = path === '-' ? null : openFile(path, 'r');
  const source = (): NodeJS.ReadableStream => (fd !== null ? createReadStream('', { fd, autoClose: false }) : stdin!);
  const closeFile = () => {
    if (fd !== null) closeSync(fd);
  };
  if (filter === null) {
    return { stream: source() as AsyncIterable<Uint8Array>, filtered: false, finish: async () => closeFile(), abort: async () => closeFile() };
  }
  let proc: Filter;
  try {
    proc = await startFilter(filter, [fd ?? 'pipe', 'pipe', 'inherit'], options);
  } catch (e) {
    closeFile();
    throw e;
  }
  const { child } = proc;
  if (fd === null) {
    const input = source();
    child.stdin!.on('error', () => undefined); // the filter may stop reading early
    input.pipe(child.stdin!);
  }
  return {
    stream: child.stdout! as AsyncIterable<Uint8Array>,
    filtered: true,
    async finish() {
      const rc = await proc.exited;
      closeFile();
      if (rc !== 0) throw filterFailed(filter, rc);
    },
    async abort() {
      child.kill();
      await proc.exited;
      closeFile();
    },
  };
}
