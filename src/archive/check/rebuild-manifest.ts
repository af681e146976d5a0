// A new manifest for a repository whose manifest is lost or damaged (spec §5.7): every object is
// opened and those that look like archive metadata — a map starting with an archive key, containing
// `cmdline` and a packed `version: 1` — and unpack to a map with the required archive keys are taken
// as archives, if their archive TAM verifies (borg >= 1.2.5: anything else might be forged).
import { unpackAndVerify } from '../../crypto/index.js';
import { IntegrityError } from '../../errors.js';
import type { ChunkIndex } from '../../format/chunk-index.js';
import { decode, isMap, MsgpackError, type MsgMap, type MsgValue } from '../../format/msgpack.js';
import { PercentProgress, SILENT_PROGRESS } from '../../progress.js';
import { Manifest } from '../manifest.js';
import type { CheckContext } from './check-context.js';
import { readObjects } from './object-reader.js';
import { serializeKeys, validMsgpackedDict } from './robust-unpacker.js';

/** Every key archive metadata may start with (borg's ARCHIVE_KEYS; must stay complete). */
export const ARCHIVE_KEYS = [
  'version', 'name', 'items', 'cmdline', 'hostname', 'username', 'time', 'time_end', 'comment', 'chunker_params',
  'recreate_cmdline', 'recreate_source_id', 'recreate_args', 'recreate_partial_chunks',
  'size', 'csize', 'nfiles', 'size_parts', 'csize_parts', 'nfiles_parts',
] as const;
export const REQUIRED_ARCHIVE_KEYS = ['version', 'name', 'items', 'cmdline', 'time'] as const;

const SERIALIZED_ARCHIVE_KEYS = serializeKeys(ARCHIVE_KEYS);
const CMDLINE = Buffer.from('cmdline', 'latin1');
/** `version: 1` as packed in sorted archive metadata: fixstr "version", fixint 1. */
const VERSION_1 = Buffer.from('a776657273696f6e01', 'hex');
/** Ids opened per batch (pipelined reads). */
const BATCH = 256;

/** The table's ids in groups of `size` (no array of all ids: there may be millions). */
function* batches(chunks: ChunkIndex, size: number): Iterable<Buffer[]> {
  let batch: Buffer[] = [];
  for (const [id] of chunks.entries()) {
    batch.push(id);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function looksLikeArchive(data: Buffer): boolean {
  return validMsgpackedDict(data, SERIALIZED_ARCHIVE_KEYS) && data.includes(CMDLINE) && data.includes(VERSION_1);
}

function text(value: MsgMap[string] | undefined): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : '';
}

export interface RebuildManifestOptions {
  ignoreInvalidArchiveTam?: boolean;
}

export async function rebuildManifest(ctx: CheckContext, options: RebuildManifestOptions = {}): Promise<Manifest> {
  ctx.report({ kind: 'manifest-rebuild-started' });
  // The item keys known when the repository was written are lost with the manifest: use ours.
  const manifest = new Manifest(ctx.key);
  const progress = new PercentProgress(ctx.progress ?? SILENT_PROGRESS, {
    total: ctx.chunks.count, msgid: 'check.rebuild_manifest', step: 0.01, format: (p) => `Rebuilding manifest ${p.toFixed(2).padStart(6)}%`,
  });
  for (const batch of batches(ctx.chunks, BATCH)) {
    ctx.checkAborted();
    for await (const read of readObjects(ctx.repository, batch)) {
      progress.show();
      if (read.error) {
        ctx.report({ kind: 'object-skipped', id: read.id, reason: read.error.message });
        continue;
      }
      let data: Buffer;
      try {
        data = ctx.codec.unpack(read.id, read.envelope);
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        ctx.report({ kind: 'object-skipped', id: read.id, reason: e.message });
        continue;
      }
      if (!looksLikeArchive(data)) continue;
      let value: MsgValue;
      try {
        value = decode(data, { maxDepth: 16 });
      } catch (e) {
        if (e instanceof MsgpackError) continue;
        throw e;
      }
      if (!isMap(value) || !REQUIRED_ARCHIVE_KEYS.every((k) => value[k] !== undefined)) continue;
      try {
        unpackAndVerify(ctx.key, data, 'archive', { required: ctx.key.tamRequired, ignoreInvalidArchiveTam: options.ignoreInvalidArchiveTam ?? false });
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
        ctx.report({ kind: 'archive-tam-rejected', name: text(value['name']) || '<unknown>', reason: e.message });
        continue;
      }
      addArchive(ctx, manifest, read.id, text(value['name']), text(value['time']));
    }
  }
  progress.finish();
  ctx.report({ kind: 'manifest-rebuilt' });
  return manifest;
}

/** Lists an archive found by the scan; a second archive of the same name gets a ".N" suffix. */
function addArchive(ctx: CheckContext, manifest: Manifest, id: Buffer, name: string, time: string): void {
  ctx.report({ kind: 'archive-found', name });
  let stored = name;
  if (manifest.archives.has(name)) {
    let i = 1;
    while (manifest.archives.has(`${name}.${i}`)) i += 1;
    stored = `${name}.${i}`;
    ctx.report({ kind: 'archive-name-duplicate', name, storedAs: stored });
  }
  manifest.archives.set(stored, { name: stored, id, time });
}
