// Ready-made argument and value parsers that several commands share, so that each command file
// declares a repository location or a count the same way borg's argparse types do.

import { UsageError } from '../errors.js';
import { parseLocation } from '../remote/location.js';
import { MIN_STORAGE_QUOTA } from '../repository/config.js';
import { parseFileSize } from '../repository/ini.js';
import type { ArgumentSpec, ValueParser } from './command.js';

export interface LocationArgumentOptions {
  /** "REPOSITORY", "ARCHIVE", "REPOSITORY_OR_ARCHIVE", ... */
  metavar: string;
  description: string;
  /** Whether REPO::ARCHIVE is accepted ('optional'), demanded or refused. */
  archive: 'optional' | 'required' | 'forbidden';
  /** Accept only local or only remote repositories. */
  proto?: 'file' | 'ssh';
  /** May be left out; the repository then comes from BORG_REPO (borg's nargs='?', default ''). */
  optional?: boolean;
}

/** A positional repository/archive location (borg's location_validator); the args key is "location". */
export function locationArgument(options: LocationArgumentOptions): ArgumentSpec {
  const parse: ValueParser = (text, environment) => parseLocation(text, {
    env: environment.env, now: environment.now,
    ...(options.archive === 'required' ? { requireArchive: true } : {}),
    ...(options.archive === 'forbidden' ? { allowArchive: false } : {}),
    ...(options.proto !== undefined ? { proto: options.proto } : {}),
  });
  return {
    name: 'location', metavar: options.metavar, description: options.description, parse,
    ...(options.optional ? { required: false, default: '' } : {}),
  };
}

/** Python's int() for option values: sign, digits, single underscores, blanks around. */
export const integer: ValueParser = (text) => {
  const m = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(text);
  if (m === null) throw new UsageError(`invalid int value: '${text}'`);
  return Number(m[1]!.replaceAll('_', ''));
};

/** borg's positive_int_validator. */
export const positiveInteger: ValueParser = (text, environment) => {
  const value = integer(text, environment) as number;
  if (value <= 0) throw new UsageError(`A positive integer is required: ${text}`);
  return value;
};

/** borg's parse_storage_quota: a size with K/M/G/T/P suffix (powers of 1000), at least 10M. */
export const storageQuota: ValueParser = (text) => {
  let bytes: number;
  try {
    bytes = parseFileSize(text);
  } catch {
    throw new UsageError(`invalid size: '${text}'`);
  }
  if (bytes < MIN_STORAGE_QUOTA) throw new UsageError(`quota is too small (${text}): at least 10M is required`);
  return bytes;
};
