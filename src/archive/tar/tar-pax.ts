// pax extended headers (POSIX.1-2001): "LENGTH KEYWORD=VALUE\n" records that override fields of
// the following member (or, as global headers, of all following members), and the GNU sparse
// maps some of them carry. Applied the way Python's tarfile applies them, which is what borg's
// import-tar gets to see: path, linkpath, size, mtime (a float), uid, gid, uname, gname.
import { decodeFsBytes } from '../../format/surrogate-escape.js';

export interface PaxRecord {
  keyword: string;
  /** The value as text (non-UTF-8 bytes as lone surrogates). */
  value: string;
}

/** The fields a pax header may change. */
export interface PaxTarget {
  name: string;
  linkname: string;
  size: number;
  mtime: bigint | number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

/** Parses the records of a pax header's data; throws on malformed framing. */
export function parsePaxRecords(data: Buffer): PaxRecord[] {
  const records: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length && data[pos] !== 0) {
    const m = /^([0-9]{1,20}) /.exec(data.subarray(pos, pos + 21).toString('latin1'));
    if (m === null) throw new Error('invalid pax header');
    const length = Number(m[1]);
    const end = pos + length - 1; // the record's newline
    if (length < 5 || pos + length > data.length || data[end] !== 0x0a) throw new Error('invalid pax header');
    const body = data.subarray(pos + m[0].length, end);
    const eq = body.indexOf(0x3d);
    if (eq <= 0) throw new Error('invalid pax header');
    records.push({ keyword: decodeFsBytes(body.subarray(0, eq)), value: decodeFsBytes(body.subarray(eq + 1)) });
    pos += length;
  }
  return records;
}

/** Python's int() of a pax value; 0 when it is not a number (tarfile's fallback). */
function paxInt(value: string): number {
  return /^\s*[+-]?\d+(_\d+)*\s*$/.test(value) ? Number(value.replace(/_/g, '')) : 0;
}

/** Python's float() of a pax value; 0 when it is not a number. */
function paxFloat(value: string): number {
  if (!/^\s*[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+)?\s*$/.test(value)) return 0;
  return Number(value.replace(/_/g, ''));
}

/** Later records of a keyword win (the records form one dictionary). */
function asDictionary(records: readonly PaxRecord[]): Map<string, string> {
  const dict = new Map<string, string>();
  for (const r of records) dict.set(r.keyword, r.value);
  return dict;
}

/** Applies pax records (global ones first) to a member. */
export function applyPaxHeaders(target: PaxTarget, records: readonly PaxRecord[]): void {
  for (const [keyword, value] of asDictionary(records)) {
    switch (keyword) {
      case 'GNU.sparse.name': target.name = value; break;
      case 'GNU.sparse.size': case 'GNU.sparse.realsize': case 'size': target.size = paxInt(value); break;
      case 'path': target.name = value.replace(/\/+$/, ''); break;
      case 'linkpath': target.linkname = value; break;
      case 'uname': target.uname = value; break;
      case 'gname': target.gname = value; break;
      case 'uid': target.uid = paxInt(value); break;
      case 'gid': target.gid = paxInt(value); break;
      case 'mtime': target.mtime = paxFloat(value); break;
    }
  }
}

/**
 * The sparse map pax records describe: format 0.1 (GNU.sparse.map), 0.0 (repeated offset and
 * numbytes records), or 'v1.0' when the map is stored in front of the member's data.
 */
export function sparseMapFromPax(records: readonly PaxRecord[]): Array<[number, number]> | 'v1.0' | null {
  const dict = asDictionary(records);
  const map = dict.get('GNU.sparse.map');
  if (map !== undefined) {
    const numbers = map.split(',').map((n) => paxInt(n));
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i + 1 < numbers.length; i += 2) pairs.push([numbers[i]!, numbers[i + 1]!]);
    return pairs;
  }
  if (dict.has('GNU.sparse.size')) {
    const offsets = records.filter((r) => r.keyword === 'GNU.sparse.offset').map((r) => paxInt(r.value));
    const lengths = records.filter((r) => r.keyword === 'GNU.sparse.numbytes').map((r) => paxInt(r.value));
    return offsets.slice(0, lengths.length).map((offset, i) => [offset, lengths[i]!]);
  }
  if (dict.get('GNU.sparse.major') === '1' && dict.get('GNU.sparse.minor') === '0') return 'v1.0';
  return null;
}
