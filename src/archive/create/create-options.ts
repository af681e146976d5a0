// Everything `createArchive` can be told, with borg's defaults. The CLI maps `borg-ts create`'s
// options onto this one object; other front ends (web UI, scripts) build it directly.
import { DEFAULT_CHUNKER_PARAMS, type ChunkerParams } from '../../chunker/chunker-params.js';
import type { LogSink, ProgressSink, WarningSink } from '../../progress.js';
import type { PatternCommand } from '../patterns/index.js';

/** Where the data to back up comes from. */
export type CreateInput =
  /** `paths` are recursion roots; '-' among them reads stdin. */
  | 'paths'
  /** `paths` is a command line whose stdout is stored as one file (--content-from-command). */
  | 'content-from-command'
  /** `paths` is a command line printing the paths to store (--paths-from-command). */
  | 'paths-from-command'
  /** stdin lists the paths to store (--paths-from-stdin). */
  | 'paths-from-stdin';

export interface StdinItemOptions {
  /** Archive path of the stored stream (--stdin-name). */
  name: string;
  user: string;
  group: string;
  /** Permission bits; the file type is always "regular file". */
  mode: number;
}

export interface FilterOptions {
  /** --pattern, --exclude and friends, in command-line order. */
  patterns: readonly PatternCommand[];
  /** --exclude-caches: skip directories holding a valid CACHEDIR.TAG. */
  excludeCaches: boolean;
  /** --exclude-if-present NAME: skip directories containing NAME. */
  excludeIfPresent: readonly string[];
  /** --keep-exclude-tags: store the tag objects (and their directories) of skipped directories. */
  keepExcludeTags: boolean;
  /** --exclude-nodump: skip objects with the NODUMP flag. */
  excludeNodump: boolean;
  /** -x/--one-file-system: do not descend into other file systems (their mount points are stored). */
  oneFileSystem: boolean;
}

export interface CreateOptions extends FilterOptions {
  /** Archive name (placeholders already replaced). */
  name: string;
  /** Recursion roots, or a command line (see `input`). */
  paths: readonly string[];
  input: CreateInput;
  /** Separator of --paths-from-stdin/--paths-from-command (escapes already evaluated); default "\n". */
  pathsDelimiter: string;
  /** Provides stdin for '-' and --paths-from-stdin. */
  stdin?: NodeJS.ReadableStream;
  stdinItem: StdinItemOptions;
  comment: string;
  /** --timestamp: stored start time in microseconds since the epoch. */
  timestamp?: bigint;
  /** -C spec, e.g. "lz4", "zstd,3", "auto,lzma,6". */
  compression: string;
  chunkerParams: ChunkerParams;
  /** Stored with the archive: the command line that created it. */
  cmdline: readonly string[];
  /** Resolves relative paths for the files cache (borg hashes cwd-joined paths). */
  cwd: string;
  /** Objects never stored (cache dir, local repository dir); compared by device and inode. */
  skipPaths: readonly string[];
  numericIds: boolean;
  atime: boolean;
  noctime: boolean;
  nobirthtime: boolean;
  noflags: boolean;
  noacls: boolean;
  noxattrs: boolean;
  /** --sparse: with the fixed chunker, do not read holes (they are stored as all-zero chunks). */
  sparse: boolean;
  /** --read-special: read devices and fifos (and symlinks to them) like regular files. */
  readSpecial: boolean;
  /** Seconds between checkpoints; 0 disables them. */
  checkpointInterval: number;
  /** Chunk workers; 1 processes everything on the main thread (like borg). */
  workers: number;
  /** Estimate the total size for a percentage and ETA in progress events. */
  estimate: boolean;
  progress?: ProgressSink;
  /** Receives `--list` lines (status letter and path) in borg's order. */
  fileStatus?: (status: string, path: string) => void;
  warnings?: WarningSink;
  log?: LogSink;
  /** Aborting writes a checkpoint and ends the run (`interrupted` in the result). */
  signal?: AbortSignal;
}

export const CREATE_DEFAULTS: Omit<CreateOptions, 'name' | 'paths' | 'cmdline' | 'cwd' | 'workers'> = {
  input: 'paths', pathsDelimiter: '\n', stdinItem: { name: 'stdin', user: 'root', group: 'root', mode: 0o660 }, comment: '',
  compression: 'lz4', chunkerParams: DEFAULT_CHUNKER_PARAMS, skipPaths: [], patterns: [], excludeCaches: false,
  excludeIfPresent: [], keepExcludeTags: false, excludeNodump: false, oneFileSystem: false, numericIds: false,
  atime: false, noctime: false, nobirthtime: false, noflags: false, noacls: false, noxattrs: false, sparse: false,
  readSpecial: false, checkpointInterval: 1800, estimate: false,
};
