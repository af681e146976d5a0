// Reading tar streams the way borg's import-tar sees them (Python's tarfile in stream mode):
// POSIX ustar, pax (extended and global headers), GNU (long names and links, base-256 numbers,
// sparse members) and old V7 archives. Members are read strictly in order and their data streamed,
// so archives of any size pass through in bounded memory.
//
// The end of the archive, and what counts as damage, follow tarfile: a zero block ends the
// archive (unless zeros are ignored); a broken header ends it too, except as the very first
// header, where it makes the stream "not a tar file".
import { BorgError } from '../../errors.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import { ByteReader } from './byte-reader.js';
import { BLOCK_SIZE, headerChecksum, parseNumber, TarType } from './tar-header.js';
import { applyPaxHeaders, parsePaxRecords, sparseMapFromPax, type PaxRecord } from './tar-pax.js';

export class TarReadError extends BorgError {
  constructor(reason: string) {
    super(`Cannot read the tar file: ${reason}`, { code: 'Error', args: [reason] });
  }
}

export interface TarEntry {
  /** Member name (non-UTF-8 bytes as lone surrogates); directories without a trailing "/". */
  name: string;
  linkname: string;
  /** The mode field as stored (permission bits, sometimes more). */
  mode: number;
  uid: number;
  gid: number;
  /** Length of the member's content (for sparse members: the expanded length). */
  size: number;
  /** Seconds: an integer from the header, or a float from a pax header. */
  mtime: bigint | number;
  type: number;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Data ranges [offset, length] of a sparse member; holes read as zeros. */
  sparse: Array<[number, number]> | null;
}

/** Members with data blocks: regular files, and types tarfile does not know (skipped as data). */
const REGULAR_TYPES = new Set<number>([TarType.REG, TarType.AREG, TarType.CONT, TarType.GNU_SPARSE]);
const KNOWN_TYPES = new Set<number>([
  TarType.REG, TarType.AREG, TarType.LNK, TarType.SYM, TarType.DIR, TarType.FIFO, TarType.CONT, TarType.CHR, TarType.BLK,
  TarType.GNU_LONGNAME, TarType.GNU_LONGLINK, TarType.GNU_SPARSE,
]);

export function isRegularType(type: number): boolean {
  return REGULAR_TYPES.has(type);
}

function hasData(type: number): boolean {
  return REGULAR_TYPES.has(type) || !KNOWN_TYPES.has(type);
}

function blocks(length: number): number {
  return Math.ceil(length / BLOCK_SIZE) * BLOCK_SIZE;
}

/** The text of a NUL-terminated header field. */
function fieldText(field: Buffer): string {
  const end = field.indexOf(0);
  return decodeFsBytes(end < 0 ? field : field.subarray(0, end));
}

class HeaderError extends Error {
  constructor(readonly kind: 'empty' | 'truncated' | 'eof' | 'invalid', message: string) {
    super(message);
  }
}

interface RawEntry extends TarEntry {
  /** Stream position where the member's stored data starts. */
  dataStart: number;
  /** GNU old-style sparse header: the real size and the map. */
  gnuSparse: { map: Array<[number, number]>; extended: boolean; realSize: number } | null;
}

function number(field: Buffer): number {
  const n = parseNumber(field);
  if (n === null) throw new HeaderError('invalid', 'invalid header');
  return n;
}

function parseHeader(block: Buffer): RawEntry {
  if (block.length === 0) throw new HeaderError('empty', 'empty header');
  if (block.length !== BLOCK_SIZE) throw new HeaderError('truncated', 'truncated header');
  if (block.every((b) => b === 0)) throw new HeaderError('eof', 'end of file header');
  const checksum = number(block.subarray(148, 156));
  // Some tars summed signed bytes; tarfile accepts either sum.
  let signed = headerChecksum(block);
  for (let i = 0; i < BLOCK_SIZE; i++) if ((i < 148 || i >= 156) && block[i]! > 127) signed -= 256;
  if (checksum !== headerChecksum(block) && checksum !== signed) throw new HeaderError('invalid', 'bad checksum');
  let type = block[156]!;
  let name = fieldText(block.subarray(0, 100));
  if (type === TarType.AREG && name.endsWith('/')) type = TarType.DIR;
  const entry: RawEntry = {
    name, mode: number(block.subarray(100, 108)), uid: number(block.subarray(108, 116)), gid: number(block.subarray(116, 124)),
    size: number(block.subarray(124, 136)), mtime: BigInt(number(block.subarray(136, 148))), type,
    linkname: fieldText(block.subarray(157, 257)), uname: fieldText(block.subarray(265, 297)), gname: fieldText(block.subarray(297, 329)),
    devmajor: number(block.subarray(329, 337)), devminor: number(block.subarray(337, 345)), sparse: null, dataStart: 0, gnuSparse: null,
  };
  const prefix = fieldText(block.subarray(345, 500));
  if (type === TarType.GNU_SPARSE) {
    const map: Array<[number, number]> = [];
    for (let pos = 386; pos < 386 + 4 * 24; pos += 24) {
      const offset = parseNumber(block.subarray(pos, pos + 12));
      const length = parseNumber(block.subarray(pos + 12, pos + 24));
      if (offset === null || length === null) break;
      map.push([offset, length]);
    }
    entry.gnuSparse = { map, extended: block[482] !== 0, realSize: number(block.subarray(483, 495)) };
  }
  if (type === TarType.DIR) entry.name = entry.name.replace(/\/+$/, '');
  if (prefix && type !== TarType.GNU_LONGNAME && type !== TarType.GNU_LONGLINK && type !== TarType.GNU_SPARSE) entry.name = `${prefix}/${entry.name}`;
  return entry;
}

export class TarReader {
  readonly #input: ByteReader;
  readonly #ignoreZeros: boolean;
  #globalPax: PaxRecord[] = [];
  /** Where the next header starts. */
  #next = 0;
  #current: RawEntry | null = null;

  constructor(source: AsyncIterable<Uint8Array>, options: { ignoreZeros?: boolean } = {}) {
    this.#input = new ByteReader(source);
    this.#ignoreZeros = options.ignoreZeros ?? false;
  }

  /** The next member, or null at the end of the archive. Unread data of the previous one is skipped. */
  async next(): Promise<TarEntry | null> {
    this.#current = null;
    const gap = this.#next - this.#input.position;
    if (gap > 0 && (await this.#input.skip(gap)) < gap) throw new TarReadError('unexpected end of data');
    for (;;) {
      const start = this.#input.position;
      try {
        const entry = await this.#member();
        this.#current = entry;
        return entry;
      } catch (e) {
        if (!(e instanceof HeaderError)) throw e;
        if ((e.kind === 'eof' || e.kind === 'invalid') && this.#ignoreZeros) {
          this.#next = start + BLOCK_SIZE;
          await this.#input.skip(this.#next - this.#input.position);
          continue;
        }
        if (e.kind === 'eof') return null;
        if (start === 0) throw new TarReadError(e.kind === 'empty' ? 'empty file' : e.message);
        return null;
      }
    }
  }

  /** One member with everything that precedes it (pax headers, GNU long names). */
  async #member(): Promise<RawEntry> {
    const entry = parseHeader(await this.#input.read(BLOCK_SIZE));
    if (entry.type === TarType.GNU_LONGNAME || entry.type === TarType.GNU_LONGLINK) {
      const data = await this.#input.read(blocks(entry.size));
      const next = await this.#subsequent();
      const value = fieldText(data);
      if (entry.type === TarType.GNU_LONGNAME) next.name = next.type === TarType.DIR && value.endsWith('/') ? value.slice(0, -1) : value;
      else next.linkname = value;
      return next;
    }
    if (entry.type === TarType.PAX || entry.type === TarType.PAX_GLOBAL || entry.type === TarType.SOLARIS_PAX) {
      let records: PaxRecord[];
      try {
        records = parsePaxRecords(await this.#input.read(blocks(entry.size)));
      } catch {
        throw new HeaderError('invalid', 'invalid header');
      }
      if (entry.type === TarType.PAX_GLOBAL) this.#globalPax = [...this.#globalPax, ...records];
      const next = await this.#subsequent();
      if (entry.type !== TarType.PAX_GLOBAL) {
        const all = [...this.#globalPax, ...records];
        const sparse = sparseMapFromPax(all);
        if (sparse === 'v1.0') next.sparse = await this.#readSparseMapV1(next);
        else if (sparse !== null) next.sparse = sparse;
        applyPaxHeaders(next, all);
        // A pax size replaces the header's, and with it where the next header starts.
        if (all.some((r) => r.keyword === 'size')) this.#next = next.dataStart + (hasData(next.type) ? blocks(next.size) : 0);
      }
      return next;
    }
    entry.dataStart = this.#input.position;
    if (entry.gnuSparse !== null) await this.#readGnuSparse(entry);
    this.#next = entry.dataStart + (hasData(entry.type) ? blocks(entry.size) : 0);
    if (entry.gnuSparse !== null) {
      entry.size = entry.gnuSparse.realSize;
      entry.sparse = entry.gnuSparse.map;
    }
    applyPaxHeaders(entry, this.#globalPax);
    return entry;
  }

  async #subsequent(): Promise<RawEntry> {
    try {
      return await this.#member();
    } catch (e) {
      if (e instanceof HeaderError) throw new TarReadError(e.message);
      throw e;
    }
  }

  /** Old GNU sparse members list more ranges in extension blocks after the header. */
  async #readGnuSparse(entry: RawEntry): Promise<void> {
    const sparse = entry.gnuSparse!;
    let extended = sparse.extended;
    while (extended) {
      const block = await this.#input.read(BLOCK_SIZE);
      for (let pos = 0; pos < 21 * 24; pos += 24) {
        const offset = parseNumber(block.subarray(pos, pos + 12));
        const length = parseNumber(block.subarray(pos + 12, pos + 24));
        if (offset === null || length === null) break;
        if (offset && length) sparse.map.push([offset, length]);
      }
      extended = block[504] !== 0;
    }
    entry.dataStart = this.#input.position;
  }

  /** Sparse format 1.0 keeps its map in front of the data: a count and pairs, one number per line. */
  async #readSparseMapV1(entry: RawEntry): Promise<Array<[number, number]>> {
    let text = (await this.#input.read(BLOCK_SIZE)).toString('latin1');
    const numbers: number[] = [];
    const nextNumber = async (): Promise<number> => {
      while (!text.includes('\n')) text += (await this.#input.read(BLOCK_SIZE)).toString('latin1');
      const at = text.indexOf('\n');
      const value = Number.parseInt(text.slice(0, at), 10);
      text = text.slice(at + 1);
      if (!Number.isFinite(value)) throw new TarReadError('invalid sparse map');
      return value;
    };
    const fields = await nextNumber();
    while (numbers.length < fields * 2) numbers.push(await nextNumber());
    entry.dataStart = this.#input.position;
    const map: Array<[number, number]> = [];
    for (let i = 0; i < numbers.length; i += 2) map.push([numbers[i]!, numbers[i + 1]!]);
    return map;
  }

  /**
   * The content of the current (regular) member, `entry.size` bytes in pieces; holes of sparse
   * members come as zeros. Must be read before `next()` is called.
   */
  async *content(): AsyncIterable<Buffer> {
    const entry = this.#current;
    if (entry === null) throw new Error('TarReader.content() needs a current member');
    const ranges = entry.sparse ?? [[0, entry.size] as [number, number]];
    let position = 0;
    for (const [offset, length] of ranges) {
      if (position >= entry.size) break;
      if (offset > position) {
        yield* zeros(Math.min(offset, entry.size) - position);
        position = Math.min(offset, entry.size);
      }
      let missing = Math.min(length, entry.size - position);
      while (missing > 0) {
        const piece = await this.#input.readSome(Math.min(missing, 1 << 20));
        if (piece.length === 0) throw new TarReadError('unexpected end of data');
        missing -= piece.length;
        position += piece.length;
        yield piece;
      }
    }
    if (position < entry.size) yield* zeros(entry.size - position);
  }

  /** Reads the source to its end (what follows the archive is ignored). */
  async drain(): Promise<void> {
    await this.#input.drain();
  }

  async close(): Promise<void> {
    await this.#input.close();
  }
}

function* zeros(length: number): Iterable<Buffer> {
  for (let left = length; left > 0; left -= 1 << 20) yield Buffer.alloc(Math.min(left, 1 << 20));
}
