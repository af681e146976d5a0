// `extract`: the items of one archive, selected by patterns and PATHs, written below a target
// directory (or only read and verified: dry run; or their contents streamed: --stdout), with
// everything borg restores. The flow follows borg's do_extract: items in archive order, each
// directory's metadata applied once the walk has left it (its contents would change its times),
// the remaining directories deepest first at the end. Problems with single items are warnings;
// repository errors (missing or corrupted chunks) stop the extraction.
import { PercentProgress, type ProgressSink, type WarningSink } from '../../progress.js';
import { archiveItems, type ArchiveSource } from '../archive-reader.js';
import type { LoadedArchiveMeta } from '../archive-meta.js';
import { OpenPool } from '../open-pool.js';
import { removeSurrogates } from '../display-text.js';
import { isDir, isHardlinkSlave, type Item } from '../item.js';
import type { PatternMatcher } from '../patterns/index.js';
import { codecOpener, type OpenChunk } from './chunk-reader.js';
import { describeOsError, isSystemError, ItemWarning, osWarningCode } from './errors.js';
import { ExtractProgress } from './extract-progress.js';
import { HardlinkTracker } from './hardlinks.js';
import { checkContent, contentOf, ItemWriter, pumpContent, type Content, type ContentOptions } from './item-writer.js';
import { ChunkPrefetcher } from './prefetch.js';
import { ExtractTarget, extractionPath } from './safe-path.js';
import { WritePipeline } from './write-pipeline.js';

export interface ExtractOptions {
  /** Where the items go (borg: the current directory). Not used for dry runs and `output`. */
  destination?: string;
  /** Selects items by path (borg's build_matcher of patterns and PATHs); default: everything. */
  matcher?: PatternMatcher;
  /** Leading path components to remove; items with no more components are skipped. */
  stripComponents?: number;
  /** Read and verify everything, write nothing. */
  dryRun?: boolean;
  /** --stdout: file contents go here, in archive order, and nothing is written to the target. */
  output?: (data: Buffer) => void | Promise<void>;
  /** Turn all-zero chunks into holes. */
  sparse?: boolean;
  numericIds?: boolean;
  noAcls?: boolean;
  noXattrs?: boolean;
  /** Do not restore BSD flags (immutable, append-only, nodump). */
  noFlags?: boolean;
  /** Also extract the `.borg_part_N` items of checkpoints. */
  considerPartFiles?: boolean;
  /** Called with the (stripped) path of every selected item, for --list. */
  onItem?: (path: string, item: Item) => void;
  /** Percent of bytes extracted; given only when progress is wanted (it costs a pass over the items). */
  progress?: ProgressSink;
  warnings?: WarningSink;
  signal?: AbortSignal;
  /** Opens stored chunks; default: `workers` threads, or the session's codec on this thread. */
  openChunk?: OpenChunk;
  /** Threads that open (decrypt, decompress, verify) chunks; 1 (default): this thread, like borg. */
  workers?: number;
}

/** Items and chunk bytes looked at ahead of the one being extracted (so that reads run ahead). */
const LOOKAHEAD_ITEMS = 4096;
const LOOKAHEAD_BYTES = 64 << 20;

interface Upcoming {
  item: Item;
  selected: boolean;
  bytes: number;
}

export interface ExtractResult {
  /** Selected items. */
  items: number;
  /** Bytes of file content read. */
  bytes: number;
  warnings: number;
}

type Mode = 'write' | 'dry-run' | 'output';

interface PendingDir {
  item: Item;
  relative: string;
  shown: string;
}

/** borg's os.sep.join(path.split(os.sep)[count:]) (a negative count keeps the last components). */
function stripPath(path: string, count: number): string {
  return count !== 0 ? path.split('/').slice(count).join('/') : path;
}

/** Whether `relative` lies in directory `dir` (or is it). */
function isWithin(relative: string, dir: string): boolean {
  return dir === '' || relative === dir || relative.startsWith(`${dir}/`);
}

class Extraction {
  readonly #mode: Mode;
  readonly #hardlinks = new HardlinkTracker();
  readonly #writer: ItemWriter | null;
  readonly #content: ContentOptions;
  readonly #dirs: PendingDir[] = [];
  readonly #progress: ExtractProgress | null;
  #current = '';
  readonly result: ExtractResult = { items: 0, bytes: 0, warnings: 0 };

  readonly #prefetch: ChunkPrefetcher;
  /** Small files written in the background; side effects (output, warnings) stay in archive order. */
  readonly #background = new WritePipeline();

  constructor(private readonly source: ArchiveSource, private readonly options: ExtractOptions, openChunk: OpenChunk, pool?: OpenPool) {
    this.#mode = options.dryRun ? 'dry-run' : options.output !== undefined ? 'output' : 'write';
    this.#progress = options.progress !== undefined ? new ExtractProgress(options.progress) : null;
    // Workers write what they open only when files are written (not for a dry run or --stdout).
    const writes = this.#mode === 'write' && pool !== undefined;
    const chunks = { repository: source.repository, openChunk, writeFile: writes ? pool.fileWriter : undefined, writeChunkAt: writes ? pool.chunkWriter : undefined };
    this.#prefetch = new ChunkPrefetcher(chunks);
    this.#content = {
      chunks,
      prefetch: this.#prefetch,
      sparse: options.sparse ?? false,
      signal: options.signal,
      onData: (bytes) => {
        this.result.bytes += bytes;
        this.#progress?.advance(bytes, this.#current);
      },
    };
    if (this.#mode === 'write') {
      if (options.destination === undefined) throw new TypeError('extractArchive needs a destination unless dryRun or output is set');
      const target = new ExtractTarget(options.destination);
      const restore = {
        numericIds: options.numericIds ?? false, noAcls: options.noAcls ?? false,
        noXattrs: options.noXattrs ?? false, noFlags: options.noFlags ?? false,
        warn: (message: string) => this.#warn({ code: 'BorgWarning', message: `${removeSurrogates(this.#current)}: ${message}` }),
      };
      this.#writer = new ItemWriter(target, this.#hardlinks, restore, this.#content);
    } else {
      this.#writer = null;
    }
  }

  /** borg's filter: a pattern or PATH selects the item and (when stripping) something of it is left. */
  #selects(item: Item): boolean {
    const matched = this.options.matcher === undefined || this.options.matcher.match(item.path);
    const strip = this.options.stripComponents ?? 0;
    return matched && (strip === 0 || stripPath(item.path, strip) !== '');
  }

  async run(archive: LoadedArchiveMeta): Promise<ExtractResult> {
    try {
      if (this.#progress !== null) await this.#countTotal(archive);
      for await (const { item, selected } of this.#lookahead(archive)) {
        this.options.signal?.throwIfAborted();
        if (this.#background.failed) await this.#background.drain();
        this.#hardlinks.observe(item, selected);
        if (!selected) continue;
        this.result.items += 1;
        await this.#one(item, stripPath(item.path, this.options.stripComponents ?? 0));
      }
      await this.#background.drain();
    } finally {
      await this.#background.settle();
    }
    this.#progress?.finish();
    this.#restoreRemainingDirs();
    for (const pattern of this.options.matcher?.getUnmatchedIncludePatterns() ?? []) {
      this.#warn({ code: 'IncludePatternNeverMatchedWarning', message: `Include pattern '${pattern}' never matched.` });
    }
    return this.result;
  }

  #items(archive: LoadedArchiveMeta): AsyncIterable<Item> {
    return archiveItems(this.source, archive, { considerPartFiles: this.options.considerPartFiles ?? false });
  }

  /**
   * The items with their selection, read ahead: the chunks of selected items with content are
   * planned for prefetching as they enter the window (in archive order, so plans match the order
   * in which the items are extracted).
   */
  async *#lookahead(archive: LoadedArchiveMeta): AsyncGenerator<Upcoming> {
    const items = this.#items(archive)[Symbol.asyncIterator]();
    const window: Upcoming[] = [];
    let windowBytes = 0;
    let done = false;
    try {
      for (;;) {
        while (!done && window.length < LOOKAHEAD_ITEMS && windowBytes < LOOKAHEAD_BYTES) {
          const next = await items.next();
          if (next.done) {
            done = true;
            break;
          }
          const item = next.value;
          const selected = this.#selects(item);
          let bytes = 0;
          if (selected && item.chunks !== undefined && item.chunks.length > 0) {
            this.#prefetch.plan(item.chunks, this.#writer?.fetchesRaw(item) ?? false);
            for (const chunk of item.chunks) bytes += chunk.size;
          }
          window.push({ item, selected, bytes });
          windowBytes += bytes;
        }
        const head = window.shift();
        if (head === undefined) return;
        windowBytes -= head.bytes;
        yield head;
      }
    } finally {
      if (!done) await items.return?.();
    }
  }

  async #one(item: Item, path: string): Promise<void> {
    let relative: string | null = null;
    let refusal: unknown = null;
    try {
      relative = extractionPath(path);
    } catch (error) {
      refusal = error;
    }
    const free = relative !== null && this.#mode === 'write' && !this.#background.conflicts(relative);
    const background = free ? this.#writer!.backgroundBytes(item, relative!) : null;
    // A directory is made while the files before it are still being written (nothing of it depends
    // on them; the times of directories left are restored after their files, see #leaveDirsOutside).
    // Everything else depends on the files written so far.
    const alongside = background !== null || (free && isDir(item));
    if (!alongside) await this.#background.drain();
    if (relative !== null && this.#mode === 'write') this.#leaveDirsOutside(relative);
    this.#background.emit(() => this.options.onItem?.(path, item));
    this.#current = path;
    try {
      if (refusal !== null) throw refusal;
      if (background !== null) {
        await this.#background.room(background);
        const { written } = await this.#writer!.startFile(item, relative!);
        this.#background.add(relative!, background, written, (error) => {
          if (error !== undefined) this.#report(item.path, error);
        });
      } else if (this.#mode === 'write') {
        await this.#writer!.write(item, relative!);
        if (isDir(item)) this.#dirs.push({ item, relative: relative!, shown: path });
      } else {
        await this.#readOnly(item);
      }
    } catch (error) {
      // Reported in order, after the files before it.
      if (alongside) await this.#background.drain();
      this.#report(item.path, error);
    }
  }

  /** Dry run and --stdout: read (and verify) the contents, nothing else. */
  async #readOnly(item: Item): Promise<void> {
    let content: Content | null = contentOf(item);
    if (isHardlinkSlave(item)) {
      const plan = this.#hardlinks.plan(item);
      content = plan.kind === 'extract' && plan.chunks !== undefined ? { chunks: plan.chunks, size: plan.size, damaged: false } : null;
    }
    if (content === null) return;
    const output = this.#mode === 'output' ? this.options.output! : () => undefined;
    const size = await pumpContent(content, this.#content, output);
    this.#hardlinks.extracted(item, item.path);
    checkContent(content, size);
  }

  /**
   * borg restores a directory's metadata as soon as an item outside it comes: here once the files
   * before that item (those inside it among them) are written, in order with their output.
   */
  #leaveDirsOutside(relative: string): void {
    while (this.#dirs.length > 0 && !isWithin(relative, this.#dirs[this.#dirs.length - 1]!.relative)) {
      const dir = this.#dirs.pop()!;
      this.#background.emit(() => {
        // Warnings name the directory; then the item being extracted is current again.
        const current = this.#current;
        this.#restoreDir(dir);
        this.#current = current;
      });
    }
  }

  #restoreRemainingDirs(): void {
    if (this.#dirs.length === 0) return;
    const progress = this.options.progress !== undefined
      ? new PercentProgress(this.options.progress, { total: this.#dirs.length, msgid: 'extract.permissions', format: (p) => `Setting directory permissions ${p.toFixed(0).padStart(3)}%` })
      : null;
    while (this.#dirs.length > 0) {
      progress?.show();
      this.#restoreDir(this.#dirs.pop()!);
    }
    progress?.finish();
  }

  #restoreDir(dir: PendingDir): void {
    this.#current = dir.shown;
    try {
      this.#writer!.restoreDirectory(dir.item, dir.relative);
    } catch (error) {
      this.#report(dir.shown, error);
    }
  }

  #report(path: string, error: unknown): void {
    if (error instanceof ItemWarning) this.#warn({ code: error.code, message: `${removeSurrogates(path)}: ${error.message}` });
    else if (isSystemError(error)) this.#warn({ code: osWarningCode(error), message: `${removeSurrogates(path)}: ${describeOsError(error)}` });
    else throw error;
  }

  #warn(warning: { code: string; message: string }): void {
    this.result.warnings += 1;
    this.options.warnings?.warn(warning);
  }

  /** The first pass of --progress: the bytes the second pass will read. */
  async #countTotal(archive: LoadedArchiveMeta): Promise<void> {
    this.#progress!.announce('Calculating total archive size for the progress indicator (might take long for large archives)');
    const groups = new HardlinkTracker();
    let total = 0;
    for await (const item of this.#items(archive)) {
      this.options.signal?.throwIfAborted();
      const selected = this.#selects(item);
      groups.observe(item, selected);
      if (!selected) continue;
      let chunks = item.chunks;
      if (isHardlinkSlave(item)) {
        const plan = groups.plan(item);
        chunks = plan.kind === 'extract' ? plan.chunks : undefined;
      }
      for (const chunk of chunks ?? []) total += chunk.size;
      groups.extracted(item, item.path);
    }
    this.#progress!.total = total;
  }
}

/**
 * Extracts `archive` (opened with openArchive) from `source` (a RepositorySession). Returns
 * counts; each warning also goes to `options.warnings`.
 */
export async function extractArchive(source: ArchiveSource, archive: LoadedArchiveMeta, options: ExtractOptions = {}): Promise<ExtractResult> {
  const pool = options.openChunk === undefined && (options.workers ?? 1) > 1 ? new OpenPool(source.key, options.workers!) : null;
  const openChunk = options.openChunk ?? pool?.opener ?? codecOpener(source.codec);
  try {
    return await new Extraction(source, options, openChunk, pool ?? undefined).run(archive);
  } finally {
    await pool?.close();
  }
}
