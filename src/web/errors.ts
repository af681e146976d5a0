// Errors of the web server: a BorgError with the HTTP status it is answered with. Library errors
// (BorgError without a status) become 404 when something does not exist, 400 for bad input
// (patterns), 409 for locks, else 500 — always with a one-line JSON message, never a trace.
import { BorgError, UsageError } from '../errors.js';

export class WebError extends BorgError {
  constructor(readonly status: number, message: string) {
    super(message, { code: 'WebError' });
  }
}

const NOT_FOUND = new Set(['DoesNotExist', 'ArchiveDoesNotExist', 'ObjectNotFound']);
const BAD_INPUT = new Set(['InvalidRegex', 'UnsupportedRegex', 'InvalidPattern', 'UnknownPatternStyle']);
const BUSY = new Set(['LockTimeout', 'LockFailed', 'LockError']);

/** The status and message an error is answered with. */
export function errorResponse(error: unknown): { status: number; message: string } {
  if (error instanceof WebError) return { status: error.status, message: error.message };
  if (error instanceof BorgError) {
    if (NOT_FOUND.has(error.code)) return { status: 404, message: error.message };
    if (BAD_INPUT.has(error.code) || error instanceof UsageError) return { status: 400, message: error.message };
    if (BUSY.has(error.code)) return { status: 409, message: error.message };
    return { status: 500, message: error.message };
  }
  return { status: 500, message: 'Internal error' };
}
