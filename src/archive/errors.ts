// Errors about archives as a whole. borg nests these in its Archive class, so their msgid is
// "Archive.DoesNotExist" / "Archive.AlreadyExists" (the repository has errors with the same bare
// names; the msgid tells the exit-code table which one is meant).

import { BorgError, UsageError } from '../errors.js';

export class ArchiveDoesNotExist extends BorgError {
  constructor(readonly archiveName: string) {
    super(`Archive ${archiveName} does not exist`, { code: 'DoesNotExist', msgid: 'Archive.DoesNotExist', args: [archiveName] });
  }
}

export class ArchiveAlreadyExists extends BorgError {
  constructor(readonly archiveName: string) {
    super(`Archive ${archiveName} already exists`, { code: 'AlreadyExists', msgid: 'Archive.AlreadyExists', args: [archiveName] });
  }
}

/** A name borg would refuse for an archive (argparse's archivename_validator). */
export class InvalidArchiveName extends UsageError {
  constructor(readonly archiveName: string, reason?: string) {
    super(`Invalid archive name: "${archiveName}"${reason === undefined ? '' : ` (${reason})`}`, { args: [archiveName] });
  }
}

