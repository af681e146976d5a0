// The prune policy (spec §8.5) as a pure function: which archives the --keep-* rules keep, and why.
// Nothing here touches a repository; prune-archives.ts carries out a plan, and `--dry-run` simply
// does not. The result must equal borg 1.2's choice archive for archive, because users compare the
// `--list` output of both and scripts depend on what survives.
//
// Periods are taken in local time (the process's TZ, or an explicit IANA zone), from the start
// time in whole seconds, like borg's to_localtime(). Checkpoints never count for any rule: only the
// newest one survives, and only while no complete archive is newer.

import { BorgError } from '../../errors.js';
import type { ArchiveEntry } from '../manifest.js';
import { strftime, type BrokenDownTime } from '../strftime.js';
import { parseUtcIso } from '../timestamps.js';

/** How many archives each rule keeps (0 or absent: rule off; negative: no limit). */
export interface PruneRules {
  /** --keep-within, in hours (see parseInterval). */
  keepWithin?: number | undefined;
  /** --keep-last is another name for --keep-secondly. */
  keepLast?: number | undefined;
  keepSecondly?: number | undefined;
  keepMinutely?: number | undefined;
  keepHourly?: number | undefined;
  keepDaily?: number | undefined;
  keepWeekly?: number | undefined;
  keepMonthly?: number | undefined;
  keepYearly?: number | undefined;
}

export interface PrunePolicyOptions extends PruneRules {
  /** The reference time of --keep-within (default: now). */
  now?: Date | undefined;
  /** IANA zone for the period boundaries; default: the process's local time zone (TZ). */
  timezone?: string | undefined;
}

/** The rules with a period, in the order they are applied, and the strftime key of each period. */
export const PERIOD_RULES = [
  ['secondly', '%Y-%m-%d %H:%M:%S'],
  ['minutely', '%Y-%m-%d %H:%M'],
  ['hourly', '%Y-%m-%d %H'],
  ['daily', '%Y-%m-%d'],
  ['weekly', '%G-%V'],
  ['monthly', '%Y-%m'],
  ['yearly', '%Y'],
] as const;

export type PeriodRule = (typeof PERIOD_RULES)[number][0];

export type PruneDecision =
  /** Kept by `rule` ("within", "daily", "monthly[oldest]"...), as its `number`-th archive. */
  | { archive: ArchiveEntry; action: 'keep'; checkpoint: false; rule: string; number: number }
  /** The newest checkpoint, kept because no complete archive is newer. */
  | { archive: ArchiveEntry; action: 'keep'; checkpoint: true }
  | { archive: ArchiveEntry; action: 'prune'; checkpoint: boolean };

export interface PrunePlan {
  /** One decision per archive considered, newest first. */
  decisions: PruneDecision[];
  /** The archives to delete, newest first. */
  prune: ArchiveEntry[];
}

/** No --keep-* option was given: pruning would delete every archive. */
export class NoPruneRules extends BorgError {
  constructor() {
    super('Cannot prune without a rule: give at least one of --keep-within, --keep-last, --keep-secondly, --keep-minutely, '
      + '--keep-hourly, --keep-daily, --keep-weekly, --keep-monthly or --keep-yearly', { code: 'CommandError' });
  }
}

/** Names of checkpoint archives end in ".checkpoint" or ".checkpoint.N". */
const CHECKPOINT_NAME = /\.checkpoint(\.\d+)?$/;

export function isCheckpointName(name: string): boolean {
  return CHECKPOINT_NAME.test(name);
}

function ruleCount(rules: PruneRules, rule: PeriodRule): number {
  const keys = {
    secondly: rules.keepSecondly ?? rules.keepLast, minutely: rules.keepMinutely, hourly: rules.keepHourly,
    daily: rules.keepDaily, weekly: rules.keepWeekly, monthly: rules.keepMonthly, yearly: rules.keepYearly,
  };
  return keys[rule] ?? 0;
}

/** Whether any rule is given (borg refuses to prune without one). */
export function hasPruneRule(rules: PruneRules): boolean {
  return Boolean(rules.keepWithin) || PERIOD_RULES.some(([rule]) => ruleCount(rules, rule) !== 0);
}

interface Candidate {
  archive: ArchiveEntry;
  micros: bigint;
  /** Broken-down local start time, made on first use (only period rules need it). */
  local?: BrokenDownTime;
}

/**
 * Decides for every archive of `archives` whether the rules keep it. `archives` are the candidates
 * in manifest order or oldest first (what selectArchives returns with considerCheckpoints and
 * includeCheckpointSuffix): equal start times then keep borg's order.
 */
export function planPrune(archives: Iterable<ArchiveEntry>, options: PrunePolicyOptions): PrunePlan {
  if (!hasPruneRule(options)) throw new NoPruneRules();
  // borg sorts oldest first (stable) and then reverses the list: ties end up in reverse order.
  const all: Candidate[] = [...archives].map((archive) => ({ archive, micros: parseUtcIso(archive.time) }));
  all.sort((a, b) => (a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0)).reverse();

  const checkpoints = all.filter((c) => isCheckpointName(c.archive.name));
  const complete = all.filter((c) => !isCheckpointName(c.archive.name));
  const keptCheckpoint = checkpoints.length > 0 && all[0] === checkpoints[0] ? checkpoints[0] : undefined;

  const keptBecause = new Map<Candidate, { rule: string; number: number }>();
  if (options.keepWithin) {
    const nowMicros = BigInt((options.now ?? new Date()).getTime()) * 1000n;
    const limit = nowMicros - BigInt(options.keepWithin) * 3_600_000_000n;
    let number = 0;
    for (const c of complete) if (c.micros > limit) keptBecause.set(c, { rule: 'within', number: ++number });
  }
  const toLocal = localTimeFunction(options.timezone);
  for (const [rule, pattern] of PERIOD_RULES) {
    const count = ruleCount(options, rule);
    if (count !== 0) keepPerPeriod(complete, rule, pattern, count, keptBecause, toLocal);
  }

  const decisions: PruneDecision[] = all.map((c): PruneDecision => {
    const reason = keptBecause.get(c);
    if (reason !== undefined) return { archive: c.archive, action: 'keep', checkpoint: false, ...reason };
    if (c === keptCheckpoint) return { archive: c.archive, action: 'keep', checkpoint: true };
    return { archive: c.archive, action: 'prune', checkpoint: isCheckpointName(c.archive.name) };
  });
  return { decisions, prune: decisions.filter((d) => d.action === 'prune').map((d) => d.archive) };
}

/**
 * One period rule: walking newest to oldest, the newest archive of each new period is kept unless
 * an earlier rule kept it already (the period is used up either way), until `count` were kept.
 * A rule that ran out of archives also keeps the oldest one, so that it can age into the rule.
 */
function keepPerPeriod(
  newestFirst: Candidate[], rule: PeriodRule, pattern: string, count: number,
  keptBecause: Map<Candidate, { rule: string; number: number }>, toLocal: (seconds: number) => BrokenDownTime,
): void {
  let kept = 0;
  let last: string | undefined;
  let current: Candidate | undefined;
  for (current of newestFirst) {
    current.local ??= toLocal(Number(floorDiv(current.micros, 1_000_000n)));
    const period = strftime(pattern, current.local);
    if (period === last) continue;
    last = period;
    if (keptBecause.has(current)) continue;
    keptBecause.set(current, { rule, number: ++kept });
    if (kept === count) return;
  }
  if (current !== undefined && kept < count && !keptBecause.has(current)) {
    keptBecause.set(current, { rule: `${rule}[oldest]`, number: ++kept });
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Seconds since the epoch to a naive local time, in the process's zone or in `timezone`. */
function localTimeFunction(timezone: string | undefined): (seconds: number) => BrokenDownTime {
  const naive = (year: number, month: number, day: number, hour: number, minute: number, second: number): BrokenDownTime =>
    ({ year, month, day, hour, minute, second, microsecond: 0, utcOffset: null, zoneName: '' });
  if (timezone === undefined) {
    return (seconds) => {
      const d = new Date(seconds * 1000);
      return naive(d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds());
    };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', era: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  return (seconds) => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(new Date(seconds * 1000))) parts[part.type] = part.value;
    // Years before 1 AD come as "n BC"; the proleptic year is 1 - n.
    const year = parts['era'] === 'BC' ? 1 - Number(parts['year']) : Number(parts['year']);
    return naive(year, Number(parts['month']), Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  };
}
