// Turning one file system object into an item, by type (borg's _process_any and
// FilesystemObjectProcessors): directories, symlinks, fifos and devices are stored from their
// metadata at once; regular files (and, with --read-special, devices and fifos) go to the file
// processor; sockets are skipped. The dry-run handler decides nothing and stores nothing.
import { readlinkSync, statSync } from 'node:fs';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import type { Item } from '../item.js';
import { backupIo } from './backup-errors.js';
import type { CreateRun } from './create-run.js';
import { safePath } from './file-processor.js';
import { hardlinkable } from './hardlinks.js';
import { QueueEntry } from './item-queue.js';
import type { WarningRecord } from '../../progress.js';
import type { StatInfo } from '../../platform/dir-scan.js';

const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFBLK = 0o060000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

/** What the walker and the --paths-from inputs hand each object to. */
export interface ObjectHandler {
  /**
   * Stores a non-directory (borg's _process_any); returns the status to print after it, or null
   * (skipped sockets, or files whose status is printed with their queue entry).
   */
  processAny(path: string, fsPath: string | Buffer, name: string, st: StatInfo): Promise<string | null>;
  /** Stores a directory's own item; returns its status. */
  processDir(path: string, fsPath: string | Buffer, st: StatInfo): string;
  /** A status line (`--list`) in walk order. */
  line(status: string, path: string): void;
  warning(record: WarningRecord): void;
  /** Waits until the next object may be processed; false once the backup was interrupted. */
  ready(): Promise<boolean>;
}

function type(st: StatInfo): number {
  return Number(st.mode) & S_IFMT;
}

/** Devices and fifos, which --read-special reads like files. */
function isSpecial(mode: number): boolean {
  const t = mode & S_IFMT;
  return t === S_IFBLK || t === S_IFCHR || t === S_IFIFO;
}

export class FsObjects implements ObjectHandler {
  constructor(private readonly run: CreateRun) {}

  async processAny(path: string, fsPath: string | Buffer, name: string, st: StatInfo): Promise<string | null> {
    const run = this.run;
    const readSpecial = run.options.readSpecial;
    switch (type(st)) {
      case S_IFREG:
        return run.files.process(path, fsPath, name, st, false, false);
      case S_IFDIR:
        return this.processDir(path, fsPath, st);
      case S_IFLNK: {
        if (readSpecial) {
          let target: StatInfo | null = null;
          try {
            target = statSync(fsPath, { bigint: true });
          } catch {
            target = null;
          }
          if (target !== null && isSpecial(Number(target.mode))) return run.files.process(path, fsPath, name, target, true, true);
        }
        return this.#symlink(path, fsPath, st);
      }
      case S_IFIFO:
        if (readSpecial) return run.files.process(path, fsPath, name, st, true, false);
        return this.#special(path, fsPath, st, 'f');
      case S_IFCHR:
        if (readSpecial) return run.files.process(path, fsPath, name, st, true, false);
        return this.#special(path, fsPath, st, 'c');
      case S_IFBLK:
        if (readSpecial) return run.files.process(path, fsPath, name, st, true, false);
        return this.#special(path, fsPath, st, 'b');
      case S_IFSOCK:
        return null; // like borg: sockets cannot be restored, so they are not stored
      default:
        this.warning({ code: 'BorgWarning', message: `Unknown file type: ${path}` });
        return null;
    }
  }

  processDir(path: string, fsPath: string | Buffer, st: StatInfo): string {
    this.#store(path, fsPath, st);
    return 'd';
  }

  #symlink(path: string, fsPath: string | Buffer, st: StatInfo): string {
    const target = backupIo('readlink', undefined, () => readlinkSync(fsPath, { encoding: 'buffer' }));
    this.#store(path, fsPath, st, (item) => {
      item.source = decodeFsBytes(target);
    });
    return 's';
  }

  /** Fifos and devices: metadata (and rdev) only; hard links among them are kept. */
  #special(path: string, fsPath: string | Buffer, st: StatInfo, status: string): string {
    const run = this.run;
    const hardlinked = hardlinkable(Number(st.mode)) && st.nlink > 1n;
    const group = hardlinked ? run.hardlinks.get(st.dev, st.ino) : undefined;
    const item = this.#store(path, fsPath, st, (it) => {
      if (type(st) !== S_IFIFO) it.rdev = Number(st.rdev);
      if (group !== undefined) it.source = group.masterPath;
      else it.hardlinkMaster = hardlinked;
    });
    if (group !== undefined) return 'h';
    if (hardlinked) run.hardlinks.addMaster(st.dev, st.ino, item.path, null);
    return status;
  }

  /** Builds and queues an item from the object's metadata. */
  #store(path: string, fsPath: string | Buffer, st: StatInfo, fill?: (item: Item) => void): Item {
    const run = this.run;
    const item: Item = { path: safePath(path), mode: 0, mtime: 0n };
    fill?.(item);
    run.metadata.simpleAttrs(st, item);
    run.metadata.extAttrs(fsPath, st, item, (m) => run.warnText(m), path);
    run.push(new QueueEntry(item, true));
    run.progress.show(run.stats.files, path);
    return item;
  }

  line(status: string, path: string): void {
    this.run.push(new QueueEntry(null, true).status(status, path));
  }

  warning(record: WarningRecord): void {
    this.run.push(new QueueEntry(null, true).warning(record));
  }

  ready(): Promise<boolean> {
    return this.run.room();
  }
}

/** --dry-run: every object is reported with '-', nothing is read or stored. */
export class DryRunObjects implements ObjectHandler {
  constructor(private readonly print: (status: string, path: string) => void, private readonly warn: (record: WarningRecord) => void) {}

  async processAny(): Promise<string> {
    return '-';
  }

  processDir(): string {
    return '-';
  }

  line(status: string, path: string): void {
    this.print(status, path);
  }

  warning(record: WarningRecord): void {
    this.warn(record);
  }

  async ready(): Promise<boolean> {
    return true;
  }
}
