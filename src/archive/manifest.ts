// The manifest (spec §5.2): the one object under the all-zero id that lists the archives, the
// repository's feature flags and whether TAMs are required. Every write bumps its timestamp, which
// clients compare (as strings) to notice a rolled-back repository.
import { BorgError } from '../errors.js';
import { SUPPORTED_REPOSITORY_FEATURES } from '../version.js';
import { isMap, keyOf, keyText, type MsgMap, type MsgValue } from '../format/msgpack.js';
import { MANIFEST_ID, packAndAuthenticate, unpackAndVerify, type Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Repository } from '../repository/repository.js';
import { formatUtcIso, nowMicros, parseUtcIso } from './timestamps.js';

/** The 23 item keys borg 1.2 knows (spec §5.4); the manifest lists them so old readers accept items. */
export const ITEM_KEYS: readonly string[] = [
  'acl_access', 'acl_default', 'acl_extended', 'acl_nfs4', 'atime', 'birthtime', 'bsdflags', 'chunks',
  'chunks_healthy', 'ctime', 'gid', 'group', 'hardlink_master', 'mode', 'mtime', 'part', 'path', 'rdev',
  'size', 'source', 'uid', 'user', 'xattrs',
];

/** Borg's manifest unpacker limits (spec §5.2): a manifest over them would be unreadable for borg. */
export const MAX_ARCHIVES = 400000;
const MAX_NAME_BYTES = 255;

const SUPPORTED_FEATURES = SUPPORTED_REPOSITORY_FEATURES;

export type ManifestOperation = 'read' | 'check' | 'write' | 'delete';

export class NoManifestError extends BorgError {
  constructor() {
    super('Repository has no manifest');
  }
}

export class MandatoryFeatureUnsupported extends BorgError {
  constructor(features: string[]) {
    super(`Unsupported repository feature(s) ${features.join(', ')}: a newer version is needed to access this repository`, { args: [features] });
  }
}

export class InvalidManifest extends BorgError {}

export interface ArchiveEntry {
  name: string;
  id: Buffer;
  /** Start time as stored: naive UTC `%Y-%m-%dT%H:%M:%S.%f`. */
  time: string;
}

export class Manifest {
  /** Archives in stored order, by name. */
  readonly archives = new Map<string, ArchiveEntry>();
  timestamp: string | null = null;
  config: MsgMap = Object.create(null) as MsgMap;
  /** Item keys known to the writers of this repository (ours plus any listed). */
  itemKeys = new Set<string>(ITEM_KEYS);
  /** id_hash of the manifest plaintext: the cache remembers it to detect foreign changes. */
  id: Buffer | null = null;
  tamVerified = false;

  constructor(readonly key: Key) {}

  /** Reads and verifies the manifest. The key must already be the repository's key. */
  static async load(repository: Repository, key: Key, codec: ObjectCodec, operations: ManifestOperation[] = ['read']): Promise<Manifest> {
    let envelope: Buffer;
    try {
      envelope = await repository.get(MANIFEST_ID);
    } catch (e) {
      if (e instanceof BorgError && e.code === 'ObjectNotFound') throw new NoManifestError();
      throw e;
    }
    return Manifest.fromEnvelope(envelope, key, codec, operations);
  }

  static fromEnvelope(envelope: Uint8Array, key: Key, codec: ObjectCodec, operations: ManifestOperation[] = ['read']): Manifest {
    const data = codec.unpack(MANIFEST_ID, envelope);
    const { value, verified } = unpackAndVerify(key, data, 'manifest', { required: key.tamRequired });
    const manifest = new Manifest(key);
    manifest.parse(value);
    manifest.id = key.idHash(data);
    manifest.tamVerified = verified;
    manifest.checkCompatibility(operations);
    return manifest;
  }

  private parse(m: MsgMap): void {
    const version = m['version'];
    if (version !== 1 && version !== 2) throw new InvalidManifest('Invalid manifest version');
    const archives = m['archives'];
    if (!isMap(archives)) throw new InvalidManifest('Invalid manifest: archives is not a map');
    // Writers (borg's StableDict, and ours) store the names in byte order; a plain object would list
    // integer-like names ("2024") first, so restore byte order explicitly (latin1 keys sort by byte).
    for (const rawName of Object.keys(archives).sort()) {
      const entry = archives[rawName];
      if (!isMap(entry)) throw new InvalidManifest('Invalid manifest: bad archive entry');
      const id = entry['id'];
      const time = entry['time'];
      if (!Buffer.isBuffer(id) || id.length !== 32 || !Buffer.isBuffer(time)) throw new InvalidManifest('Invalid manifest: bad archive entry');
      const name = keyText(rawName);
      this.archives.set(name, { name, id: Buffer.from(id), time: time.toString('utf8') });
    }
    const timestamp = m['timestamp'];
    this.timestamp = Buffer.isBuffer(timestamp) ? timestamp.toString('utf8') : null;
    const config = m['config'];
    this.config = isMap(config) ? config : (Object.create(null) as MsgMap);
    const itemKeys = m['item_keys'];
    if (Array.isArray(itemKeys)) for (const k of itemKeys) if (Buffer.isBuffer(k)) this.itemKeys.add(k.toString('utf8'));
  }

  /** Mandatory features per operation, as listed in config.feature_flags. */
  mandatoryFeatures(): Map<ManifestOperation, string[]> {
    const result = new Map<ManifestOperation, string[]>();
    const flags = this.config['feature_flags'];
    if (!isMap(flags)) return result;
    for (const op of Object.keys(flags)) {
      const req = flags[op];
      const mandatory = isMap(req) ? req['mandatory'] : undefined;
      if (Array.isArray(mandatory)) {
        result.set(keyText(op) as ManifestOperation, mandatory.map((f) => (Buffer.isBuffer(f) ? f.toString('utf8') : String(f))));
      }
    }
    return result;
  }

  checkCompatibility(operations: ManifestOperation[]): void {
    const mandatory = this.mandatoryFeatures();
    for (const op of operations) {
      const unsupported = (mandatory.get(op) ?? []).filter((f) => !SUPPORTED_FEATURES.has(f));
      if (unsupported.length > 0) throw new MandatoryFeatureUnsupported(unsupported);
    }
  }

  /** The next strictly increasing timestamp (clocks can go backwards). */
  private nextTimestamp(): string {
    const now = nowMicros();
    if (this.timestamp === null) return formatUtcIso(now);
    const incremented = parseUtcIso(this.timestamp) + 1n;
    return formatUtcIso(incremented > now ? incremented : now);
  }

  /** The plaintext the manifest would be stored as, with a fresh TAM. */
  pack(): Buffer {
    if (this.archives.size > MAX_ARCHIVES) throw new InvalidManifest(`Too many archives (more than ${MAX_ARCHIVES})`);
    if (this.key.tamRequired) this.config['tam_required'] = true;
    this.timestamp = this.nextTimestamp();
    const archives = new Map<string, MsgValue>();
    for (const a of this.archives.values()) {
      if (Buffer.byteLength(a.name, 'utf8') > MAX_NAME_BYTES) throw new InvalidManifest(`Archive name too long: ${a.name}`);
      // Borg writes the inner keys in this order (id, time); the outer map is sorted.
      archives.set(keyOf(a.name), { id: a.id, time: a.time });
    }
    const meta: MsgMap = {
      archives,
      config: this.config,
      item_keys: [...this.itemKeys].sort().map((k) => Buffer.from(k, 'utf8')),
      timestamp: this.timestamp,
      version: 1,
    };
    const data = packAndAuthenticate(this.key, meta, 'manifest');
    this.id = this.key.idHash(data);
    this.tamVerified = true;
    return data;
  }

  /** Stores the manifest in the current transaction (the caller commits). */
  async write(repository: Repository, codec: ObjectCodec): Promise<void> {
    const { envelope } = codec.packWithId(MANIFEST_ID, this.pack());
    await repository.put(MANIFEST_ID, envelope);
  }
}
