// borg's repository/cache lock (spec §1.15), compatible on disk so that borg and borg-ts exclude
// each other: `<path>.exclusive/` (a directory holding one file named after its owner, created by an
// atomic rename) and `<path>.roster` (JSON lists of shared and exclusive owners, changed only while
// holding the directory). Owners on this host whose process is gone are removed automatically.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { LockFailed, LockTimeout, NotLocked, NotMyLock } from './errors.js';
import { processAlive, processId, type ProcessId } from './host-id.js';

const SHARED = 'shared';
const EXCLUSIVE = 'exclusive';
type RosterKey = typeof SHARED | typeof EXCLUSIVE;

/** Waits in steps of `sleep` seconds until `timeout` seconds have passed; null timeout = forever. */
class TimeoutTimer {
  private readonly end: number | null;
  private readonly sleepSeconds: number;

  constructor(timeout: number | null, sleep: number | null) {
    if (timeout !== null && timeout < 0) throw new RangeError('Lock timeout must be >= 0');
    this.sleepSeconds = sleep ?? (timeout === null ? 1 : Math.min(60, timeout / 10));
    this.end = timeout === null ? null : Date.now() + timeout * 1000;
  }

  async timedOutOrSleep(): Promise<boolean> {
    if (this.end !== null && Date.now() >= this.end) return true;
    if (this.sleepSeconds >= 0) await sleepMs(this.sleepSeconds * 1000);
    return false;
  }
}

function ownerName(id: ProcessId): string {
  return `${id[0]}.${id[1]}-${id[2].toString(16)}`;
}

/** Parses "<host>.<pid>-<thread hex>"; undefined when malformed. */
function parseOwnerName(name: string): ProcessId | undefined {
  const m = /^(.*)\.(\d+)-([0-9a-fA-F]+)$/.exec(name);
  return m ? [m[1]!, Number(m[2]), parseInt(m[3]!, 16)] : undefined;
}

export class ExclusiveLock {
  readonly path: string;
  readonly uniqueName: string;

  constructor(path: string, id: ProcessId, private readonly timeout: number | null, private readonly fileMode: number) {
    this.path = resolve(path);
    this.uniqueName = join(this.path, ownerName(id));
  }

  async acquire(): Promise<this> {
    // Build the finished lock directory beside the target, then move it into place in one step.
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(temp, { mode: 0o700 });
      writeFileSync(join(temp, basename(this.uniqueName)), '', { mode: this.fileMode });
    } catch (e) {
      throw new LockFailed(this.path, (e as Error).message);
    }
    const timer = new TimeoutTimer(this.timeout, null);
    try {
      for (;;) {
        try {
          renameSync(temp, this.path);
          return this;
        } catch {
          if (this.byMe()) return this;
          this.killStaleLock();
          if (await timer.timedOutOrSleep()) throw new LockTimeout(this.path);
        }
      }
    } finally {
      for (const undo of [() => unlinkSync(join(temp, basename(this.uniqueName))), () => rmdirSync(temp)]) {
        try {
          undo();
        } catch {
          // gone already: the rename succeeded
        }
      }
    }
  }

  release(): void {
    if (!this.isLocked()) throw new NotLocked(this.path);
    if (!this.byMe()) throw new NotMyLock(this.path);
    unlinkSync(this.uniqueName);
    try {
      rmdirSync(this.path);
    } catch (e) {
      // Someone else already put their lock in place: that is fine.
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  }

  isLocked(): boolean {
    return existsSync(this.path);
  }

  byMe(): boolean {
    return existsSync(this.uniqueName);
  }

  /** Removes owner files of dead local processes, then the directory if it became empty. */
  killStaleLock(): boolean {
    let names: string[];
    try {
      names = readdirSync(this.path);
    } catch {
      return false;
    }
    for (const name of names) {
      const owner = parseOwnerName(name);
      if (!owner || owner[1] <= 0) return false; // unknown format: leave it to a human
      if (processAlive(...owner)) return false;
      try {
        unlinkSync(join(this.path, name));
      } catch {
        return false;
      }
    }
    try {
      rmdirSync(this.path);
      return true;
    } catch {
      return false;
    }
  }

  breakLock(): void {
    if (!this.isLocked()) return;
    for (const name of readdirSync(this.path)) unlinkSync(join(this.path, name));
    rmdirSync(this.path);
  }
}

type RosterData = Partial<Record<RosterKey, [string, number, number][]>>;

/** Python's json.dumps formatting (", " and ": " separators, non-ASCII escaped), so files look alike. */
function pythonJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/("(?:[^"\\]|\\.)*")|([,:])/g, (_m, str: string | undefined, sep: string | undefined) => str ?? `${sep} `);
}

export class LockRoster {
  constructor(readonly path: string, private readonly id: ProcessId, private readonly fileMode: number) {}

  /** Reads the roster, dropping entries of dead local processes; missing or corrupt = empty. */
  load(): RosterData {
    let data: RosterData;
    try {
      data = JSON.parse(readFileSync(this.path, 'utf8')) as RosterData;
      if (typeof data !== 'object' || data === null) return {};
    } catch {
      return {};
    }
    for (const key of [SHARED, EXCLUSIVE] as const) {
      const entries = data[key];
      if (!Array.isArray(entries)) continue;
      data[key] = entries.filter((e) => Array.isArray(e) && e.length === 3 && processAlive(String(e[0]), Number(e[1]), Number(e[2])));
    }
    return data;
  }

  get(key: RosterKey): [string, number, number][] {
    return this.load()[key] ?? [];
  }

  isEmpty(): boolean {
    return this.get(SHARED).length === 0 && this.get(EXCLUSIVE).length === 0;
  }

  modify(key: RosterKey, op: 'add' | 'remove'): void {
    const data = this.load();
    const me = JSON.stringify(this.id);
    const others = (data[key] ?? []).filter((e) => JSON.stringify(e) !== me);
    data[key] = op === 'add' ? [...others, [...this.id]] : others;
    writeFileSync(this.path, pythonJson(data), { mode: this.fileMode });
  }

  remove(): void {
    try {
      unlinkSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

export interface LockOptions {
  exclusive: boolean;
  /** Seconds to wait for other lockers; null waits forever. */
  timeout: number | null;
  /** Mode for created files (after the umask). */
  fileMode?: number;
  /** Owner identity; normally this process. */
  id?: ProcessId;
}

/** A shared/exclusive lock on `path` (e.g. `<repo>/lock`). */
export class Lock {
  private exclusive: boolean;
  private readonly roster: LockRoster;
  private readonly dirLock: ExclusiveLock;
  private readonly timeout: number | null;

  constructor(readonly path: string, options: LockOptions) {
    const id = options.id ?? processId();
    const fileMode = options.fileMode ?? 0o600;
    this.exclusive = options.exclusive;
    this.timeout = options.timeout;
    this.roster = new LockRoster(`${path}.roster`, id, fileMode);
    this.dirLock = new ExclusiveLock(`${path}.exclusive`, id, options.timeout, fileMode);
  }

  get isExclusive(): boolean {
    return this.exclusive;
  }

  async acquire(options: { exclusive?: boolean; remove?: RosterKey } = {}): Promise<this> {
    const exclusive = options.exclusive ?? this.exclusive;
    if (exclusive) {
      await this.waitForReadersFinishing(options.remove);
      this.roster.modify(EXCLUSIVE, 'add');
    } else {
      await this.dirLock.acquire();
      try {
        if (options.remove) this.roster.modify(options.remove, 'remove');
        this.roster.modify(SHARED, 'add');
      } finally {
        this.dirLock.release();
      }
    }
    this.exclusive = exclusive;
    return this;
  }

  /** Takes the directory lock and keeps it once no shared lockers are left. */
  private async waitForReadersFinishing(remove: RosterKey | undefined): Promise<void> {
    const timer = new TimeoutTimer(this.timeout, 0.2);
    for (;;) {
      await this.dirLock.acquire();
      try {
        if (remove) this.roster.modify(remove, 'remove');
        if (this.roster.get(SHARED).length === 0) return;
        if (remove) this.roster.modify(remove, 'add');
      } catch (e) {
        this.dirLock.release();
        throw e;
      }
      this.dirLock.release();
      if (await timer.timedOutOrSleep()) throw new LockTimeout(this.path);
    }
  }

  async release(): Promise<void> {
    if (this.exclusive) {
      this.roster.modify(EXCLUSIVE, 'remove');
      if (this.roster.isEmpty()) this.roster.remove();
      this.dirLock.release();
    } else {
      await this.dirLock.acquire();
      try {
        this.roster.modify(SHARED, 'remove');
        if (this.roster.isEmpty()) this.roster.remove();
      } finally {
        this.dirLock.release();
      }
    }
  }

  /** Shared → exclusive. Two shared lockers upgrading at once wait for each other until the timeout. */
  async upgrade(): Promise<void> {
    if (!this.exclusive) await this.acquire({ exclusive: true, remove: SHARED });
  }

  async downgrade(): Promise<void> {
    if (this.exclusive) await this.acquire({ exclusive: false, remove: EXCLUSIVE });
  }

  gotExclusiveLock(): boolean {
    return this.exclusive && this.dirLock.isLocked() && this.dirLock.byMe();
  }

  breakLock(): void {
    this.roster.remove();
    this.dirLock.breakLock();
  }
}

/** The lock of a repository directory: `<repo>/lock.exclusive` and `<repo>/lock.roster`. */
export function repositoryLockPath(repoPath: string): string {
  return join(repoPath, 'lock');
}
