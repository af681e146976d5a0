// What the archive half of `check` reports (spec §5.7). Findings are typed values: the library decides
// what happened and how serious it is; a shell (cli/commands/check.ts, a web UI) decides the wording
// and the exit code. `problem` marks what borg counts as "problems found" (check exit code 1); a few
// findings are logged as errors or warnings by borg without counting as one, and keep that here.

export type FindingSeverity = 'debug' | 'info' | 'warning' | 'error';

/** Where in an archive's item stream: the archive, the position of the item-stream chunk, its id. */
export interface StreamPosition {
  archive: string;
  /** Index of the item-stream chunk in the archive's `items` list. */
  index: number;
  id: Buffer;
}

/** A file chunk of an item: byte range of the file it covers and its id. */
export interface FileChunkPosition {
  archive: string;
  path: string;
  offset: number;
  size: number;
  id: Buffer;
}

export type ArchiveFindingBody =
  | { kind: 'check-started' }
  | { kind: 'check-finished'; problems: boolean }
  | { kind: 'no-data' }
  // manifest
  | { kind: 'manifest-missing' }
  | { kind: 'manifest-corrupted'; reason: string }
  | { kind: 'manifest-rebuild-started' }
  | { kind: 'object-skipped'; id: Buffer; reason: string }
  | { kind: 'archive-found'; name: string }
  | { kind: 'archive-name-duplicate'; name: string; storedAs: string }
  | { kind: 'archive-tam-rejected'; name: string; reason: string }
  | { kind: 'manifest-rebuilt' }
  // --verify-data
  | { kind: 'verify-started' }
  | { kind: 'object-unreadable'; id: Buffer; reason: string }
  | { kind: 'object-corrupted'; id: Buffer; reason: string }
  | { kind: 'object-count-mismatch'; index: number; segments: number }
  | { kind: 'defect-objects'; ids: Buffer[]; repair: boolean }
  | { kind: 'defect-object-deleted'; id: Buffer }
  | { kind: 'defect-object-kept'; id: Buffer }
  | { kind: 'verify-finished'; verified: number; errors: number }
  // archive selection
  | { kind: 'archive-not-found'; name: string }
  | { kind: 'glob-no-match'; glob: string }
  | { kind: 'too-few-archives'; option: 'first' | 'last'; wanted: number; found: number }
  // archives
  | { kind: 'archive-started'; name: string; position: number; total: number }
  | { kind: 'archive-metadata-missing'; name: string; id: Buffer }
  | { kind: 'archive-metadata-corrupted'; name: string; id: Buffer; reason: string }
  | { kind: 'archive-tam-invalid'; name: string; reason: string }
  // item streams and items
  | ({ kind: 'item-chunk-missing' } & StreamPosition)
  | ({ kind: 'item-chunk-corrupted'; reason: string } & StreamPosition)
  | ({ kind: 'item-invalid'; reason: string } & StreamPosition)
  | ({ kind: 'item-stream-resync' } & StreamPosition)
  // file chunks
  | ({ kind: 'file-chunk-missing' } & FileChunkPosition)
  | ({ kind: 'file-chunk-still-missing' } & FileChunkPosition)
  | ({ kind: 'replacement-chunk-missing' } & FileChunkPosition)
  | ({ kind: 'file-chunk-healed' } & FileChunkPosition)
  | { kind: 'file-healed'; archive: string; path: string }
  | { kind: 'chunks-healthy-invalid'; archive: string; path: string }
  | { kind: 'size-inconsistent'; archive: string; path: string; size: number; chunksSize: number }
  // orphans and the end
  | { kind: 'orphans-found'; ids: Buffer[] }
  | { kind: 'orphans-deleting'; orphaned: number; superseded: number }
  | { kind: 'orphans-deleted' }
  | { kind: 'orphans-check-skipped' }
  | { kind: 'manifest-writing' }
  | { kind: 'committing' };

export type ArchiveFindingKind = ArchiveFindingBody['kind'];

export type ArchiveFinding = ArchiveFindingBody & {
  severity: FindingSeverity;
  /** Counts as a problem found (a non-repairing check then fails). */
  problem: boolean;
};

/** Severity of each kind; entries with `problem` make a check without --repair fail. */
const LEVELS: Record<ArchiveFindingKind, [FindingSeverity, boolean]> = {
  'check-started': ['info', false],
  'check-finished': ['info', false],
  'no-data': ['error', true],
  'manifest-missing': ['error', true],
  'manifest-corrupted': ['error', true],
  'manifest-rebuild-started': ['info', false],
  'object-skipped': ['error', true],
  'archive-found': ['info', false],
  'archive-name-duplicate': ['warning', false],
  'archive-tam-rejected': ['error', true],
  'manifest-rebuilt': ['info', false],
  'verify-started': ['info', false],
  'object-unreadable': ['error', true],
  'object-corrupted': ['error', true],
  // borg logs the mismatch as an error but does not count it as a problem.
  'object-count-mismatch': ['error', false],
  'defect-objects': ['warning', false],
  'defect-object-deleted': ['debug', false],
  'defect-object-kept': ['warning', false],
  'verify-finished': ['info', false],
  'archive-not-found': ['error', true],
  'glob-no-match': ['warning', false],
  'too-few-archives': ['warning', false],
  'archive-started': ['info', false],
  'archive-metadata-missing': ['error', true],
  'archive-metadata-corrupted': ['error', true],
  'archive-tam-invalid': ['error', true],
  'item-chunk-missing': ['error', true],
  'item-chunk-corrupted': ['error', true],
  'item-invalid': ['error', true],
  'item-stream-resync': ['error', true],
  'file-chunk-missing': ['error', true],
  'file-chunk-still-missing': ['info', false],
  // A lost replacement is generated again: borg warns, but counts it as a problem.
  'replacement-chunk-missing': ['warning', true],
  'file-chunk-healed': ['info', false],
  'file-healed': ['info', false],
  'chunks-healthy-invalid': ['warning', false],
  // Kept as it is, so that extract can warn about it too: not a problem of the repository.
  'size-inconsistent': ['warning', false],
  'orphans-found': ['error', true],
  'orphans-deleting': ['info', false],
  'orphans-deleted': ['info', false],
  'orphans-check-skipped': ['info', false],
  'manifest-writing': ['info', false],
  committing: ['info', false],
};

/** The finding with its severity; `verify-finished` and `check-finished` are errors when something was wrong. */
export function classify(body: ArchiveFindingBody): ArchiveFinding {
  const [severity, problem] = LEVELS[body.kind];
  if (body.kind === 'verify-finished' && body.errors > 0) return { ...body, severity: 'error', problem: false };
  if (body.kind === 'check-finished' && body.problems) return { ...body, severity: 'error', problem: false };
  return { ...body, severity, problem };
}
