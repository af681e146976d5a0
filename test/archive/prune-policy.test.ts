// planPrune and parseInterval as pure functions (test/cli/prune.test.ts compares whole runs with
// real borg): checkpoints, the [oldest] rule, --keep-within against `now`, equal start times,
// explicit time zones, and the refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ArchiveEntry } from '../../src/archive/manifest.js';
import { NoPruneRules, parseInterval, planPrune, type PruneDecision, type PrunePolicyOptions } from '../../src/archive/prune/index.js';
import { UsageError } from '../../src/errors.js';

function archive(name: string, time: string): ArchiveEntry {
  return { name, id: Buffer.alloc(32, name.length), time: `${time}.000000` };
}

/** "name:rule#n", "name:checkpoint" or "name:prune" per decision, newest first. */
function summary(archives: ArchiveEntry[], options: PrunePolicyOptions): string[] {
  const text = (d: PruneDecision) => (d.action === 'prune' ? 'prune' : d.checkpoint ? 'checkpoint' : `${d.rule}#${d.number}`);
  return planPrune(archives, { timezone: 'UTC', ...options }).decisions.map((d) => `${d.archive.name}:${text(d)}`);
}

describe('parseInterval', () => {
  it('counts hours like borg 1.2 (m = 31 days, y = 365 days)', () => {
    assert.deepEqual(['1H', '2d', '1w', '1m', '1y', ' 3d'].map(parseInterval), [1, 48, 168, 744, 8760, 72]);
  });
  it('refuses other units (no seconds or minutes) and numbers below 1', () => {
    for (const text of ['1s', '1M', '5', '', 'd', '0d', '-1d', '1.5d', 'xd']) assert.throws(() => parseInterval(text), UsageError, text);
  });
});

describe('planPrune', () => {
  const days = [archive('a', '2024-01-01T10:00:00'), archive('b', '2024-01-02T10:00:00'), archive('c', '2024-01-02T11:00:00')];

  it('needs a rule; zero is no rule, a negative count is one', () => {
    assert.throws(() => planPrune(days, {}), NoPruneRules);
    assert.throws(() => planPrune(days, { keepDaily: 0, keepWithin: 0 }), NoPruneRules);
    assert.deepEqual(summary(days, { keepDaily: -1 }), ['c:daily#1', 'b:prune', 'a:daily#2']);
  });

  it('keeps the oldest archive when a rule runs out, and --keep-last is --keep-secondly', () => {
    assert.deepEqual(summary(days, { keepMonthly: 3 }), ['c:monthly#1', 'b:prune', 'a:monthly[oldest]#2']);
    assert.deepEqual(summary(days, { keepLast: 2 }), ['c:secondly#1', 'b:secondly#2', 'a:prune']);
    // A period whose newest archive an earlier rule kept is used up without counting.
    assert.deepEqual(summary(days, { keepLast: 1, keepDaily: 1 }), ['c:secondly#1', 'b:prune', 'a:daily#1']);
  });

  it('keeps only the newest checkpoint, and only while no complete archive is newer', () => {
    const older = [...days, archive('x.checkpoint', '2024-01-01T12:00:00')];
    assert.deepEqual(summary(older, { keepLast: 5 }), ['c:secondly#1', 'b:secondly#2', 'x.checkpoint:prune', 'a:secondly#3']);
    const newer = [...days, archive('y.checkpoint', '2024-01-03T00:00:00'), archive('z.checkpoint.2', '2024-01-03T01:00:00')];
    assert.deepEqual(summary(newer, { keepLast: 1 }), ['z.checkpoint.2:checkpoint', 'y.checkpoint:prune', 'c:secondly#1', 'b:prune', 'a:prune']);
    assert.deepEqual(planPrune(newer, { keepLast: 1 }).prune.map((a) => a.name), ['y.checkpoint', 'b', 'a']);
  });

  it('keeps what is strictly newer than now - keep-within, numbered apart from the other rules', () => {
    const now = new Date('2024-01-02T12:00:00Z');
    // c started exactly 1 hour before now, b exactly 2 hours: neither is strictly newer.
    assert.deepEqual(summary(days, { keepWithin: 1, now }), ['c:prune', 'b:prune', 'a:prune']);
    assert.deepEqual(summary(days, { keepWithin: 2, keepDaily: 1, now }), ['c:within#1', 'b:prune', 'a:daily#1']);
    assert.deepEqual(summary(days, { keepWithin: 24 * 3, keepDaily: 1, now }), ['c:within#1', 'b:within#2', 'a:within#3']);
  });

  it('orders equal start times as borg does (manifest order, reversed)', () => {
    const ties = [archive('t-a', '2024-01-01T10:00:00'), archive('t-b', '2024-01-01T10:00:00')];
    assert.deepEqual(summary(ties, { keepLast: 1 }), ['t-b:secondly#1', 't-a:prune']);
  });

  it('draws period boundaries in the given time zone', () => {
    const night = [archive('p', '2023-12-30T12:00:00'), archive('q', '2024-01-01T03:00:00'), archive('r', '2024-01-01T06:00:00')];
    assert.deepEqual(summary(night, { keepDaily: 2 }), ['r:daily#1', 'q:prune', 'p:daily#2']);
    assert.deepEqual(summary(night, { keepDaily: 2, timezone: 'America/New_York' }), ['r:daily#1', 'q:daily#2', 'p:prune']);
    // ISO weeks: 2024-01-01 is a Monday, so in UTC q and r start week 2024-01 and p ends 2023-52.
    assert.deepEqual(summary(night, { keepWeekly: 5 }), ['r:weekly#1', 'q:prune', 'p:weekly#2']);
  });
});
