// The INTERVAL of `prune --keep-within` (spec §8.5): a positive whole number and one unit letter.
// borg 1.2 counts in hours and knows no shorter unit; a month is 31 days and a year 365 days, so
// "1m" keeps a little more than a calendar month and "1y" a little less than a leap year.

import { UsageError } from '../../errors.js';

/** Hours per unit letter, in ascending order (the order the error message lists them in). */
const HOURS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['H', 1],
  ['d', 24],
  ['w', 24 * 7],
  ['m', 24 * 31],
  ['y', 24 * 365],
]);

/** Parses "<int><H|d|w|m|y>" into hours; a bad unit or a number below 1 is a usage error. */
export function parseInterval(text: string): number {
  const unit = text.slice(-1);
  const perUnit = HOURS_PER_UNIT.get(unit);
  if (perUnit === undefined) {
    throw new UsageError(`Invalid interval "${text}": the unit must be one of ${[...HOURS_PER_UNIT.keys()].join(', ')}`);
  }
  const number = text.slice(0, -1);
  // Python's int(): blanks around, a sign, digits with single underscores between them.
  const match = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(number);
  const hours = match === null ? -1 : Number(match[1]!.replaceAll('_', '')) * perUnit;
  if (!(hours > 0)) throw new UsageError(`Invalid interval "${text}": "${number}" is not a whole number greater than 0`);
  return hours;
}
