// Python's datetime.strftime as borg runs it on Linux: Python itself expands %f, %z and %Z, and
// glibc expands everything else in the C locale (Python never sets LC_TIME), including the GNU
// flags (- _ 0 ^ #), a field width and the E/O modifiers. Used for {now:FMT} placeholders, the
// prune period keys and the time columns of list/info.

/** A calendar time as Python's datetime holds it. */
export interface BrokenDownTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** Offset east of UTC in seconds, or null for a naive time (then %z and %Z expand to ''). */
  utcOffset: number | null;
  /** Zone abbreviation for %Z ('UTC', 'CET', ...); '' for a naive time. */
  zoneName: string;
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

/** What glibc's C locale expands the composite directives to. */
const COMPOSITES: Record<string, string> = {
  c: '%a %b %e %H:%M:%S %Y', D: '%m/%d/%y', F: '%Y-%m-%d', r: '%I:%M:%S %p', R: '%H:%M',
  T: '%H:%M:%S', x: '%m/%d/%y', X: '%H:%M:%S',
};

/** The time in the process's local zone (TZ), aware like `datetime.now().astimezone()`. */
export function localTime(date: Date, microsecond = date.getMilliseconds() * 1000): BrokenDownTime {
  const utcOffset = -date.getTimezoneOffset() * 60;
  // Found on first read: the abbreviation needs ICU formatters (~15 ms at start), and only %Z uses it.
  let zoneName: string | undefined;
  return {
    year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(),
    hour: date.getHours(), minute: date.getMinutes(), second: date.getSeconds(), microsecond,
    utcOffset, get zoneName() { return zoneName ??= zoneAbbreviation(date, utcOffset); },
  };
}

/** The time in UTC, aware like `datetime.now(timezone.utc)`. */
export function utcTime(date: Date, microsecond = date.getUTCMilliseconds() * 1000): BrokenDownTime {
  return {
    year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(),
    hour: date.getUTCHours(), minute: date.getUTCMinutes(), second: date.getUTCSeconds(), microsecond,
    utcOffset: 0, zoneName: 'UTC',
  };
}

/** Drops the zone, like the naive local datetimes borg uses for archive and item times. */
export function naive(time: BrokenDownTime): BrokenDownTime {
  // Field by field: spreading would read (and compute) a lazy zoneName only to drop it.
  const { year, month, day, hour, minute, second, microsecond } = time;
  return { year, month, day, hour, minute, second, microsecond, utcOffset: null, zoneName: '' };
}

export function strftime(format: string, time: BrokenDownTime): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    const match = /^%([-_0^#]*)(\d*)([EO]?)(.?)/s.exec(format.slice(percent))!;
    const [directive, flags, width, , conversion] = match;
    i = percent + directive.length;
    out += expand(directive, flags, width ? Number(width) : 0, conversion, time);
  }
  return out;
}

function expand(directive: string, flags: string, width: number, conversion: string, t: BrokenDownTime): string {
  const plain = flags === '' && width === 0 && directive.length === 2;
  // Python expands these three before glibc sees the format, but only when written plainly.
  if (conversion === 'f' && plain) return pad(t.microsecond, 6);
  if (conversion === 'z') return plain ? formatOffset(t.utcOffset) : '';
  // Written any other way they reach glibc without a zone: %z vanishes, %Z is an empty field.
  if (conversion === 'Z') return plain ? t.zoneName : ''.padStart(width);

  const composite = COMPOSITES[conversion];
  if (composite !== undefined) return applyFlags(strftime(composite, t), flags, width, ' ');
  const text = textField(conversion, t);
  if (text !== undefined) {
    const swapped = flags.includes('#') ? (conversion === 'p' ? text.toLowerCase() : text.toUpperCase()) : text;
    return applyFlags(swapped, flags, width, ' ');
  }
  const numeric = numericField(conversion, t);
  if (numeric !== undefined) {
    const [value, digits, padChar] = numeric;
    return formatNumber(value, flags, flags.includes('-') ? width : Math.max(width, digits), padChar);
  }
  switch (conversion) {
    case '%': return '%';
    case 'n': return '\n';
    case 't': return '\t';
    // glibc copies unknown directives (and a lone trailing %) unchanged, padded to the width.
    default: return directive.padStart(width);
  }
}

function textField(conversion: string, t: BrokenDownTime): string | undefined {
  switch (conversion) {
    case 'a': return DAY_NAMES[weekdaySunday(t)]!.slice(0, 3);
    case 'A': return DAY_NAMES[weekdaySunday(t)]!;
    case 'b': case 'h': return MONTH_NAMES[t.month - 1]!.slice(0, 3);
    case 'B': return MONTH_NAMES[t.month - 1]!;
    case 'p': return t.hour < 12 ? 'AM' : 'PM';
    case 'P': return t.hour < 12 ? 'am' : 'pm';
    default: return undefined;
  }
}

/** [value, default width, default padding] of a numeric directive. */
function numericField(conversion: string, t: BrokenDownTime): [number, number, '0' | ' '] | undefined {
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  switch (conversion) {
    case 'd': return [t.day, 2, '0'];
    case 'e': return [t.day, 2, ' '];
    case 'm': return [t.month, 2, '0'];
    case 'Y': return [t.year, 1, '0'];
    case 'y': return [t.year % 100, 2, '0'];
    case 'C': return [Math.floor(t.year / 100), 2, '0'];
    case 'G': return [isoWeek(t)[0], 1, '0'];
    case 'g': return [isoWeek(t)[0] % 100, 2, '0'];
    case 'V': return [isoWeek(t)[1], 2, '0'];
    case 'H': return [t.hour, 2, '0'];
    case 'k': return [t.hour, 2, ' '];
    case 'I': return [hour12, 2, '0'];
    case 'l': return [hour12, 2, ' '];
    case 'M': return [t.minute, 2, '0'];
    case 'S': return [t.second, 2, '0'];
    case 'j': return [dayOfYear(t), 3, '0'];
    case 'u': return [weekdaySunday(t) === 0 ? 7 : weekdaySunday(t), 1, '0'];
    case 'w': return [weekdaySunday(t), 1, '0'];
    case 'U': return [Math.floor((dayOfYear(t) - 1 + 7 - weekdaySunday(t)) / 7), 2, '0'];
    case 'W': return [Math.floor((dayOfYear(t) - 1 + 7 - ((weekdaySunday(t) + 6) % 7)) / 7), 2, '0'];
    // glibc's %s runs mktime() on the fields, i.e. reads them as local time even for a UTC datetime.
    case 's': return [Math.floor(new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second).getTime() / 1000), 1, '0'];
    default: return undefined;
  }
}

function formatNumber(value: number, flags: string, width: number, padChar: '0' | ' '): string {
  // '-' drops the default padding, yet an explicit width is still honoured with spaces.
  const fill = flags.includes('-') || flags.includes('_') ? ' ' : flags.includes('0') ? '0' : padChar;
  const digits = String(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  return fill === '0' ? sign + digits.padStart(width - sign.length, '0') : (sign + digits).padStart(width, ' ');
}

function applyFlags(text: string, flags: string, width: number, padChar: string): string {
  const cased = flags.includes('^') ? text.toUpperCase() : text;
  if (flags.includes('-')) return cased;
  return cased.padStart(width, flags.includes('0') ? '0' : padChar);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function formatOffset(offset: number | null): string {
  if (offset === null) return '';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const seconds = abs % 60;
  return sign + pad(Math.floor(abs / 3600), 2) + pad(Math.floor(abs / 60) % 60, 2) + (seconds ? pad(seconds, 2) : '');
}

function daysFromCivil(year: number, month: number, day: number): number {
  // setUTCFullYear, unlike Date.UTC, does not map the years 0..99 to 1900..1999.
  return Math.floor(new Date(0).setUTCFullYear(year, month - 1, day) / 86_400_000);
}

function weekdaySunday(t: BrokenDownTime): number {
  return (((daysFromCivil(t.year, t.month, t.day) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

function dayOfYear(t: BrokenDownTime): number {
  return daysFromCivil(t.year, t.month, t.day) - daysFromCivil(t.year, 1, 1) + 1;
}

/** ISO 8601 [year, week]: weeks start on Monday, week 1 holds the year's first Thursday. */
function isoWeek(t: BrokenDownTime): [number, number] {
  const weekdayMonday = (weekdaySunday(t) + 6) % 7;
  const thursday = daysFromCivil(t.year, t.month, t.day) - weekdayMonday + 3;
  const isoYear = new Date(thursday * 86_400_000).getUTCFullYear();
  return [isoYear, Math.floor((thursday - daysFromCivil(isoYear, 1, 1)) / 7) + 1];
}

/** Formatters per locale and TZ value (Node follows assignments to process.env.TZ). */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

// glibc takes %Z from the tz database ("CET", "EST", "+04"). ICU only spells those out per
// locale, so ask a few English locales that know the common ones, then fall back to the numeric
// form that tzdata itself uses for zones without an abbreviation.
function zoneAbbreviation(date: Date, utcOffset: number): string {
  for (const locale of ['en-US', 'en-GB', 'en-AU', 'en-IN', 'ja-JP']) {
    const cacheKey = `${locale} ${process.env['TZ'] ?? ''}`;
    let formatter = zoneFormatters.get(cacheKey);
    if (formatter === undefined) {
      formatter = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' });
      zoneFormatters.set(cacheKey, formatter);
    }
    const name = formatter.formatToParts(date).find((part) => part.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  const sign = utcOffset < 0 ? '-' : '+';
  const abs = Math.abs(utcOffset);
  const minutes = Math.floor(abs / 60) % 60;
  return sign + pad(Math.floor(abs / 3600), 2) + (minutes ? pad(minutes, 2) : '');
}
