// Timestamp formats borg stores and prints.
//
// Manifest and archive times are naive UTC strings `%Y-%m-%dT%H:%M:%S.%f` (always 6 fractional
// digits). They are compared as strings (security checks), so the exact format matters.

/** Current time in microseconds since the epoch (Date has only milliseconds). */
export function nowMicros(): bigint {
  const ms = performance.timeOrigin + performance.now();
  return BigInt(Math.floor(ms * 1000));
}

/** Formats microseconds since the epoch as borg's naive UTC ISO string. */
export function formatUtcIso(micros: bigint): string {
  const ms = Number(micros / 1000n);
  const frac = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const d = new Date(ms - (ms % 1000 + 1000) % 1000);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return `${iso.slice(0, 19)}.${String(frac).padStart(6, '0')}`;
}

/** Parses borg's naive UTC ISO string (fraction optional) into microseconds since the epoch. */
export function parseUtcIso(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new RangeError(`Invalid timestamp '${text}'`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const frac = BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  return BigInt(ms) * 1000n + frac;
}
