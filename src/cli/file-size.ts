// Sizes as borg prints them ("1.23 MB", "456 B", with --iec "1.18 MiB"): the largest unit under
// which the value, rounded to two decimals, stays below 1000 (1024); bytes without decimals.

import { PyFloat, formatValue } from '../archive/placeholders.js';

const DECIMAL_UNITS = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const IEC_UNITS = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];

export interface FileSizeOptions {
  /** Binary units (KiB = 1024 B), from --iec. */
  iec?: boolean;
  precision?: number;
  /** Prefix positive values with "+" (used for size changes). */
  sign?: boolean;
}

export function formatFileSize(bytes: number, options: FileSizeOptions = {}): string {
  const units = options.iec ? IEC_UNITS : DECIMAL_UNITS;
  const power = options.iec ? 1024 : 1000;
  const precision = options.precision ?? 2;
  let value = bytes;
  let digits = 0;
  let unit = units[units.length - 1]!;
  for (const candidate of units.slice(0, -1)) {
    if (Math.abs(Number(formatValue(new PyFloat(value), `.${precision}f`))) < power) {
      unit = candidate;
      break;
    }
    value /= power;
    digits = precision;
  }
  const sign = options.sign && bytes > 0 ? '+' : '';
  // Python formats with '{:+.2f}' / '{:.0f}': half-to-even rounding, which formatValue reproduces.
  return `${formatValue(new PyFloat(value), `${sign}.${digits}f`)} ${unit}B`;
}
