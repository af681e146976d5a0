// The one error hierarchy of borg-ts (see DESIGN.md, "Error hierarchy").
//
// Every error meant for the user derives from BorgError: it carries borg's class name as `code`
// (these names cross the RPC boundary and worker threads), an exit code, and a one-line message.
// Anything that is not a BorgError is a bug: cli/main.ts prints it with a trace only under --debug.

export const EXIT_SUCCESS = 0;
export const EXIT_WARNING = 1;
export const EXIT_ERROR = 2;

export interface BorgErrorJSON {
  code: string;
  message: string;
  exitCode: number;
  args: unknown[];
}

export class BorgError extends Error {
  /** borg's exception class name, e.g. "DoesNotExist"; stable across RPC and workers. */
  readonly code: string;
  readonly exitCode: number;
  /** Positional arguments as borg's exception would carry them (sent over RPC as exception_args). */
  readonly args: unknown[];
  /** borg's qualified class name where the bare code is ambiguous (e.g. "Repository.DoesNotExist"). */
  readonly msgid?: string;

  constructor(message: string, options: { code?: string; exitCode?: number; args?: unknown[]; cause?: unknown; msgid?: string } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options.code ?? new.target.name;
    this.name = this.code;
    this.exitCode = options.exitCode ?? EXIT_ERROR;
    this.args = options.args ?? [];
    if (options.msgid !== undefined) this.msgid = options.msgid;
  }

  toJSON(): BorgErrorJSON {
    return { code: this.code, message: this.message, exitCode: this.exitCode, args: this.args };
  }

  /** Rebuilds an error that crossed a thread or process boundary. */
  static fromJSON(json: BorgErrorJSON): BorgError {
    return new BorgError(json.message, { code: json.code, exitCode: json.exitCode, args: json.args });
  }
}

/** Raised for bad command-line or option values (exit code 2, like argparse errors). */
export class UsageError extends BorgError {}

/** An integrity problem in data read from a repository, cache or key. */
export class IntegrityError extends BorgError {}
