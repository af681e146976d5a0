// Tar member headers in the GNU format, byte for byte as borg's export-tar writes them (Python's
// tarfile with GNU_FORMAT): 512-byte ustar-layout blocks with the GNU magic, names and link
// targets over 100 bytes in a preceding "././@LongLink" member, numbers that do not fit in octal
// in GNU's base-256 form, and the archive closed by two zero blocks padded to a 10 KiB record.
//
// Also the shared constants and number codecs used by the reader.

export const BLOCK_SIZE = 512;
/** Output is padded to a multiple of this (tar's default blocking factor 20). */
export const RECORD_SIZE = BLOCK_SIZE * 20;

/** Type flags (the byte at offset 156). */
export const TarType = {
  REG: 0x30, // '0'
  AREG: 0x00, // '\0' (old tars)
  LNK: 0x31, // '1'
  SYM: 0x32, // '2'
  CHR: 0x33, // '3'
  BLK: 0x34, // '4'
  DIR: 0x35, // '5'
  FIFO: 0x36, // '6'
  CONT: 0x37, // '7'
  GNU_LONGNAME: 0x4c, // 'L'
  GNU_LONGLINK: 0x4b, // 'K'
  GNU_SPARSE: 0x53, // 'S'
  PAX: 0x78, // 'x'
  PAX_GLOBAL: 0x67, // 'g'
  SOLARIS_PAX: 0x58, // 'X'
} as const;

const GNU_MAGIC = Buffer.from('ustar  \0', 'latin1');
const NAME_LENGTH = 100;
const LINK_LENGTH = 100;

export interface TarHeaderFields {
  /** Raw name bytes; a directory's gets a trailing "/" from the encoder. */
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds (already truncated to an integer). */
  mtime: number;
  type: number;
  linkname: Buffer;
  uname: Buffer;
  gname: Buffer;
  devmajor: number;
  devminor: number;
}

/** A NUL-padded (and, like Python's stn, silently truncated) byte field. */
function putBytes(block: Buffer, offset: number, length: number, value: Buffer): void {
  value.copy(block, offset, 0, Math.min(length, value.length));
}

/**
 * A number field: octal digits and a NUL when it fits, else (GNU only) a 0x80/0xff marker and the
 * value in big-endian base 256 (two's complement for negative values).
 */
function putNumber(block: Buffer, offset: number, digits: number, value: number, gnu: boolean): void {
  const n = BigInt(Math.trunc(value));
  if (n >= 0n && n < 8n ** BigInt(digits - 1)) {
    block.write(`${n.toString(8).padStart(digits - 1, '0')}\0`, offset, 'latin1');
    return;
  }
  const limit = 256n ** BigInt(digits - 1);
  if (!gnu || n < -limit || n >= limit) throw new RangeError(`Cannot store ${n} in a tar header field of ${digits} bytes`);
  block[offset] = n >= 0n ? 0x80 : 0xff;
  let rest = n >= 0n ? n : 256n ** BigInt(digits) + n;
  for (let i = digits - 1; i >= 1; i--) {
    block[offset + i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** Sum of the block's bytes with the checksum field counted as spaces. */
export function headerChecksum(block: Uint8Array): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK_SIZE; i++) if (i < 148 || i >= 156) sum += block[i]!;
  return sum;
}

function headerBlock(fields: TarHeaderFields, gnuNumbers: boolean): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  putBytes(block, 0, NAME_LENGTH, fields.name);
  putNumber(block, 100, 8, fields.mode & 0o7777, gnuNumbers);
  putNumber(block, 108, 8, fields.uid, gnuNumbers);
  putNumber(block, 116, 8, fields.gid, gnuNumbers);
  putNumber(block, 124, 12, fields.size, gnuNumbers);
  putNumber(block, 136, 12, fields.mtime, gnuNumbers);
  block[156] = fields.type;
  putBytes(block, 157, LINK_LENGTH, fields.linkname);
  GNU_MAGIC.copy(block, 257);
  putBytes(block, 265, 32, fields.uname);
  putBytes(block, 297, 32, fields.gname);
  if (fields.type === TarType.CHR || fields.type === TarType.BLK) {
    putNumber(block, 329, 8, fields.devmajor, gnuNumbers);
    putNumber(block, 337, 8, fields.devminor, gnuNumbers);
  }
  // Six octal digits, NUL, and the space that was there while summing.
  block.write(`${headerChecksum(block).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** Pads data to whole blocks. */
export function padToBlock(data: Buffer): Buffer {
  const rest = data.length % BLOCK_SIZE;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK_SIZE - rest)]);
}

/** A GNU long name or long link member carrying `value` (NUL-terminated). */
function longMember(value: Buffer, type: number): Buffer {
  const data = Buffer.concat([value, Buffer.alloc(1)]);
  const header = headerBlock({
    name: Buffer.from('././@LongLink', 'latin1'), mode: 0, uid: 0, gid: 0, size: data.length, mtime: 0, type,
    linkname: Buffer.alloc(0), uname: Buffer.alloc(0), gname: Buffer.alloc(0), devmajor: 0, devminor: 0,
  }, false);
  return Buffer.concat([header, padToBlock(data)]);
}

/** The header blocks of one member (long link and long name members first, when needed). */
export function encodeGnuHeader(fields: TarHeaderFields): Buffer {
  let name = fields.name;
  if (fields.type === TarType.DIR && name[name.length - 1] !== 0x2f) name = Buffer.concat([name, Buffer.from('/')]);
  const parts: Buffer[] = [];
  if (fields.linkname.length > LINK_LENGTH) parts.push(longMember(fields.linkname, TarType.GNU_LONGLINK));
  if (name.length > NAME_LENGTH) parts.push(longMember(name, TarType.GNU_LONGNAME));
  parts.push(headerBlock({ ...fields, name }, true));
  return Buffer.concat(parts);
}

/** The end of an archive written so far `written` bytes long: two zero blocks, then record padding. */
export function tarTrailer(written: number): Buffer {
  const total = written + 2 * BLOCK_SIZE;
  const rest = total % RECORD_SIZE;
  return Buffer.alloc(2 * BLOCK_SIZE + (rest === 0 ? 0 : RECORD_SIZE - rest));
}

/**
 * A number field as Python's tarfile reads it: base 256 after a 0x80/0xff marker, else octal up
 * to the first NUL (blanks around allowed; empty means 0). Null when malformed.
 */
export function parseNumber(field: Uint8Array): number | null {
  if (field[0] === 0x80 || field[0] === 0xff) {
    let n = 0n;
    for (let i = 1; i < field.length; i++) n = (n << 8n) | BigInt(field[i]!);
    if (field[0] === 0xff) n -= 256n ** BigInt(field.length - 1);
    return Number(n);
  }
  let end = field.indexOf(0);
  if (end < 0) end = field.length;
  const text = Buffer.from(field.subarray(0, end)).toString('latin1').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return null;
  return parseInt(text, 8);
}
