// Mounting archives of an open repository session: choose the layout (one archive, one directory
// per archive, or the versions view), mount, serve until unmounted. The caller holds the
// session (and with it the repository lock) for as long as this runs.
import type { RepositorySession } from '../archive/repository-session.js';
import { openArchive } from '../archive/archive-reader.js';
import { selectArchives, type ArchiveFilter } from '../archive/archive-selection.js';
import { ArchiveTreeBuilder, isWholeArchive, VersionsIndex, type ArchiveTreeCache, type TreeSelection } from '../archive/tree/index.js';
import { BorgError } from '../errors.js';
import { FuseMountError, mountFuse, unmountFuse } from '../platform/fuse-mount.js';
import { ArchiveFileSystem, type MountLayout } from './archive-fs.js';
import { FuseSession } from './fuse/session.js';
import type { MountOptions } from './mount-options.js';

export interface MountLog {
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export interface MountRequest {
  mountpoint: string;
  /** Mount this archive; undefined: the archives `filter` selects. */
  archive?: string | undefined;
  filter: ArchiveFilter;
  options: MountOptions;
  numericIds: boolean;
  selection: TreeSelection;
  /** Where trees of whole archives are kept between mounts (none: always built). */
  trees?: ArchiveTreeCache | undefined;
  /** Decrypted file chunks kept in memory (borg's BORG_MOUNT_DATA_CACHE_ENTRIES). */
  dataCacheEntries: number;
  log: MountLog;
  /** Called once the file system is mounted and served. */
  onMounted?: () => void;
  /** Ends serving: unmounts first when `unmountOnAbort(reason)` says so, else leaves a dead mount (as borg on signals). */
  signal?: AbortSignal;
  unmountOnAbort?: (reason: unknown) => boolean;
}

async function layoutFor(session: RepositorySession, request: MountRequest): Promise<MountLayout> {
  const { options, selection, log } = request;
  if (request.archive !== undefined) {
    if (options.versions) throw new BorgError('for versions view, do not specify a single archive, but always give the repository as location.', { code: 'Error' });
    const archive = await openArchive(session, request.archive);
    if (request.trees !== undefined && isWholeArchive(selection)) {
      return { kind: 'tree', tree: (await request.trees.obtain(session, archive, { onWarning: log.warning, signal: request.signal })).tree };
    }
    const builder = new ArchiveTreeBuilder(session);
    await builder.addArchive(archive, { ...selection, onWarning: log.warning, signal: request.signal });
    return { kind: 'tree', tree: builder.finish() };
  }
  const archives = selectArchives(session.manifest.archives.values(), request.filter);
  if (!options.versions) return { kind: 'repository', archives };
  // The versions view merges every archive: built now, as borg does.
  const builder = new ArchiveTreeBuilder(session);
  const versions = new VersionsIndex();
  for (const entry of archives) {
    const archive = await openArchive(session, entry.name);
    await builder.addArchive(archive, { ...selection, versions, onWarning: log.warning, signal: request.signal });
  }
  return { kind: 'tree', tree: builder.finish() };
}

/** Mounts and serves until the file system is unmounted (or `signal` ends it). */
export async function mountArchives(session: RepositorySession, request: MountRequest): Promise<void> {
  const { options, log } = request;
  const layout = await layoutFor(session, request);
  const fs = new ArchiveFileSystem({ repository: session.repository, codec: session.codec, key: session.key, manifest: session.manifest }, layout, {
    mount: options, numericIds: request.numericIds, selection: request.selection, trees: request.trees, dataCacheEntries: request.dataCacheEntries,
    warn: log.warning, debug: log.debug,
  });
  let fd: number;
  try {
    fd = mountFuse(request.mountpoint, { fsName: options.fsName, subtype: options.subtype, defaultPermissions: options.defaultPermissions, allowOther: options.allowOther || options.allowRoot });
  } catch (e) {
    if (e instanceof FuseMountError) throw new BorgError(`Cannot mount ${request.mountpoint}: ${e.message}`, { code: 'Error' });
    throw e;
  }
  const owner = process.getuid?.() ?? 0;
  const fuse = new FuseSession(fd, fs, {
    ...(options.allowRoot ? { allowedUids: new Set([0, owner]) } : {}),
    onError: (e) => log.error(`fuse: ${e instanceof Error ? e.message : String(e)}`),
  });
  const stop = () => {
    if (request.unmountOnAbort?.(request.signal!.reason) ?? true) {
      try {
        unmountFuse(request.mountpoint, { lazy: true });
      } catch (e) {
        log.error(`Cannot unmount ${request.mountpoint}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Closing the device ends the connection (users of a detached but busy mount get ENOTCONN).
    fuse.close();
  };
  if (request.signal?.aborted) stop();
  request.signal?.addEventListener('abort', stop, { once: true });
  try {
    const serving = fuse.run();
    request.onMounted?.();
    await serving;
  } finally {
    request.signal?.removeEventListener('abort', stop);
  }
}
