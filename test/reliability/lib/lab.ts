// The workbench of the reliability runs: seeded source trees, a template repository made once with
// borg-ts (archives a1..a3 with distinct timestamps, one deleted archive whose space compact can
// free, small segments in several segment directories), and a working copy at a fixed path that
// every scenario starts from (same path, so cache and security dir stay valid across copies).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareContent, makeCorpus, type Corpus, type CorpusOptions } from './corpus.js';
import { describeResult, runBorgTs, runRealBorg, type ProcessOptions, type ProcessResult } from './processes.js';
import type { Prng } from './prng.js';
import { localTransport, type Transport } from './transport.js';
import { PASSPHRASE } from '../../interop/tools.js';

/** Small chunks and segments: many objects and commits in a short run. */
export const CHUNKER = '10,16,12,4095';

/** Archives of the template and the source each holds. */
export const TEMPLATE_ARCHIVES: Record<string, string> = { a1: 'base1', a2: 'base2', a3: 'base1' };

/**
 * The lab size of the CI tests: fewer and smaller files than the torture run's labs, so that each
 * scenario is a few seconds of work (the torture run covers the bigger corpora).
 */
export const CI_LAB = { scale: 0.4, bigFileSize: 384 * 1024 } as const;

/** Time limit of one command: far above what the lab's small operations need, so a hang ends early. */
const COMMAND_TIMEOUT_MS = 90_000;

export type RunOptions = Partial<ProcessOptions> & { cwd?: string };

export class Lab {
  readonly sources = new Map<string, Corpus>();
  readonly env: NodeJS.ProcessEnv;

  private constructor(readonly root: string, readonly transport: Transport, extraEnv: NodeJS.ProcessEnv) {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('BORG_')) env[name] = value;
    this.env = {
      ...env, HOME: root, LANG: 'C.UTF-8', BORG_BASE_DIR: this.base, BORG_PASSPHRASE: PASSPHRASE,
      BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES', ...transport.env, ...extraEnv,
    };
  }

  get run(): string {
    return join(this.root, 'run');
  }

  get repo(): string {
    return join(this.run, 'repo');
  }

  get base(): string {
    return join(this.run, 'base');
  }

  get template(): string {
    return join(this.root, 'template');
  }

  /** The repository (or one archive of it) as the transport names it. */
  loc(archive?: string): string {
    const repo = this.transport.location(this.repo);
    return archive === undefined ? repo : `${repo}::${archive}`;
  }

  sourceDir(name: string): string {
    return join(this.root, 'sources', name);
  }

  ts(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    return runBorgTs([...this.transport.borgTsOptions, ...args], { env: this.env, cwd: this.root, timeoutMs: COMMAND_TIMEOUT_MS, ...options });
  }

  borg(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    return runRealBorg([...this.transport.borgOptions, ...args], { env: this.env, cwd: this.root, timeoutMs: COMMAND_TIMEOUT_MS, ...options });
  }

  /** Runs borg-ts and fails unless it exits with one of `codes`. */
  async tsOk(args: readonly string[], options: RunOptions = {}, codes = [0]): Promise<ProcessResult> {
    const r = await this.ts(args, options);
    if (r.code === null || !codes.includes(r.code)) throw new Error(describeResult(`borg-ts ${args.join(' ')}`, r));
    return r;
  }

  /** `create` of source `source` (archived as `data/...`) with the lab's chunker. */
  createArgs(archive: string, source: string, extra: string[] = []): { args: string[]; cwd: string } {
    return { args: ['create', '--chunker-params', CHUNKER, ...extra, this.loc(archive), 'data'], cwd: this.sourceDir(source) };
  }

  addSource(name: string, rng: Prng, options: CorpusOptions): Corpus {
    const corpus = makeCorpus(join(this.sourceDir(name), 'data'), rng, options);
    this.sources.set(name, corpus);
    return corpus;
  }

  /**
   * A lab in a new temp dir below `parent`: sources base1, base2, gone and new, and the template
   * repository (`encryption` mode, default repokey-blake2; segments of `segmentSize`, default 200K).
   */
  static async create(parent: string, rng: Prng, transport: Transport, options: { encryption?: string; scale?: number; bigFileSize?: number; segmentSize?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Lab> {
    mkdirSync(parent, { recursive: true });
    // The template is made locally (over SSH it would take as long as the scenarios), then the
    // client state learns the remote location once (borg asks before using a moved repository).
    const lab = new Lab(mkdtempSync(join(parent, 'lab-')), localTransport, options.env ?? {});
    const scale = options.scale ?? 1;
    const big = options.bigFileSize !== undefined ? { bigFileSize: options.bigFileSize } : {};
    lab.addSource('base1', rng.fork(), { files: Math.round(30 * scale), bigFiles: 1, ...big });
    lab.addSource('base2', rng.fork(), { files: Math.round(30 * scale), bigFiles: 1, ...big });
    lab.addSource('gone', rng.fork(), { files: Math.round(20 * scale), bigFiles: 1, ...big });
    lab.addSource('new', rng.fork(), { files: Math.round(40 * scale), bigFiles: 2, ...big });
    mkdirSync(lab.run, { recursive: true });
    await lab.tsOk(['init', '-e', options.encryption ?? 'repokey-blake2', lab.loc()]);
    // config works on local repositories only (like borg's); the path is the same one.
    await lab.tsOk(['config', lab.repo, 'max_segment_size', options.segmentSize ?? '200K']);
    await lab.tsOk(['config', lab.repo, 'segments_per_dir', '10']);
    const months: Record<string, string> = { a1: '01', a2: '02', a3: '03', gone: '04' };
    for (const [archive, source] of [...Object.entries(TEMPLATE_ARCHIVES), ['gone', 'gone'] as const]) {
      const { args, cwd } = lab.createArgs(archive, source, ['--timestamp', `2024-${months[archive]}-01T12:00:00`]);
      await lab.tsOk(args, { cwd });
      if (archive === 'a2') {
        // A cache rebuilt by a sync has archive indexes (chunks.archive.d) too.
        await lab.tsOk(['delete', '--cache-only', lab.loc()]);
        await lab.tsOk(['info', lab.loc()]);
      }
    }
    await lab.tsOk(['delete', lab.loc('gone')]);
    const remote = transport === localTransport ? lab : lab.over(transport, options.env ?? {});
    if (remote !== lab) await remote.tsOk(['info', remote.loc()], { env: { ...remote.env, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' } });
    cpSync(remote.run, remote.template, { recursive: true, preserveTimestamps: true });
    return remote;
  }

  /** The same lab (sources, working dir) reached through `transport`. */
  private over(transport: Transport, extraEnv: NodeJS.ProcessEnv): Lab {
    const lab = new Lab(this.root, transport, extraEnv);
    for (const [name, corpus] of this.sources) lab.sources.set(name, corpus);
    return lab;
  }

  /** A fresh working copy of the template (the working dir itself stays: it may be a mount point). */
  reset(): void {
    mkdirSync(this.run, { recursive: true });
    for (const name of readdirSync(this.run)) rmSync(join(this.run, name), { recursive: true, force: true });
    cpSync(this.template, this.run, { recursive: true, preserveTimestamps: true });
  }

  /** Archive names as real borg lists them, checkpoints included. */
  async archives(): Promise<string[]> {
    const r = await this.borg(['list', '--consider-checkpoints', '--short', this.loc()]);
    if (r.code !== 0) throw new Error(describeResult('borg list', r));
    return r.stdout.split('\n').filter((line) => line !== '');
  }

  /**
   * Extracts an archive with real borg and compares it with its source; returns the problems.
   * Checkpoints and left-overs of recreate (NAME.checkpoint[.N], NAME.recreate) may hold part of
   * their source only.
   */
  async verifyArchive(archive: string, source: string, subset = false): Promise<string[]> {
    const target = mkdtempSync(join(this.root, 'extract-'));
    try {
      const r = await this.borg(['extract', this.loc(archive)], { cwd: target });
      if (r.code !== 0) return [describeResult(`borg extract ${archive}`, r)];
      return compareContent(this.sourceDir(source), target, { subset }).map((p) => `${archive}: ${p}`);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  }

  cleanup(): void {
    if (existsSync(this.root)) rmSync(this.root, { recursive: true, force: true });
  }
}
