// Times as borg shows them in list, info and diff: in the local time zone, without a zone suffix,
// "%a, %Y-%m-%d %H:%M:%S" in text (or any strftime format given as a format spec, like
// "{mtime:%Y}") and "%Y-%m-%dT%H:%M:%S.%f" in JSON.
//
// borg takes archive times (naive UTC strings) through time.localtime(), which drops the
// microseconds; item times (nanoseconds) become float seconds and then a datetime, which rounds
// to microseconds half to even. Both quirks show in the output, so both are kept.

import type { Formattable } from './placeholders.js';
import { strftime, type BrokenDownTime } from './strftime.js';
import { parseUtcIso } from './timestamps.js';

const TEXT_FORMAT = '%a, %Y-%m-%d %H:%M:%S';
const ISO_FORMAT = '%Y-%m-%dT%H:%M:%S.%f';

/** The latest item time borg represents (2038, so that 32-bit time_t still works), in seconds. */
const MAX_SECONDS = 2 ** 31 - 1 - 48 * 3600;

/** The last default text made, by whole epoch second: listed items share seconds in long runs. */
let lastText: { seconds: number; text: string } | null = null;

export class OutputTimestamp implements Formattable {
  /** `seconds`: the whole epoch second `time` shows (for reusing its text), when known. */
  constructor(readonly time: BrokenDownTime, readonly seconds?: number) {}

  /** An archive or manifest time (naive UTC, as stored) in local time, whole seconds. */
  static fromUtcIso(text: string): OutputTimestamp {
    const seconds = Number(floorDiv(parseUtcIso(text), 1_000_000n));
    return new OutputTimestamp(naiveLocal(seconds, 0));
  }

  /** An item time in nanoseconds (clamped to borg's range) in local time, microseconds rounded. */
  static fromNs(ns: bigint): OutputTimestamp {
    const clamped = ns < 0n ? 0n : ns > BigInt(MAX_SECONDS) * 1_000_000_000n ? BigInt(MAX_SECONDS) * 1_000_000_000n : ns;
    const seconds = Number(clamped) / 1e9;
    let whole = Math.trunc(seconds);
    let micros = roundHalfEven((seconds - whole) * 1e6);
    if (micros >= 1_000_000) {
      micros -= 1_000_000;
      whole += 1;
    }
    return new OutputTimestamp(naiveLocal(whole, micros), whole);
  }

  formatSpec(spec: string): string {
    if (spec !== '') return strftime(spec, this.time);
    // The default text has no fraction of a second: the same second gives the same text.
    const seconds = this.seconds;
    if (seconds !== undefined && lastText !== null && lastText.seconds === seconds) return lastText.text;
    const text = strftime(TEXT_FORMAT, this.time);
    if (seconds !== undefined) lastText = { seconds, text };
    return text;
  }

  toString(): string {
    return this.formatSpec('');
  }

  isoformat(): string {
    return strftime(ISO_FORMAT, this.time);
  }

  toJSON(): string {
    return this.isoformat();
  }
}

/** The last second naiveLocal broke down (local time lookups are slow; listings repeat seconds). */
let lastLocal: { seconds: number; time: BrokenDownTime } | null = null;

/** Local calendar time without a zone (listings format millions of these: no zone name lookup). */
function naiveLocal(seconds: number, microsecond: number): BrokenDownTime {
  if (lastLocal === null || lastLocal.seconds !== seconds) {
    const d = new Date(seconds * 1000);
    lastLocal = {
      seconds,
      time: {
        year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(),
        second: d.getSeconds(), microsecond: 0, utcOffset: null, zoneName: '',
      },
    };
  }
  const { year, month, day, hour, minute, second } = lastLocal.time;
  return { year, month, day, hour, minute, second, microsecond, utcOffset: null, zoneName: '' };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function roundHalfEven(x: number): number {
  const rounded = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5) return 2 * Math.round(x / 2);
  return rounded;
}
