// borg-ts as a library: the curated surface that the CLI, the FUSE mount and the web UI are built
// on, for programs that want to read or write borg repositories without spawning a process.
// Everything here is stable within a minor version; deeper imports (borg-ts/dist/...) are not.

// Errors and versions
export { BorgError, IntegrityError, UsageError, EXIT_ERROR, EXIT_SUCCESS, EXIT_WARNING, type BorgErrorJSON } from './errors.js';
export { BORG_VERSION, BORG_VERSION_TUPLE, SUPPORTED_REPOSITORY_FEATURES } from './version.js';
export {
  SILENT_LOG, SILENT_PROGRESS, type LogLevel, type LogSink, type ProgressEvent, type ProgressSink, type WarningRecord, type WarningSink,
} from './progress.js';

// Locations and stores
export { Location, parseLocation, type LocationOptions } from './remote/location.js';
export type { Repository, CheckOptions, CommitOptions } from './repository/repository.js';
export { LocalRepository } from './repository/local-repository.js';

// Keys (modes, passphrase sources)
export { Key, KEY_MODES, type KeyMode, type PassphraseOptions } from './crypto/index.js';

// Opening, creating and reading repositories and archives
export { RepositorySession, openStore, type SessionOptions } from './archive/repository-session.js';
export { initRepository, type InitOptions, type InitResult } from './archive/init-repository.js';
export { Manifest } from './archive/manifest.js';
export { openArchive, archiveItems, fetchChunks, type ArchiveSource, type OpenedArchive } from './archive/archive-reader.js';
export { selectArchives, type ArchiveFilter } from './archive/archive-selection.js';
export type { Item } from './archive/item.js';
export { buildMatcher, parsePattern, parseExcludePattern, PatternMatcher } from './archive/patterns/index.js';
export { openCache } from './cache/cache.js';

// Commands as functions
export { createArchive, type CreateResult } from './archive/create/create-archive.js';
export { extractArchive, type ExtractOptions, type ExtractResult } from './archive/extract/index.js';
export { listArchiveContents, listRepositoryArchives } from './archive/list/list-archives.js';
export { archiveInfo, type ArchiveInfo } from './archive/archive-info.js';
export { calcArchiveStats, repositoryStats } from './archive/archive-stats.js';
export { diffArchives, type DiffOptions, type PathDiff } from './archive/diff.js';
export { renameArchive } from './archive/rename-archive.js';
export { deleteArchives, type DeleteArchivesOptions } from './archive/delete-archives.js';
export { planPrune, pruneArchives, type PruneRules } from './archive/prune/index.js';
export { compactRepository, type CompactOptions } from './archive/compact-repository.js';
export { checkArchives, type ArchiveCheckOptions, type ArchiveCheckResult } from './archive/check/index.js';
export { recreateArchive, type RecreateOptions } from './archive/recreate/recreate-archive.js';
export { exportTar, type ExportTarOptions } from './archive/export-tar.js';
export { importTar, type ImportTarOptions } from './archive/import-tar.js';
