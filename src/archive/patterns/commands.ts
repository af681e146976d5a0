// The command language of --pattern / --patterns-from and the plain lines of --exclude /
// --exclude-from, as borg's argparse actions apply them: every option appends to the same two
// lists (recursion roots and patterns) in command-line order.
//
//   R path / r path   add a recursion root (create)
//   P style / p style  default style for the following lines of the same file
//   + pattern         include
//   - pattern         exclude, but still descend (a later + can re-include something below)
//   ! pattern         exclude and do not descend
//
// --exclude lines are `!` commands whose default style is fm; pattern files default to sh.

import { readFile } from 'node:fs/promises';

import { InvalidPatternCommand, PatternFileError, UnknownPatternStyle } from './errors.js';
import { parsePattern, patternStyle, type Pattern, type PatternStyle } from './pattern.js';

/** borg's IECommand values that select files. */
export type PatternCommandKind = 'Include' | 'Exclude' | 'ExcludeNoRecurse';

/** A pattern with what to do on a match (borg's CmdTuple(val, cmd)). */
export interface PatternCommand {
  readonly pattern: Pattern;
  readonly cmd: PatternCommandKind;
}

/** One parsed --pattern value or pattern-file line. */
export type InclExclCommand =
  | { readonly cmd: 'RootPath'; readonly path: string }
  | { readonly cmd: 'PatternStyle'; readonly style: PatternStyle }
  | PatternCommand;

/** What the options fill, like borg's `args.paths` and `args.patterns`. */
export interface PatternArguments {
  paths: string[];
  patterns: PatternCommand[];
}

const COMMAND_CHARS: Readonly<Record<string, InclExclCommand['cmd']>> = {
  '-': 'Exclude', '!': 'ExcludeNoRecurse', '+': 'Include', R: 'RootPath', r: 'RootPath', P: 'PatternStyle', p: 'PatternStyle',
};

/** Everything except ExcludeNoRecurse lets the walker descend into a matched directory. */
export function commandRecursesDir(cmd: PatternCommandKind): boolean {
  return cmd !== 'ExcludeNoRecurse';
}

/** Whether a command includes what it matches. */
export function isIncludeCommand(cmd: PatternCommandKind): boolean {
  return cmd === 'Include';
}

/** One --exclude value or --exclude-from line: exclude, do not recurse; default style fm. */
export function parseExcludePattern(text: string, defaultStyle: PatternStyle = 'fm'): PatternCommand {
  return { pattern: parsePattern(text, defaultStyle, { recurseDir: false }), cmd: 'ExcludeNoRecurse' };
}

/** One --pattern value or pattern-file line (borg's parse_inclexcl_command); the line is used as is. */
export function parseInclExclCommand(line: string, defaultStyle: PatternStyle = 'sh'): InclExclCommand {
  if (line === '') throw new InvalidPatternCommand(line, 'it is empty');
  const chars = Array.from(line);
  const cmd = COMMAND_CHARS[chars[0]!];
  if (cmd === undefined) throw new InvalidPatternCommand(line, 'it must start with one of -, !, +, R, r, P, p');
  const value = pyLstrip(chars.slice(1).join(''));
  if (value === '') throw new InvalidPatternCommand(line, 'it has nothing after the command character');
  switch (cmd) {
    case 'RootPath':
      return { cmd, path: value };
    case 'PatternStyle':
      try {
        return { cmd, style: patternStyle(value) };
      } catch (error) {
        if (error instanceof UnknownPatternStyle) throw new InvalidPatternCommand(line, `unknown pattern style "${value}"`);
        throw error;
      }
    default:
      return { cmd, pattern: parsePattern(value, defaultStyle, { recurseDir: commandRecursesDir(cmd) }) };
  }
}

/** Applies one pattern-file line; returns the default style for the next line (changed by `P`). */
export function parsePatternFileLine(line: string, into: PatternArguments, defaultStyle: PatternStyle): PatternStyle {
  const command = parseInclExclCommand(line, defaultStyle);
  if (command.cmd === 'RootPath') into.paths.push(command.path);
  else if (command.cmd === 'PatternStyle') return command.style;
  else into.patterns.push(command);
  return defaultStyle;
}

/**
 * `--pattern VALUE`: the raw value (not stripped), always with default style sh — a `P` given
 * through --pattern changes nothing, as in borg.
 */
export function addPatternOption(value: string, into: PatternArguments): void {
  parsePatternFileLine(value, into, 'sh');
}

/** `--patterns-from` content: each file starts with default style sh. */
export function loadPatternFile(text: string, into: PatternArguments, options: { defaultStyle?: PatternStyle } = {}): void {
  let style = options.defaultStyle ?? 'sh';
  for (const line of cleanLines(text)) style = parsePatternFileLine(line, into, style);
}

/** `--exclude-from` content: every line is an exclude pattern (fm unless prefixed). */
export function loadExcludeFile(text: string, into: PatternArguments): void {
  for (const line of cleanLines(text)) into.patterns.push(parseExcludePattern(line));
}

/**
 * The lines of a pattern file as borg reads them: split at "\n", "\r\n" or "\r" (Python's
 * universal newlines), stripped of Python whitespace at both ends, without blank lines and lines
 * starting with "#" (a "#" later in a line is part of the pattern).
 */
export function cleanLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map(pyStrip).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Reads a --patterns-from/--exclude-from file as UTF-8 (a byte-order mark stays a character, as
 * in Python). Missing files and other failures become PatternFileError.
 */
export async function readPatternFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'No such file or directory' : code === 'EISDIR' ? 'Is a directory'
      : code === 'EACCES' ? 'Permission denied' : (error as Error).message;
    throw new PatternFileError(path, reason, error);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new PatternFileError(path, 'it is not valid UTF-8', error);
  }
}

/** Python's str.isspace() characters, which str.strip()/lstrip() remove. */
const PY_SPACE = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const LEADING_SPACE = new RegExp(`^${PY_SPACE}+`);
const TRAILING_SPACE = new RegExp(`${PY_SPACE}+$`);

function pyLstrip(text: string): string {
  return text.replace(LEADING_SPACE, '');
}

function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
}
