// Sizes in messages, as borg's format_file_size prints them: decimal units, two decimals above bytes
// ("12.34 MB", "512 B"), so that quota and free-space errors read the same as borg's.

const UNITS = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

export function formatFileSize(bytes: number): string {
  let num = bytes;
  let precision = 0;
  let unit = UNITS[UNITS.length - 1]!;
  for (const u of UNITS.slice(0, -1)) {
    if (Math.abs(Number(num.toFixed(2))) < 1000) {
      unit = u;
      break;
    }
    num /= 1000;
    precision = 2;
  }
  return `${num.toFixed(precision)} ${unit}B`;
}
