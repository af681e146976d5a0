// State shared by the steps of the archive check: the chunk table built from the repository's object
// list (refcounts start at 0 and are counted up while walking the archives), the objects that an
// archive rewrite may have replaced, and — in repair mode — a writer for new objects. One place also
// turns findings into the "problems found" verdict.
import { Compressor, parseCompressionSpec } from '../../compress/index.js';
import { IvSupply } from '../../crypto/iv-supply.js';
import { manifestNonce, NonceManager, type IvSource, type Key } from '../../crypto/index.js';
import { ObjectCodec } from '../../crypto/object-codec.js';
import type { ChunkIndex } from '../../format/chunk-index.js';
import type { ProgressSink } from '../../progress.js';
import type { Repository } from '../../repository/repository.js';
import type { SecurityDir } from '../../cache/security-dir.js';
import { nonceStore } from '../repository-session.js';
import type { ChunkRef } from '../item.js';
import { classify, type ArchiveFinding, type ArchiveFindingBody } from './findings.js';

/** Reading needs no IVs; a codec that only unpacks gets this source. */
const NO_IVS: IvSource = {
  take(): bigint {
    throw new Error('The check codec only reads objects');
  },
};

/** The object every new repository object is compressed with (borg's key default). */
const WRITE_COMPRESSION = 'lz4';

export interface CheckContextOptions {
  repository: Repository;
  key: Key;
  repair: boolean;
  security: SecurityDir;
  /** An envelope of this key, for the first IV of this session (the manifest, or what the key came from). */
  ivEnvelope: Buffer | null;
  /** Every object of the repository, refcounts 0 (filled from the repository's object list). */
  chunks: ChunkIndex;
  onFinding?: ((finding: ArchiveFinding) => void) | undefined;
  progress?: ProgressSink | undefined;
  signal?: AbortSignal | undefined;
}

export class CheckContext {
  readonly repository: Repository;
  readonly key: Key;
  readonly repair: boolean;
  /** Opens objects: MAC, decryption, decompression, id check. */
  readonly codec: ObjectCodec;
  /** Every object of the repository: refcount (as counted so far), size, csize. */
  readonly chunks: ChunkIndex;
  /** Hex ids of objects that archive rewrites may have made unreferenced (deleted, not reported). */
  readonly possiblySuperseded = new Set<string>();
  readonly progress: ProgressSink | undefined;
  readonly signal: AbortSignal | undefined;
  errorFound = false;
  readonly #options: CheckContextOptions;
  #writer: { codec: ObjectCodec; ivs: IvSupply | null } | null = null;
  readonly #zeroChunks = new Map<number, { id: Buffer; csize: number }>();

  constructor(options: CheckContextOptions) {
    this.#options = options;
    this.repository = options.repository;
    this.key = options.key;
    this.repair = options.repair;
    this.chunks = options.chunks;
    this.progress = options.progress;
    this.signal = options.signal;
    this.codec = new ObjectCodec(options.key, new Compressor(parseCompressionSpec(WRITE_COMPRESSION)), options.key.encrypted ? NO_IVS : null);
  }

  report(body: ArchiveFindingBody): void {
    const finding = classify(body);
    if (finding.problem) this.errorFound = true;
    this.#options.onFinding?.(finding);
  }

  checkAborted(): void {
    this.signal?.throwIfAborted();
  }

  markPossiblySuperseded(id: Buffer): void {
    if ((this.chunks.get(id)?.refcount ?? 0) === 0) this.possiblySuperseded.add(id.toString('hex'));
  }

  /** Counts one reference to a known object; returns false when the object is not in the table. */
  incref(id: Buffer): boolean {
    return this.chunks.increfIfPresent(id);
  }

  /**
   * Counts a reference to the object holding `data` (borg's add_reference): a new one enters the
   * table and, when repairing, the repository. Returns its id (`knownId` if given: it must be the
   * id of `data`).
   */
  async storeData(data: Buffer, knownId?: Buffer): Promise<Buffer> {
    // A caller that knows the id (the data is an object it read and checked) saves hashing it again.
    const id = knownId ?? this.key.idHash(data);
    if (this.chunks.has(id)) {
      this.chunks.incref(id);
      return id;
    }
    // Without repair nothing is written; the stored size is unknown and never used.
    let csize = 0;
    if (this.repair) {
      const envelope = await this.#pack(id, data);
      csize = envelope.length;
      await this.repository.put(id, envelope);
    }
    this.chunks.add(id, 1, data.length, csize);
    return id;
  }

  /**
   * An all-zero chunk of `size` bytes standing in for a lost one. Like borg, the item records the
   * stored size of a freshly packed envelope, also when such an object exists already.
   */
  async replacementChunk(size: number): Promise<ChunkRef> {
    let zero = this.#zeroChunks.get(size);
    if (!zero) {
      const data = Buffer.alloc(size);
      const id = this.key.idHash(data);
      const envelope = this.repair ? await this.#pack(id, data) : null;
      zero = { id, csize: envelope?.length ?? 0 };
      this.#zeroChunks.set(size, zero);
      if (!this.chunks.has(id)) {
        if (envelope) await this.repository.put(id, envelope);
        this.chunks.add(id, 0, size, zero.csize);
      }
    }
    this.chunks.incref(zero.id);
    return { id: zero.id, size, csize: zero.csize };
  }

  #ensureWriter(): { codec: ObjectCodec; ivs: IvSupply | null } {
    if (this.#writer === null) {
      let ivs: IvSupply | null = null;
      if (this.key.encrypted) {
        const { repository, security, ivEnvelope } = this.#options;
        ivs = new IvSupply(new NonceManager(nonceStore(repository, security), manifestNonce(this.key, ivEnvelope)));
      }
      this.#writer = { codec: new ObjectCodec(this.key, new Compressor(parseCompressionSpec(WRITE_COMPRESSION)), ivs), ivs };
    }
    return this.#writer;
  }

  async #pack(id: Buffer, data: Buffer): Promise<Buffer> {
    const writer = await this.writer();
    return writer.packWithId(id, data).envelope;
  }

  /** A codec that writes new objects, with IVs reserved for the next one (repair only). */
  async writer(): Promise<ObjectCodec> {
    const writer = this.#ensureWriter();
    await writer.ivs?.ensure();
    return writer.codec;
  }
}
