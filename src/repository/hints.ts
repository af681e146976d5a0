// The bookkeeping persisted in `hints.<T>` (spec §1.8) and its msgpack form. Shadow-index ids are kept
// as 32-char latin1 strings (one char per byte): compact in memory and exactly the map keys our
// msgpack decoder produces.
import { decode, encode, isMap, type MsgKey, type MsgValue } from '../format/msgpack.js';

export interface Hints {
  /** Per segment: number of live PUT entries (objects currently in the index). */
  segments: Map<number, number>;
  /** Per segment: bytes that compaction could free. */
  compact: Map<number, number>;
  /** Bytes of all PUT entries physically present in committed segments. */
  storageQuotaUse: number;
  /** Per deleted/overwritten id: segments that still hold an older PUT of it. */
  shadowIndex: Map<string, number[]>;
}

/** `m[key] += delta`, a missing key counting as 0 (also used with delta 0 as "setdefault"). */
export function addCount(m: Map<number, number>, key: number, delta: number): void {
  m.set(key, (m.get(key) ?? 0) + delta);
}

export function emptyHints(): Hints {
  return { segments: new Map(), compact: new Map(), storageQuotaUse: 0, shadowIndex: new Map() };
}

/** What `decodeHints` found: a v2 file, or a v1 file whose compact data must be recomputed. */
export type DecodedHints = { version: 2; hints: Hints } | { version: 1; segments: Map<number, number>; compactSegments: number[] };

export function encodeHints(h: Hints): Buffer {
  const num = (m: Map<number, number>): Map<MsgKey, MsgValue> => new Map(m);
  const shadow = new Map<MsgKey, MsgValue>();
  for (const [id, segs] of h.shadowIndex) shadow.set(Buffer.from(id, 'latin1'), segs);
  // Key order as borg writes it (readers do not care).
  return encode({
    version: 2,
    segments: num(h.segments),
    compact: num(h.compact),
    storage_quota_use: h.storageQuotaUse,
    shadow_index: shadow,
  });
}

function intMap(value: MsgValue | undefined, what: string): Map<number, number> {
  if (!isMap(value)) throw new TypeError(`hints: '${what}' is not a map`);
  const out = new Map<number, number>();
  for (const [k, v] of Object.entries(value)) {
    if (!/^-?\d+$/.test(k) || typeof v !== 'number') throw new TypeError(`hints: bad entry in '${what}'`);
    out.set(Number(k), v);
  }
  return out;
}

export function decodeHints(bytes: Uint8Array): DecodedHints {
  const h = decode(bytes);
  if (!isMap(h)) throw new TypeError('hints: not a map');
  if (h['version'] === 1) {
    const c = h['compact'];
    const compactSegments = Array.isArray(c) ? c.map(Number) : [...intMap(c, 'compact').keys()];
    return { version: 1, segments: intMap(h['segments'], 'segments'), compactSegments };
  }
  if (h['version'] !== 2) throw new TypeError(`hints: unknown version ${String(h['version'])}`);
  const shadowIndex = new Map<string, number[]>();
  const shadow = h['shadow_index'];
  if (shadow !== undefined) {
    if (!isMap(shadow)) throw new TypeError("hints: 'shadow_index' is not a map");
    for (const [id, segs] of Object.entries(shadow)) {
      if (!Array.isArray(segs)) throw new TypeError("hints: bad entry in 'shadow_index'");
      shadowIndex.set(id, segs.map(Number));
    }
  }
  const quota = h['storage_quota_use'];
  return {
    version: 2,
    hints: {
      segments: intMap(h['segments'], 'segments'),
      compact: intMap(h['compact'], 'compact'),
      storageQuotaUse: typeof quota === 'number' ? quota : typeof quota === 'bigint' ? Number(quota) : 0,
      shadowIndex,
    },
  };
}
