// The repository half of `borg check` (spec §5.7): read every committed segment with all CRC checks,
// rebuild index and hints from them and compare with the committed index. With repair, damaged
// segments are salvaged, a missing final COMMIT is added and the rebuilt index is written. A partial
// check (maxDuration) only verifies segments and remembers where it stopped in the config.
import { PercentProgress, type ProgressSink } from '../progress.js';
import type { IniFile } from './ini.js';
import { SECTION } from './config.js';
import { IntegrityError, RepositoryAppendOnly } from './errors.js';
import { indexTransactionId } from './index-files.js';
import { parseIniInt } from './ini.js';
import { updateIndex } from './replay.js';
import { TAG_COMMIT, type SegmentEntry } from './segment-format.js';
import { recoverSegment } from './segment-recovery.js';
import type { Transactions } from './transaction.js';

export interface CheckFinding {
  level: 'error' | 'warning' | 'info';
  message: string;
}

export interface CheckOptions {
  repair?: boolean;
  /** Seconds; non-zero makes a partial check that resumes where the previous one stopped. */
  maxDuration?: number;
  onFinding?: (finding: CheckFinding) => void;
  /** "Checking segments N.N%" (borg's repository.check); a server forwards it as records. */
  progress?: ProgressSink;
  /**
   * Reads and CRC-checks whole segments elsewhere (worker threads), with the same findings as
   * reading them here; used by a full check without repair.
   */
  segmentScanner?: SegmentScanner;
}

/** A segment's entries as columns (ids 32 bytes each), or the message of its first damage. */
export interface ScannedSegment {
  tags: Uint8Array;
  ids: Uint8Array;
  offsets: Float64Array;
  sizes: Float64Array;
  error: string | null;
}

export type SegmentScanner = (segment: number, path: string, size: number) => Promise<ScannedSegment>;

/** Segments a scanner reads ahead of the one the index is being rebuilt from. */
const SCAN_AHEAD = 4;

function* scannedEntries(scan: ScannedSegment): Iterable<SegmentEntry> {
  for (let i = 0; i < scan.tags.length; i++) {
    const tag = scan.tags[i]! as SegmentEntry['tag'];
    const id = tag === TAG_COMMIT ? undefined : Buffer.from(scan.ids.buffer, scan.ids.byteOffset + 32 * i, 32);
    yield { tag, id, offset: scan.offsets[i]!, size: scan.sizes[i]! };
  }
}

export interface CheckEnvironment {
  txn: Transactions;
  ini: IniFile;
  saveConfig: () => void;
  /** Without repair, after a full check: the segments whose every entry passed the CRC check. */
  onCrcVerified?: (segments: number[]) => void;
}

async function collect(it: AsyncIterable<SegmentEntry>): Promise<SegmentEntry[]> {
  const out: SegmentEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Returns true if no problem was found (or everything found was repaired). */
export async function checkRepository(env: CheckEnvironment, options: CheckOptions = {}): Promise<boolean> {
  const { txn, ini } = env;
  const { ctx } = txn;
  const repair = options.repair ?? false;
  const maxDuration = options.maxDuration ?? 0;
  if (ctx.settings.appendOnly && repair) throw new RepositoryAppendOnly(ctx.path, 'repair');
  if (txn.active) throw new Error('Cannot check a repository during a transaction');
  const say = (level: CheckFinding['level'], message: string): void => options.onFinding?.({ level, message });
  let errorFound = false;
  const report = (message: string): void => {
    errorFound = true;
    say('error', message);
  };

  let tid: number | undefined;
  let currentIndex = null;
  try {
    tid = await txn.transactionId();
    currentIndex = await txn.openIndex(tid);
  } catch (e) {
    say('info', `Failed to read the committed index: ${(e as Error).message}`);
    tid = await ctx.reader.segmentsTransactionId();
  }
  tid ??= indexTransactionId(ctx.path) ?? ctx.paths.latest();
  if (tid === undefined) {
    report('This repository contains no valid data.');
    return false;
  }
  if (repair) await ctx.writer.cleanup(tid);
  const segmentsTid = await ctx.reader.segmentsTransactionId();
  await txn.prepare(undefined, { cleanup: false }); // empty index and hints, rebuilt below
  const state = { index: txn.index!, hints: txn.hints, paths: ctx.paths, reader: ctx.reader };

  const partial = maxDuration > 0;
  if (repair && partial) throw new RangeError('Cannot repair during a partial check');
  let lastChecked = -1;
  const stored = ini.get(SECTION, 'last_segment_checked');
  if (partial && stored !== undefined) lastChecked = parseIniInt(stored);
  if (!partial) {
    ini.delete(SECTION, 'last_segment_checked');
    env.saveConfig();
  }
  const deadline = performance.now() + maxDuration * 1000;
  let finished = true;
  const segments = [...ctx.paths.list()];
  const crcVerified: number[] = [];
  const progress = options.progress === undefined ? null : new PercentProgress(options.progress, {
    total: segments.length, msgid: 'repository.check', step: 0.1,
    format: (percent) => `Checking segments ${percent.toFixed(1).padStart(3)}%`,
  });
  const scanner = !repair && !partial ? options.segmentScanner : undefined;
  const toScan = scanner === undefined ? [] : segments.filter((segment) => segment <= tid!);
  const scans: Promise<ScannedSegment>[] = [];
  const scanAhead = (upTo: number): void => {
    while (scans.length < Math.min(upTo, toScan.length)) {
      const segment = toScan[scans.length]!;
      // Errors (a vanished file) are raised when the segment's turn comes, as reading it here would.
      const scan = (async () => scanner!(segment, ctx.paths.filename(segment), ctx.paths.size(segment)))();
      scan.catch(() => undefined);
      scans.push(scan);
    }
  };
  let scanned = 0;
  for (const [i, segment] of segments.entries()) {
    progress?.show(i);
    if (segment <= lastChecked || segment > tid) continue;
    let entries: Iterable<SegmentEntry>;
    if (scanner !== undefined) {
      scanAhead(scanned + 1 + SCAN_AHEAD);
      const scan = await scans[scanned++]!;
      if (scan.error === null) {
        entries = scannedEntries(scan);
        crcVerified.push(segment);
      } else {
        report(scan.error);
        entries = [];
      }
      await updateIndex(state, segment, entries, report);
      continue;
    }
    try {
      entries = await collect(ctx.reader.iterObjects(segment));
      crcVerified.push(segment);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      report(e.message);
      entries = [];
      if (repair) {
        await recoverSegment(ctx.paths, ctx.reader, segment, ctx.fileMode);
        entries = await collect(ctx.reader.iterObjects(segment));
      }
    }
    if (!partial) await updateIndex(state, segment, entries, report);
    if (partial && performance.now() > deadline) {
      say('info', `Finished partial segment check, last segment checked is ${segment}`);
      ini.set(SECTION, 'last_segment_checked', String(segment));
      env.saveConfig();
      finished = false;
      break;
    }
  }
  progress?.finish();
  if (!partial && !repair) env.onCrcVerified?.(crcVerified);
  if (finished && partial) {
    ini.delete(SECTION, 'last_segment_checked');
    env.saveConfig();
  }

  if (repair && segmentsTid === undefined) {
    report(`Adding commit tag to segment ${tid}`);
    ctx.writer.segment = tid + 1;
    await ctx.writer.writeCommit();
  }
  if (!partial) {
    if (currentIndex && !repair) compareIndexes(currentIndex, state.index, report, say);
    if (repair) await txn.writeIndex();
  }
  await txn.rollback();
  return !errorFound || repair;
}

type Index = NonNullable<Transactions['index']>;

/**
 * A different object count is an error; differing positions are listed as warnings (as borg does).
 * Walks the buckets in place: a check of a big repository compares millions of entries, and only
 * mismatches need an id as text.
 */
function compareIndexes(committed: Index, rebuilt: Index, report: (m: string) => void, say: (l: CheckFinding['level'], m: string) => void): void {
  if (committed.count !== rebuilt.count) {
    report(`Index object count mismatch: committed index ${committed.count} objects, rebuilt index ${rebuilt.count} objects`);
  }
  const fmt = (v: { segment: number; offset: number } | undefined): string => (v ? `(${v.segment}, ${v.offset})` : '<not found>');
  const at = (index: Index, slot: number) => ({ segment: index.table.readWord(slot, 0), offset: index.table.readWord(slot, 1) });
  const mismatches = (from: Index, to: Index, describe: (id: Buffer, here: { segment: number; offset: number }, there: number) => string, onlyMissing: boolean): void => {
    const table = from.table;
    for (let slot = table.nextUsedSlot(0); slot >= 0; slot = table.nextUsedSlot(slot + 1)) {
      const there = to.table.find(table.keyView(slot));
      if (there >= 0 && (onlyMissing || (to.table.readWord(there, 0) === table.readWord(slot, 0) && to.table.readWord(there, 1) === table.readWord(slot, 1)))) continue;
      say('warning', describe(table.keyAt(slot), at(from, slot), there));
    }
  };
  mismatches(rebuilt, committed, (id, here, there) => `ID: ${id.toString('hex')} rebuilt index: ${fmt(here)} committed index: ${fmt(there >= 0 ? at(committed, there) : undefined)}`, false);
  mismatches(committed, rebuilt, (id, here) => `ID: ${id.toString('hex')} rebuilt index: <not found> committed index: ${fmt(here)}`, true);
}
