// Hard links (spec §5.4): the first occurrence of an inode with more than one link, in walk order,
// is the master and carries the content; later ones are slaves whose `source` names the master.
//
// borg remembers a master only once it was stored. Here a regular file's master is registered when
// the walker meets it, before its content is read (possibly in parallel with later entries); if
// reading it fails, the first slave still waiting becomes the master and is read instead, and the
// other slaves follow it — the same outcome as borg's.
import type { QueueEntry } from './item-queue.js';

const S_IFMT = 0o170000;
const HARDLINKABLE = new Set([0o100000, 0o060000, 0o020000, 0o010000]); // regular, block, char, fifo

export function hardlinkable(mode: number): boolean {
  return HARDLINKABLE.has(mode & S_IFMT);
}

export interface HardlinkGroup {
  /** Archive path of the current master. */
  masterPath: string;
  /** The master's entry while its content is pending; null once stored. */
  master: QueueEntry | null;
  /** The master could not be stored: the next slave must take its place. */
  failed: boolean;
}

export class Hardlinks {
  readonly #groups = new Map<string, HardlinkGroup>();

  static key(dev: bigint, ino: bigint): string {
    return `${dev}:${ino}`;
  }

  get(dev: bigint, ino: bigint): HardlinkGroup | undefined {
    return this.#groups.get(Hardlinks.key(dev, ino));
  }

  /** Registers `entry` (archive path `path`) as the master of its inode. */
  addMaster(dev: bigint, ino: bigint, path: string, entry: QueueEntry | null): HardlinkGroup {
    const group: HardlinkGroup = { masterPath: path, master: entry, failed: false };
    this.#groups.set(Hardlinks.key(dev, ino), group);
    return group;
  }
}
