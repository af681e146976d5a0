// Saving an archive (spec §5.3): its metadata object with a valid archive TAM, its entry in the
// manifest, and the commit. Used by create, import-tar and recreate.
import { ArchiveAlreadyExists } from './errors.js';
import { checkArchiveName } from './archive-name.js';
import { hostNames } from '../platform/host-names.js';
import type { ChunkerParams } from '../chunker/index.js';
import { archiveMetaToMsg, packArchiveMeta, type ArchiveMeta } from './archive-meta.js';
import type { ChunkStore } from './chunk-store.js';
import type { ChunkRef } from './item.js';
import type { RepositorySession } from './repository-session.js';
import { formatUtcIso } from './timestamps.js';
import { userInfo } from 'node:os';

/** Totals stored in the archive metadata (borg's Statistics.as_raw_dict). */
export interface ArchiveTotals {
  size: number;
  csize: number;
  nfiles: number;
  sizeParts: number;
  csizeParts: number;
  nfilesParts: number;
}

export interface SaveArchiveOptions {
  name: string;
  items: ChunkRef[];
  cmdline: string[];
  /** Microseconds since the epoch: when the backup started and ended. */
  start: bigint;
  end: bigint;
  /** `--timestamp`: the stored start time; the end becomes timestamp + duration. */
  timestamp?: bigint;
  comment?: string;
  chunkerParams: ChunkerParams;
  totals: ArchiveTotals;
  /** Extra metadata keys (e.g. recreate_cmdline). */
  extra?: Partial<ArchiveMeta>;
  hostname?: string;
  username?: string;
}

export interface SavedArchive {
  id: Buffer;
  meta: ArchiveMeta;
  /** The metadata object as a chunk reference (counted in the archive's statistics). */
  ref: ChunkRef;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

/** Stores the archive metadata and lists the archive in the manifest; the caller commits. */
export async function saveArchive(session: RepositorySession, store: ChunkStore, options: SaveArchiveOptions): Promise<SavedArchive> {
  checkArchiveName(options.name);
  if (session.manifest.archives.has(options.name)) throw new ArchiveAlreadyExists(options.name);
  const duration = options.end - options.start;
  const start = options.timestamp ?? options.start;
  const end = options.timestamp !== undefined ? options.timestamp + duration : options.end;
  const meta: ArchiveMeta = {
    version: 1,
    name: options.name,
    items: options.items.map((r) => r.id),
    cmdline: options.cmdline,
    time: formatUtcIso(start),
    timeEnd: formatUtcIso(end),
    hostname: options.hostname ?? hostNames().hostname,
    username: options.username ?? currentUser(),
    comment: options.comment ?? '',
    chunkerParams: options.chunkerParams,
    size: options.totals.size,
    csize: options.totals.csize,
    nfiles: options.totals.nfiles,
    sizeParts: options.totals.sizeParts,
    csizeParts: options.totals.csizeParts,
    nfilesParts: options.totals.nfilesParts,
    ...options.extra,
  };
  const data = packArchiveMeta(session.key, archiveMetaToMsg(meta));
  await session.prepareWrite();
  const ref = await store.storeChunk(data);
  session.manifest.archives.set(options.name, { name: options.name, id: ref.id, time: meta.time });
  return { id: ref.id, meta, ref };
}
