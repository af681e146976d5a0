// The archive walk of `check` (borg's rebuild_refcounts): for each selected archive its metadata
// must be present, open and carry a valid archive TAM (borg >= 1.2.5), else the archive leaves the
// manifest. Its items are read robustly, their file chunks checked (and repaired), and the items
// written back as a stream; the metadata is packed again with a fresh TAM under the old salt. Every
// reference met on the way is counted, which gives the refcounts the orphan check needs.
import { MANIFEST_ID, unpackAndVerify } from '../../crypto/index.js';
import { IntegrityError } from '../../errors.js';
import { decode, type MsgMap } from '../../format/msgpack.js';
import { PercentProgress, SILENT_PROGRESS } from '../../progress.js';
import { InvalidArchive, packArchiveMeta } from '../archive-meta.js';
import { selectArchives, type ArchiveFilter } from '../archive-selection.js';
import type { ArchiveEntry, Manifest } from '../manifest.js';
import type { CheckContext } from './check-context.js';
import { countScannedChunks, verifyFileChunks, verifyPresentFileChunks } from './item-check.js';
import { ITEM_LIMITS, ScannedItem } from './item-scanner.js';
import { ItemStreamRewriter, StreamOrigin } from './item-stream-rewriter.js';
import { isObjectError } from './object-reader.js';
import { robustItems } from './robust-items.js';

export interface ArchiveSelection {
  /** Only this archive (REPOSITORY::ARCHIVE). */
  archive?: string | undefined;
  /** --glob-archives (with --prefix already turned into "PREFIX*"), --first, --last, --sort-by. */
  filter?: Pick<ArchiveFilter, 'glob' | 'first' | 'last' | 'sortBy'> | undefined;
}

export interface RebuildRefcountsOptions extends ArchiveSelection {
  ignoreInvalidArchiveTam?: boolean | undefined;
}

/** Whether the selection covers every archive (only then are unreferenced objects orphans). */
export function selectsAll(selection: ArchiveSelection): boolean {
  const f = selection.filter ?? {};
  return selection.archive === undefined && !f.first && !f.last && !f.glob;
}

function chooseArchives(ctx: CheckContext, manifest: Manifest, selection: ArchiveSelection): ArchiveEntry[] | null {
  if (selection.archive !== undefined) {
    const entry = manifest.archives.get(selection.archive);
    if (entry) return [entry];
    ctx.report({ kind: 'archive-not-found', name: selection.archive });
    return null;
  }
  const filter = selection.filter ?? {};
  // check looks at checkpoints too: their objects are referenced like any other.
  const chosen = selectArchives(manifest.archives.values(), { ...filter, considerCheckpoints: true });
  if (filter.glob && chosen.length === 0) ctx.report({ kind: 'glob-no-match', glob: filter.glob });
  if (filter.first && chosen.length < filter.first) ctx.report({ kind: 'too-few-archives', option: 'first', wanted: filter.first, found: chosen.length });
  if (filter.last && chosen.length < filter.last) ctx.report({ kind: 'too-few-archives', option: 'last', wanted: filter.last, found: chosen.length });
  return chosen;
}

export async function rebuildRefcounts(ctx: CheckContext, manifest: Manifest, options: RebuildRefcountsOptions = {}): Promise<void> {
  // The manifest is no archive's object: it never counts as referenced or orphaned.
  ctx.chunks.delete(MANIFEST_ID);
  const archives = chooseArchives(ctx, manifest, options);
  if (archives === null) return;
  const progress = new PercentProgress(ctx.progress ?? SILENT_PROGRESS, {
    total: archives.length, msgid: 'check.rebuild_refcounts', step: 0.1, format: (p) => `Checking archives ${p.toFixed(1).padStart(3)}%`,
  });
  for (const [i, entry] of archives.entries()) {
    ctx.checkAborted();
    progress.show(i);
    ctx.report({ kind: 'archive-started', name: entry.name, position: i + 1, total: archives.length });
    await checkArchive(ctx, manifest, entry, options.ignoreInvalidArchiveTam ?? false);
  }
  progress.finish();
}

async function checkArchive(ctx: CheckContext, manifest: Manifest, entry: ArchiveEntry, ignoreInvalidTam: boolean): Promise<void> {
  const { name, id } = entry;
  if (!ctx.chunks.has(id)) {
    ctx.report({ kind: 'archive-metadata-missing', name, id });
    manifest.archives.delete(name);
    return;
  }
  ctx.markPossiblySuperseded(id);
  let data: Buffer;
  try {
    data = ctx.codec.unpack(id, await ctx.repository.get(id));
  } catch (e) {
    if (!isObjectError(e)) throw e;
    ctx.report({ kind: 'archive-metadata-corrupted', name, id, reason: e.message });
    manifest.archives.delete(name);
    return;
  }
  let unpacked;
  try {
    unpacked = unpackAndVerify(ctx.key, data, 'archive', { required: ctx.key.tamRequired, ignoreInvalidArchiveTam: ignoreInvalidTam });
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    // Without a valid TAM the metadata may be forged: the archive is dropped (borg >= 1.2.5).
    ctx.report({ kind: 'archive-tam-invalid', name, reason: e.message });
    manifest.archives.delete(name);
    return;
  }
  const meta = unpacked.value;
  if (meta['version'] !== 1) throw new InvalidArchive(`Cannot check archive ${name}: unknown archive metadata version`);
  const items = meta['items'];
  if (!Array.isArray(items) || !items.every((i) => Buffer.isBuffer(i) && i.length === 32)) {
    throw new InvalidArchive(`Cannot check archive ${name}: its metadata has no valid item list`);
  }
  const origin = new StreamOrigin();
  const rewriter = new ItemStreamRewriter(ctx, origin);
  for await (const batch of robustItems(ctx, name, items as Buffer[], manifest.itemKeys, origin)) {
    for (const entry of batch) {
      let item: MsgMap;
      if (entry instanceof ScannedItem) {
        if (countScannedChunks(ctx, entry)) {
          const flushing = rewriter.addScanned(entry);
          if (flushing !== undefined) await flushing;
          continue;
        }
        // A chunk is missing: the full path, on the map the stream decoder would have given.
        item = decode(entry.raw, ITEM_LIMITS) as MsgMap;
        await verifyFileChunks(ctx, name, item);
      } else {
        item = entry;
        if (item['chunks'] !== undefined && !verifyPresentFileChunks(ctx, name, item)) await verifyFileChunks(ctx, name, item);
      }
      const flushing = rewriter.add(item);
      if (flushing !== undefined) await flushing;
    }
  }
  const newItems = await rewriter.finish();
  // Old item-stream chunks that the rewrite no longer uses are superseded, not orphans.
  for (const old of items as Buffer[]) ctx.markPossiblySuperseded(old);
  meta['items'] = newItems;
  const packed = packArchiveMeta(ctx.key, meta, unpacked.salt);
  manifest.archives.set(name, { name, id: await ctx.storeData(packed), time: entry.time });
}
