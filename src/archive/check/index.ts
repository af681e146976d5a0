// The archive half of `check` as a library: one call, typed findings through a callback.
export { checkArchives, type ArchiveCheckOptions, type ArchiveCheckResult } from './archive-checker.js';
export type { ArchiveFinding, ArchiveFindingBody, ArchiveFindingKind, FileChunkPosition, FindingSeverity, StreamPosition } from './findings.js';
export type { ArchiveSelection } from './rebuild-refcounts.js';
