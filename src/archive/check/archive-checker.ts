// The archive half of `check` (spec §5.7; borg's ArchiveChecker): list every object, find the key,
// optionally verify every object cryptographically, load the manifest (or rebuild it from the archive
// metadata objects), walk the selected archives counting references and repairing what can be
// repaired, then report — and with --repair delete — objects nothing refers to. Repairs are one
// transaction, committed at the end together with the new manifest.
import { SecurityDir } from '../../cache/security-dir.js';
import { MANIFEST_ID, UnsupportedPayloadError, type Key } from '../../crypto/index.js';
import { IntegrityError } from '../../errors.js';
import { ChunkIndex } from '../../format/chunk-index.js';
import { SILENT_PROGRESS, type ProgressSink } from '../../progress.js';
import type { Repository } from '../../repository/repository.js';
import { loadKey, type KeyAccess } from '../key-store.js';
import { InvalidManifest, Manifest } from '../manifest.js';
import { CheckContext, type CheckContextOptions } from './check-context.js';
import { classify, type ArchiveFinding } from './findings.js';
import { isObjectError } from './object-reader.js';
import { rebuildManifest } from './rebuild-manifest.js';
import { rebuildRefcounts, selectsAll, type ArchiveSelection } from './rebuild-refcounts.js';
import { verifyData, type VerifyDataOptions } from './verify-data.js';

export interface ArchiveCheckOptions extends ArchiveSelection {
  /** Write repairs (replacement chunks, rewritten archives, new manifest, deletions) and commit. */
  repair?: boolean;
  /** Open and authenticate every object first (--verify-data). */
  verifyData?: boolean;
  /** How to find and unlock the key (the check needs no manifest for that). */
  keyAccess: KeyAccess;
  /** borg's BORG_WORKAROUNDS=ignore_invalid_archive_tam: an invalid archive TAM counts as absent. */
  ignoreInvalidArchiveTam?: boolean;
  /** Worker threads for --verify-data (default 1: inline). */
  workers?: number;
  /** Objects per verify worker below which fewer threads are started (tests set 0). */
  objectsPerWorker?: number;
  onFinding?: (finding: ArchiveFinding) => void;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface ArchiveCheckResult {
  /** False when problems were found and not repaired (the command then exits with 1). */
  ok: boolean;
  problemsFound: boolean;
}

/** borg's LIST_SCAN_LIMIT: ids per list call. */
const LIST_LIMIT = 100000;
/** Objects tried before giving up on finding one whose type names a key. */
const KEY_ATTEMPTS = 999;

/** Every object id of the repository, each with refcount 0 (borg's init_chunks). */
async function listAll(repository: Repository): Promise<ChunkIndex> {
  const chunks = new ChunkIndex();
  let marker: Buffer | null = null;
  for (;;) {
    const page: Buffer[] = await repository.list(LIST_LIMIT, marker);
    if (page.length === 0) return chunks;
    for (const id of page) chunks.set(id, 0, 0, 0);
    marker = page[page.length - 1]!;
  }
}

/** Object ids to find the key with: the manifest first, then the others in table order. */
function* keyCandidates(chunks: ChunkIndex): Iterable<Buffer> {
  if (chunks.has(MANIFEST_ID)) yield MANIFEST_ID;
  for (const [id] of chunks.entries()) if (!id.equals(MANIFEST_ID)) yield id;
}

/**
 * The key, found from the type byte of a stored object: the manifest's first, else any other (its
 * type byte may be damaged). Also returns that envelope: the session's first IV lies beyond it.
 */
async function findKey(repository: Repository, chunks: ChunkIndex, access: KeyAccess): Promise<{ key: Key; envelope: Buffer }> {
  let attempts = 0;
  for (const id of keyCandidates(chunks)) {
    if (attempts === KEY_ATTEMPTS) break;
    attempts += 1;
    let envelope: Buffer;
    try {
      envelope = await repository.get(id);
    } catch (e) {
      if (isObjectError(e)) continue;
      throw e;
    }
    if (envelope.length === 0) continue;
    try {
      return { key: (await loadKey(repository, envelope, access)).key, envelope };
    } catch (e) {
      if (!(e instanceof UnsupportedPayloadError)) throw e;
    }
  }
  throw new IntegrityError(`Cannot find the key: no object names a known key type (tried ${attempts} objects)`);
}

export async function checkArchives(repository: Repository, options: ArchiveCheckOptions): Promise<ArchiveCheckResult> {
  const report = (finding: ArchiveFinding) => options.onFinding?.(finding);
  report(classify({ kind: 'check-started' }));
  const chunks = await listAll(repository);
  if (chunks.count === 0) {
    report(classify({ kind: 'no-data' }));
    return { ok: false, problemsFound: true };
  }
  const security = new SecurityDir(repository.id.toString('hex'), options.keyAccess.env);
  const access: KeyAccess = { tamRequiredIfAbsent: security.tamRequired, ...options.keyAccess };
  const { key, envelope } = await findKey(repository, chunks, access);
  const repair = options.repair ?? false;
  const contextOptions: CheckContextOptions = {
    repository, key, repair, security, chunks, ivEnvelope: envelope, onFinding: options.onFinding, progress: options.progress, signal: options.signal,
  };
  const verifyOptions = { workers: options.workers ?? 1, objectsPerWorker: options.objectsPerWorker };
  const walk = async (ctx: CheckContext): Promise<Manifest> => {
    const manifest = await loadOrRebuildManifest(ctx, options.ignoreInvalidArchiveTam ?? false);
    await rebuildRefcounts(ctx, manifest, options);
    return manifest;
  };
  let ctx: CheckContext;
  let manifest: Manifest;
  if (options.verifyData && canOverlap(repository, repair, options.progress)) {
    ({ ctx, manifest } = await verifyWhileWalking(contextOptions, verifyOptions, walk));
  } else {
    ctx = new CheckContext(contextOptions);
    if (options.verifyData) await verifyData(ctx, verifyOptions);
    manifest = await walk(ctx);
  }
  await orphansCheck(ctx, selectsAll(options));
  if (repair) {
    ctx.report({ kind: 'manifest-writing' });
    await manifest.write(repository, await ctx.writer());
    ctx.report({ kind: 'committing' });
    await repository.commit({ compact: false });
  }
  ctx.report({ kind: 'check-finished', problems: ctx.errorFound });
  return { ok: repair || !ctx.errorFound, problemsFound: ctx.errorFound };
}

/**
 * --verify-data and the archive walk can run at the same time when neither changes what the other
 * sees (no repair: verification deletes nothing), the objects are read straight from local segments
 * (no second stream of requests to a server), and no progress lines of the two would interleave.
 */
function canOverlap(repository: Repository, repair: boolean, progress: ProgressSink | undefined): boolean {
  return !repair && repository.scanData !== undefined && (progress === undefined || progress === SILENT_PROGRESS);
}

/**
 * Verifies every object (worker threads doing most of the work) while this thread walks the archives.
 * The walk's findings are held back until verification has finished, so the report reads exactly as
 * if one had run after the other.
 */
async function verifyWhileWalking(
  contextOptions: CheckContextOptions, verifyOptions: VerifyDataOptions, walk: (ctx: CheckContext) => Promise<Manifest>,
): Promise<{ ctx: CheckContext; manifest: Manifest }> {
  const onFinding = contextOptions.onFinding;
  let held: ArchiveFinding[] | null = [];
  const walkCtx = new CheckContext({ ...contextOptions, onFinding: (finding) => (held === null ? onFinding?.(finding) : held.push(finding)) });
  const verifyCtx = new CheckContext(contextOptions);
  const walking = walk(walkCtx);
  // A failure of the walk is raised after verification, in report order.
  walking.catch(() => undefined);
  const release = (): void => {
    const pending = held ?? [];
    held = null;
    for (const finding of pending) onFinding?.(finding);
  };
  try {
    await verifyData(verifyCtx, verifyOptions);
  } catch (e) {
    // Not left running behind the error (it may use the repository that is closed next).
    await walking.catch(() => undefined);
    release();
    throw e;
  }
  release();
  const manifest = await walking;
  if (verifyCtx.errorFound) walkCtx.errorFound = true;
  return { ctx: walkCtx, manifest };
}

async function loadOrRebuildManifest(ctx: CheckContext, ignoreInvalidArchiveTam: boolean): Promise<Manifest> {
  if (!ctx.chunks.has(MANIFEST_ID)) {
    ctx.report({ kind: 'manifest-missing' });
    return rebuildManifest(ctx, { ignoreInvalidArchiveTam });
  }
  try {
    return await Manifest.load(ctx.repository, ctx.key, ctx.codec, ['check']);
  } catch (e) {
    // A manifest from a newer version or with unknown mandatory features is not damage: never rebuild it.
    if (!(e instanceof IntegrityError) && !(e instanceof InvalidManifest)) throw e;
    ctx.report({ kind: 'manifest-corrupted', reason: e.message });
    ctx.chunks.delete(MANIFEST_ID);
    return rebuildManifest(ctx, { ignoreInvalidArchiveTam });
  }
}

/**
 * Objects no checked archive refers to. Only meaningful when every archive was checked; those that
 * archive rewrites replaced are deleted quietly, the others are reported as orphans.
 */
async function orphansCheck(ctx: CheckContext, checkedAll: boolean): Promise<void> {
  if (!checkedAll) {
    ctx.report({ kind: 'orphans-check-skipped' });
    return;
  }
  const unused: Buffer[] = [];
  for (const [id, refcount] of ctx.chunks.entries()) if (refcount === 0) unused.push(id);
  const orphaned = unused.filter((id) => !ctx.possiblySuperseded.has(id.toString('hex')));
  if (orphaned.length > 0) ctx.report({ kind: 'orphans-found', ids: orphaned });
  if (ctx.repair && unused.length > 0) {
    ctx.report({ kind: 'orphans-deleting', orphaned: orphaned.length, superseded: ctx.possiblySuperseded.size });
    for (const id of unused) {
      ctx.checkAborted();
      await ctx.repository.delete(id);
    }
    ctx.report({ kind: 'orphans-deleted' });
  }
}
