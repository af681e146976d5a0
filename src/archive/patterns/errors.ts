// Errors of the include/exclude pattern machinery. All are argument errors (exit code 2): borg
// reports them through argparse, or dies with a traceback, before touching any repository.

import { BorgError, UsageError } from '../../errors.js';

/** A style prefix ("xx:") or a `P` line names no known pattern style. */
export class UnknownPatternStyle extends UsageError {
  constructor(readonly style: string) {
    super(`Cannot use pattern style "${style}": known styles are fm, pf, pp, re, sh`, { args: [style] });
  }
}

/** A `--pattern` value or `--patterns-from` line is not a valid command (borg's ArgumentTypeError). */
export class InvalidPatternCommand extends UsageError {
  constructor(readonly line: string, reason: string) {
    super(`Cannot parse pattern command "${line}": ${reason}`, { args: [line, reason] });
  }
}

/** Python's `re` would refuse this regular expression (borg dies with re.error). */
export class InvalidRegex extends UsageError {
  constructor(readonly regex: string, readonly reason: string) {
    super(`Cannot compile regular expression "${regex}": ${reason}`, { args: [regex, reason] });
  }
}

/**
 * Python accepts this regular expression but it uses a feature that JavaScript cannot reproduce
 * exactly; refusing it is better than selecting different files than borg would.
 */
export class UnsupportedRegex extends UsageError {
  constructor(readonly regex: string, readonly reason: string) {
    super(`Cannot use regular expression "${regex}": ${reason} is not supported`, { args: [regex, reason] });
  }
}

/** A `--patterns-from`/`--exclude-from` file could not be read (borg: "Error: [Errno 2] ..."). */
export class PatternFileError extends BorgError {
  constructor(readonly path: string, reason: string, cause?: unknown) {
    super(`Cannot read pattern file "${path}": ${reason}`, { args: [path, reason], cause });
  }
}
