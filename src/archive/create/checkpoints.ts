// Saving the archive: checkpoints while the backup runs, and the final save (spec §5.3, §5.6).
//
// A checkpoint is a complete archive named NAME.checkpoint (NAME.checkpoint.N if taken) of
// everything stored so far: files whose content is still being stored get part items
// (`path.borg_part_N`, `part: N`) for the chunks stored since their last part, so that no chunk is
// committed without an archive referencing it. After the commit the checkpoint is dropped from the
// in-memory manifest and its metadata object released, so the next commit replaces it; a crash
// leaves it behind for the next run. The part items stay in the item stream: the final archive has
// them too (readers hide them), and each such file's chunks are referenced once more by its
// complete item.
import { MAX_DATA_SIZE } from '../../chunker/index.js';
import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import { saveArchive, type SavedArchive } from '../archive-writer.js';
import type { Item } from '../item.js';
import type { RepositorySession } from '../repository-session.js';
import { nowMicros } from '../timestamps.js';
import type { CreateOptions } from './create-options.js';
import type { CreateStats } from './create-stats.js';
import type { ItemBuffer } from './item-buffer.js';
import type { ItemQueue, QueueEntry } from './item-queue.js';
import type { ObjectStore } from './object-store.js';

/** The first of NAME.checkpoint, NAME.checkpoint.1, ... not in the manifest. */
export function checkpointName(name: string, taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    const candidate = `${name}.checkpoint${i ? `.${i}` : ''}`;
    if (!taken(candidate)) return candidate;
  }
}

/** The part item for `entry`'s chunks stored since its last part; null when there are none. */
export function partItem(entry: QueueEntry): Item | null {
  const content = entry.content;
  if (entry.item === null || content === null || content.chunks.length <= content.partsFrom) return null;
  const chunks = content.chunks.slice(content.partsFrom);
  content.partsFrom = content.chunks.length;
  content.parts += 1;
  const item: Item = { ...entry.item, path: `${entry.item.path}.borg_part_${content.parts}`, part: content.parts, chunks };
  item.size = chunks.reduce((sum, c) => sum + c.size, 0);
  return item;
}

export interface SaveResult {
  saved: SavedArchive;
  /** Microseconds since the epoch, as stored (after --timestamp). */
  start: bigint;
  end: bigint;
  /** Seconds the backup took. */
  duration: number;
  /** csize of the metadata object / largest object: how close the archive is to borg's size limit. */
  maxArchiveSize: number;
}

export class ArchiveSaver {
  readonly checkpointName: string;
  readonly #startedAt = performance.now();
  #lastCheckpoint = performance.now();

  constructor(
    private readonly session: RepositorySession,
    private readonly cache: ChunkCache,
    private readonly store: ObjectStore,
    private readonly items: ItemBuffer,
    private readonly stats: CreateStats,
    private readonly options: Pick<CreateOptions, 'name' | 'cmdline' | 'comment' | 'timestamp' | 'chunkerParams' | 'checkpointInterval'>,
  ) {
    this.checkpointName = checkpointName(options.name, (n) => session.manifest.archives.has(n));
  }

  /** Whether --checkpoint-interval has passed since the start or the last checkpoint. */
  checkpointDue(): boolean {
    const interval = this.options.checkpointInterval;
    return interval > 0 && performance.now() - this.#lastCheckpoint > interval * 1000;
  }

  /** Writes a checkpoint covering everything stored so far. Call with the writer lock held. */
  async checkpoint(queue: ItemQueue): Promise<void> {
    for (const entry of queue.waiting()) {
      const part = partItem(entry);
      if (part !== null) await this.items.add(part, this.stats.items);
    }
    // borg saves checkpoints with the item-stream statistics only (see create-stats.ts).
    await this.items.flush(this.stats.items);
    const result = await this.#save(this.checkpointName, this.stats.items, { comment: '' });
    this.session.manifest.archives.delete(this.checkpointName);
    await this.store.release(result.saved.id, this.stats.items);
    this.#lastCheckpoint = performance.now();
  }

  /** Saves the final archive; returns it with the statistics borg reports for it. */
  async final(): Promise<{ result: SaveResult; stats: Statistics }> {
    const stats = this.stats.combined();
    // The last flush is counted in the item-stream object, which no longer takes part (borg 1.2.4).
    await this.items.flush(this.stats.items);
    const result = await this.#save(this.options.name, stats, { comment: this.options.comment, timestamp: this.options.timestamp });
    return { result, stats };
  }

  async #save(name: string, stats: Statistics, extra: { comment: string; timestamp?: bigint | undefined }): Promise<SaveResult> {
    const durationMicros = BigInt(Math.round((performance.now() - this.#startedAt) * 1000));
    const end = nowMicros();
    const start = end - durationMicros;
    const raw = stats.asRawDict();
    const saved = await saveArchive(this.session, { storeChunk: (data) => this.store.storeData(data, stats) }, {
      name, items: [...this.items.chunks], cmdline: [...this.options.cmdline], start, end,
      ...(extra.timestamp !== undefined ? { timestamp: extra.timestamp } : {}),
      comment: extra.comment, chunkerParams: this.options.chunkerParams,
      totals: { size: raw.size, csize: raw.csize, nfiles: raw.nfiles, sizeParts: raw.size_parts, csizeParts: raw.csize_parts, nfilesParts: raw.nfiles_parts },
    });
    await this.session.commit();
    await this.cache.commit();
    const storedStart = extra.timestamp ?? start;
    return {
      saved, start: storedStart, end: storedStart + durationMicros, duration: Number(durationMicros) / 1e6,
      maxArchiveSize: saved.ref.csize / MAX_DATA_SIZE,
    };
  }
}
