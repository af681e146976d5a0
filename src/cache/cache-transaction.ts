// The client cache's transaction (spec §7.1), as borg's LocalCache keeps it: before the first
// change, copies of `config`, `chunks` and the files cache go to `txn.tmp/`, which is then renamed
// to `txn.active/`. Commit writes the new files and drops the copies (`txn.active` -> `txn.tmp`,
// removed); rollback — also at the next open after a crash — copies them back. Either way the
// three files always describe one state the cache really had, and borg recovers ours and we its.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncDir } from '../platform/save-file.js';
import { MessageProgress, type ProgressSink } from '../progress.js';

export class CacheTransaction {
  #active = false;

  /** `filesName` is the files cache's current name (`files` or `files.<suffix>`). */
  constructor(readonly dir: string, private readonly filesName: string, private readonly progress: ProgressSink) {}

  get active(): boolean {
    return this.#active;
  }

  begin(): void {
    const pi = new MessageProgress(this.progress, 'cache.begin_transaction');
    const tmp = join(this.dir, 'txn.tmp');
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    pi.show('Initializing cache transaction: Reading config');
    copyFileSync(join(this.dir, 'config'), join(tmp, 'config'));
    pi.show('Initializing cache transaction: Reading chunks');
    copyFileSync(join(this.dir, 'chunks'), join(tmp, 'chunks'));
    pi.show('Initializing cache transaction: Reading files');
    const files = join(this.dir, this.filesName);
    if (existsSync(files)) copyFileSync(files, join(tmp, this.filesName));
    else writeFileSync(join(tmp, this.filesName), new Uint8Array(0));
    syncDir(tmp);
    renameSync(tmp, join(this.dir, 'txn.active'));
    syncDir(this.dir);
    this.#active = true;
    pi.finish();
  }

  /** Call once the new config, chunks and files are in place. */
  finish(): void {
    const tmp = join(this.dir, 'txn.tmp');
    renameSync(join(this.dir, 'txn.active'), tmp);
    syncDir(this.dir);
    rmSync(tmp, { recursive: true, force: true });
    this.#active = false;
  }

  /** Drops a half-made backup and restores the files of an unfinished transaction. */
  rollback(): void {
    const tmp = join(this.dir, 'txn.tmp');
    const active = join(this.dir, 'txn.active');
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(active)) {
      const names = ['config', 'chunks'];
      const files = readdirSync(active).find((n) => n === 'files' || n.startsWith('files.'));
      if (files !== undefined) names.push(files);
      for (const name of names) copyFileSync(join(active, name), join(this.dir, name));
      syncDir(this.dir);
      renameSync(active, tmp);
      rmSync(tmp, { recursive: true, force: true });
    }
    this.#active = false;
  }
}
