// The statistics of a backup, kept the way borg 1.2.4 keeps them, so that `--stats`, `--json` and
// the totals stored in the archive metadata (which `borg info` shows) come out as borg's would.
//
// borg counts in two objects: file contents (every chunk reference of a file, files, part files)
// in one, the item stream and archive metadata objects in the other. Checkpoint archives store the
// second one only (so their size is the metadata they hold, and nfiles 0). At the end borg adds the
// two into a new object *before* its final flush of the item stream: the chunks of that flush are
// counted in the old object and drop out; the final archive's metadata object is counted in the sum.
import { Statistics } from '../../cache/cache-stats.js';

export class CreateStats {
  /** File contents: what borg's FilesystemObjectProcessors count (also shown by --progress). */
  readonly files = new Statistics();
  /** Item-stream chunks and checkpoint metadata objects (borg's archive.stats during the run). */
  readonly items = new Statistics();

  /** The object the final archive's totals come from (borg's `archive.stats += fso.stats`). */
  combined(): Statistics {
    return this.items.plus(this.files);
  }
}
