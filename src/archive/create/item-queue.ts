// Items leave a backup in walk order, although files finish in any order when workers read them in
// parallel. Every object the walker meets becomes an entry of this FIFO; entries are emitted from
// the head as soon as they are complete. An entry also carries what borg prints about the object
// (status letters, warnings) in borg's order, so `--list` output and warnings come out exactly as
// borg's, whatever the number of workers.
import type { WarningRecord } from '../../progress.js';
import type { ChunkRef, Item } from '../item.js';
import type { FileJob } from './file-processor.js';
import type { HardlinkGroup } from './hardlinks.js';

export type Output = { status: string; path: string } | { warning: WarningRecord };

/** Content bookkeeping of a regular file (or stdin) whose chunks are being stored. */
export interface FileContent {
  /** Chunk references in file order, as stored. */
  chunks: ChunkRef[];
  /** Bytes of the chunks so far (the offset of the next chunk in the file). */
  offset: number;
  /** Chunks before this index are referenced by part items (checkpoints). */
  partsFrom: number;
  /** Part items written so far. */
  parts: number;
}

export class QueueEntry {
  /** What is stored; null when only output remains (excluded objects, errors, status lines). */
  item: Item | null;
  readonly outputs: Output[] = [];
  /** Outputs already printed (the head's outputs are printed as soon as they exist). */
  printed = 0;
  /**
   * Outputs from this index on wait: a file's A/M status is printed once its file is open, as in
   * borg, which prints nothing but 'E' for a file it cannot open.
   */
  heldFrom = Infinity;
  /** Complete: the item (if any) can be stored. */
  ready: boolean;
  content: FileContent | null = null;
  /** Set for hard link slaves: their `source` is the group's master path, known at emission. */
  slaveOf: HardlinkGroup | null = null;
  /** A regular file's reading job (kept by slaves too, which may have to take their master's place). */
  job: FileJob | null = null;

  constructor(item: Item | null, ready: boolean) {
    this.item = item;
    this.ready = ready;
  }

  status(letter: string, path: string): this {
    this.outputs.push({ status: letter, path });
    return this;
  }

  warning(record: WarningRecord): this {
    this.outputs.push({ warning: record });
    return this;
  }
}

export class ItemQueue {
  #entries: (QueueEntry | undefined)[] = [];
  #head = 0;

  push(entry: QueueEntry): void {
    this.#entries.push(entry);
  }

  /** Entries not emitted yet. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  head(): QueueEntry | undefined {
    return this.#entries[this.#head];
  }

  shift(): QueueEntry | undefined {
    const entry = this.#entries[this.#head];
    if (entry === undefined) return undefined;
    this.#entries[this.#head++] = undefined;
    // Compact now and then, so the array does not grow with the whole backup.
    if (this.#head >= 4096 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** The waiting entries, head first. */
  *waiting(): IterableIterator<QueueEntry> {
    for (let i = this.#head; i < this.#entries.length; i++) yield this.#entries[i]!;
  }
}
