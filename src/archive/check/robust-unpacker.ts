// Reading an item stream that has holes (spec §5.7): after a missing or damaged chunk the bytes that
// follow start somewhere inside an item, so a plain streaming unpacker would fail or produce garbage.
// RobustUnpacker can be told to resync: it then searches the buffered bytes, one position after the
// other, for something that looks like the start of an item (a map whose first key is a known item
// key) and that unpacks to a value the validator accepts, and continues normally from there.
import { encode, MsgpackError, Unpacker, type DecodeOptions, type MsgValue } from '../../format/msgpack.js';

/**
 * Whether `data` starts like a msgpack map (fixmap or map16) whose first key is one of the given
 * serialized keys. Cheap enough to try at every byte position while resyncing.
 */
export function validMsgpackedDict(data: Uint8Array, keysSerialized: readonly Buffer[]): boolean {
  if (data.length === 0) return false;
  let offset: number;
  if ((data[0]! & 0xf0) === 0x80) offset = 1; // fixmap
  else if (data[0] === 0xde) offset = 3; // map16 (items never have 2^16 keys)
  else return false;
  if (data.length <= offset) return false;
  const keyType = data[offset]!;
  if ((keyType & 0xe0) !== 0xa0 && keyType !== 0xd9 && keyType !== 0xda && keyType !== 0xdb) return false;
  const rest = Buffer.from(data.buffer, data.byteOffset + offset, data.length - offset);
  return keysSerialized.some((key) => rest.length >= key.length && rest.subarray(0, key.length).equals(key));
}

/** The msgpack serializations of key names, as `validMsgpackedDict` wants them. */
export function serializeKeys(names: Iterable<string>): Buffer[] {
  return [...names].map((name) => encode(name));
}

/** Cut-off candidates kept at most: each holds a copy of the stream from its position. */
const MAX_PENDING = 64;

export class RobustUnpacker {
  readonly #keys: Buffer[];
  readonly #validator: (value: MsgValue) => boolean;
  readonly #limits: DecodeOptions;
  readonly #longestPrefix: number;
  #unpacker: Unpacker;
  #resyncing = false;
  /** While resyncing: the bytes not searched yet (plus a short tail that may start a map). */
  #data: Buffer = Buffer.alloc(0);
  /**
   * While resyncing: candidates that looked like an item start but were cut off by the end of the
   * data, oldest first. They are fed what follows, so a long item is never unpacked twice.
   */
  #pending: Unpacker[] = [];

  constructor(validator: (value: MsgValue) => boolean, keyNames: Iterable<string>, limits: DecodeOptions = {}) {
    this.#validator = validator;
    this.#keys = serializeKeys(keyNames);
    // map16 header (3 bytes) plus the longest serialized key.
    this.#longestPrefix = 3 + Math.max(0, ...this.#keys.map((k) => k.length));
    this.#limits = limits;
    this.#unpacker = new Unpacker(limits);
  }

  /** Drops what is buffered and searches the following bytes for the start of a valid item. */
  resync(): void {
    this.#data = Buffer.alloc(0);
    this.#pending = [];
    this.#resyncing = true;
  }

  feed(data: Uint8Array): void {
    if (!this.#resyncing) {
      this.#unpacker.feed(data);
      return;
    }
    this.#data = this.#data.length === 0 ? Buffer.from(data) : Buffer.concat([this.#data, data]);
    for (const candidate of this.#pending) candidate.feed(data);
  }

  /**
   * The next value, or undefined when more bytes are needed. Outside a resync a malformed stream
   * throws MsgpackError (the caller reports it and resyncs); while resyncing nothing throws.
   */
  next(): MsgValue | undefined {
    return this.#resyncing ? this.#search() : this.#unpacker.next();
  }

  *[Symbol.iterator](): IterableIterator<MsgValue> {
    for (;;) {
      const value = this.next();
      if (value === undefined) return;
      yield value;
    }
  }

  /**
   * The first position, in stream order, where a complete value the validator accepts starts (as
   * borg, a candidate still cut off does not stop the search). Positions ruled out stay ruled out.
   */
  #search(): MsgValue | undefined {
    for (let i = 0; i < this.#pending.length; i++) {
      const value = this.#try(this.#pending[i]!);
      if (value === undefined) continue;
      if (value !== null) return value;
      this.#pending.splice(i--, 1);
    }
    const data = this.#data;
    // A map starting in the last few bytes may lack the bytes that show its first key.
    const safeEnd = data.length - this.#longestPrefix;
    for (let pos = 0; pos < data.length; pos++) {
      const rest = data.subarray(pos);
      if (!validMsgpackedDict(rest, this.#keys)) continue;
      const candidate = new Unpacker(this.#limits);
      candidate.feed(rest);
      const value = this.#try(candidate);
      if (value === undefined) {
        // Positions in the tail are searched again with the next bytes anyway.
        if (pos < safeEnd) this.#pending.push(candidate);
        if (this.#pending.length > MAX_PENDING) this.#pending.shift();
      } else if (value !== null) {
        return value;
      }
    }
    this.#data = data.subarray(Math.max(0, safeEnd));
    return undefined;
  }

  /** A candidate's value if it is valid (it then becomes the unpacker), null if ruled out, undefined if cut off. */
  #try(candidate: Unpacker): MsgValue | null | undefined {
    let value: MsgValue | undefined;
    try {
      value = candidate.next();
    } catch (e) {
      if (e instanceof MsgpackError) return null;
      throw e;
    }
    if (value === undefined) return undefined;
    if (!this.#validator(value)) return null;
    this.#unpacker = candidate;
    this.#resyncing = false;
    this.#data = Buffer.alloc(0);
    this.#pending = [];
    return value;
  }
}
