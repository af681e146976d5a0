// `borg key export --paper` / `key import --paper`: the key blob as hex lines a person can type, each
// with a short SHA-256 checksum so typos are caught line by line (format from borg's keymanager).
//
//   BORG PAPER KEY v1
//   id: <lines> / <first 18 hex digits of repo id> / <12 hex digits sha256(blob)> - <2 hex digits>
//    1: <18 bytes as hex, in groups of 6> - <2 hex digits of sha256(u16be(1) || bytes)>
//
// The id line checksum is sha256 over "<lines>/<repo id 18>/<checksum 12>" (lowercase, no spaces).
import { createHash } from 'node:crypto';
import { toHex } from '../format/bytes.js';
import { InvalidPaperKey, RepoIdMismatch } from './errors.js';
import { keyBlobToText } from './key-blob.js';

const BYTES_PER_LINE = 18;
const HEADER = 'To restore key use borg key import --paper /path/to/repo\n\n';

function sha256Hex(data: Uint8Array | string, digits: number): string {
  return createHash('sha256').update(data).digest('hex').slice(0, digits);
}

/** Inserts a space after every 6 characters, for reading aloud and typing. */
function grouped(s: string): string {
  return s.replace(/(.{6})(?=.)/g, '$1 ');
}

function lineChecksum(index: number, bytes: Uint8Array): string {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(index);
  return sha256Hex(Buffer.concat([prefix, bytes]), 2);
}

/** The paper export of a binary key blob (as `borg key export --paper` prints it). */
export function formatPaperKey(blob: Uint8Array, repositoryId: Uint8Array): string {
  const lines = Math.ceil(blob.byteLength / BYTES_PER_LINE);
  const repoId = toHex(repositoryId).slice(0, 18);
  const total = sha256Hex(blob, 12);
  const idSum = sha256Hex(`${lines}/${repoId}/${total}`, 2);
  let out = `${HEADER}BORG PAPER KEY v1\nid: ${lines} / ${grouped(repoId)} / ${grouped(total)} - ${idSum}\n`;
  for (let i = 0; i * BYTES_PER_LINE < blob.byteLength; i++) {
    const part = blob.subarray(i * BYTES_PER_LINE, (i + 1) * BYTES_PER_LINE);
    out += `${String(i + 1).padStart(2, ' ')}: ${grouped(toHex(part))} - ${lineChecksum(i + 1, part)}\n`;
  }
  return out;
}

export type PaperLineResult =
  | { status: 'accepted' }
  | { status: 'retry'; message: string }
  | { status: 'restart'; message: string }
  | { status: 'done'; blob: Buffer; blobText: string };

/**
 * Interactive paper-key import, one typed line at a time (the CLI prompts with `label`): first the id
 * line, then the data lines. A line with a wrong checksum is asked again; a wrong overall checksum
 * starts over at the id line; another repository's id throws RepoIdMismatch.
 */
export class PaperKeyReader {
  readonly #repoId: string;
  #lines = 0;
  #total = '';
  #index = 0; // 0 while waiting for the id line
  #parts: Buffer[] = [];

  constructor(repositoryId: Uint8Array) {
    this.#repoId = toHex(repositoryId).slice(0, 18);
  }

  /** The prompt label for the next line: 'id' or the line number. */
  get label(): string {
    return this.#index === 0 ? 'id' : String(this.#index).padStart(2, ' ');
  }

  feed(input: string): PaperLineResult {
    const line = input.replace(/\s+/g, '');
    const dash = line.split('-');
    if (dash.length !== 2) return { status: 'retry', message: "Each line must contain exactly one '-'" };
    const [data, checksum] = dash as [string, string];
    return this.#index === 0 ? this.#idLine(data, checksum.toLowerCase()) : this.#dataLine(data, checksum.toLowerCase());
  }

  #idLine(data: string, checksum: string): PaperLineResult {
    const fields = data.split('/');
    if (fields.length !== 3) return { status: 'retry', message: "The id line must contain exactly two '/'" };
    if (sha256Hex(data.toLowerCase(), 2) !== checksum) return { status: 'retry', message: 'Line checksum did not match, type the same line again' };
    const [count, repoId, total] = fields as [string, string, string];
    if (!/^\d+$/.test(count) || Number(count) < 1) return { status: 'retry', message: 'The line count in the id line is not a positive number' };
    if (repoId.toLowerCase() !== this.#repoId) throw new RepoIdMismatch();
    this.#lines = Number(count);
    this.#total = total.toLowerCase();
    this.#index = 1;
    this.#parts = [];
    return { status: 'accepted' };
  }

  #dataLine(data: string, checksum: string): PaperLineResult {
    if (!/^([0-9a-fA-F]{2})+$/.test(data)) return { status: 'retry', message: "Only the characters 0-9, a-f and '-' are valid" };
    const part = Buffer.from(data, 'hex');
    if (lineChecksum(this.#index, part) !== checksum) {
      return { status: 'retry', message: `Line checksum did not match, type line ${this.#index} again` };
    }
    this.#parts.push(part);
    if (this.#index < this.#lines) {
      this.#index++;
      return { status: 'accepted' };
    }
    const blob = Buffer.concat(this.#parts);
    this.#index = 0;
    this.#parts = [];
    if (sha256Hex(blob, 12) !== this.#total) {
      return { status: 'restart', message: 'The overall checksum did not match, start again at the id line' };
    }
    return { status: 'done', blob, blobText: `${keyBlobToText(blob)}\n` };
  }
}

/**
 * Reads a whole paper export (as printed, e.g. redirected from a file) non-interactively: lines
 * before the id line are ignored. Throws RepoIdMismatch, or InvalidPaperKey naming the first bad line.
 */
export function parsePaperKey(text: string, repositoryId: Uint8Array): Buffer {
  const reader = new PaperKeyReader(repositoryId);
  let started = false;
  for (const raw of text.split('\n')) {
    if (!started) {
      if (!/^\s*id:/.test(raw)) continue;
      started = true;
    }
    if (raw.trim() === '') continue;
    const label = reader.label.trim();
    const m = /^\s*([^:]+):(.*)$/.exec(raw);
    if (!m || m[1]!.trim() !== label) throw new InvalidPaperKey(`Cannot read the paper key: expected line '${label}', got '${raw.trim()}'`);
    const result = reader.feed(m[2]!);
    if (result.status === 'done') return result.blob;
    if (result.status !== 'accepted') throw new InvalidPaperKey(`Cannot read the paper key at line '${label}': ${result.message}`);
  }
  throw new InvalidPaperKey('Cannot read the paper key: it ends before the last line');
}
