// Hard links on extraction (spec §5.4). The first item of a hard-linked group (the master) carries
// the chunks; later ones (slaves) name the master's path in `source`. A slave is linked to the file
// extracted for its group. When a partial extract leaves the master out, the first selected slave
// gets the master's chunks and becomes the file the later slaves link to (borg's semantics).
//
// Unlike borg, a slave is only ever linked to a file this extraction made for its group: a
// `source` naming anything else (e.g. "../../etc/passwd") is refused instead of being linked.
import { isBlk, isChr, isFifo, isHardlinkSlave, isRegular, type ChunkRef, type Item } from '../item.js';

/** Regular files, fifos and devices can be hard-linked in archives (borg's hardlinkable). */
export function isHardlinkable(item: Item): boolean {
  return isRegular(item) || isFifo(item) || isChr(item) || isBlk(item);
}

/** What to do for a selected slave. */
export type SlavePlan =
  /** Link to this path (relative to the target), extracted earlier for the group. */
  | { kind: 'link'; target: string }
  /** The master was not selected: extract this slave as the group's file, with these chunks. */
  | { kind: 'extract'; chunks: ChunkRef[] | undefined; size: number | undefined }
  /** Nothing extracted for the group (unknown source, or the master failed). */
  | { kind: 'missing' };

interface Group {
  /** The master's chunks while nothing of the group is extracted (partial extracts only). */
  chunks?: ChunkRef[] | undefined;
  size?: number | undefined;
  /** Where the group's file was extracted, relative to the target. */
  extracted?: string;
}

export class HardlinkTracker {
  /** Keyed by the master's archive path, which is what slaves name in `source`. */
  readonly #groups = new Map<string, Group>();

  /** A master can have slaves unless borg recorded that it had a single link. */
  static #mayHaveSlaves(item: Item): boolean {
    return isHardlinkable(item) && !isHardlinkSlave(item) && item.hardlinkMaster !== false;
  }

  /** Every item of the archive, selected or not, in order (borg's peek_and_store_hardlink_masters). */
  observe(item: Item, selected: boolean): void {
    if (!selected && HardlinkTracker.#mayHaveSlaves(item)) this.#groups.set(item.path, { chunks: item.chunks, size: item.size });
  }

  plan(slave: Item): SlavePlan {
    const group = this.#groups.get(slave.source!);
    if (group === undefined) return { kind: 'missing' };
    if (group.extracted !== undefined) return { kind: 'link', target: group.extracted };
    return { kind: 'extract', chunks: group.chunks, size: group.size };
  }

  /** Records the file made for `item` (a master, or the slave that took its master's place). */
  extracted(item: Item, relative: string): void {
    if (isHardlinkSlave(item)) {
      const group = this.#groups.get(item.source!);
      if (group !== undefined) this.#groups.set(item.source!, { extracted: relative });
    } else if (HardlinkTracker.#mayHaveSlaves(item)) {
      this.#groups.set(item.path, { extracted: relative });
    }
  }

  /** Forgets a master that was selected but could not be extracted: its slaves must not link to an old file. */
  failed(item: Item): void {
    if (!isHardlinkSlave(item) && HardlinkTracker.#mayHaveSlaves(item)) this.#groups.delete(item.path);
  }
}
