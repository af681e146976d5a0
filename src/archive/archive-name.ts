// What makes a valid archive name: borg refuses "/" (mount turns names into directories), "::"
// (the location separator) and the empty name; the manifest reader of borg refuses names over 255
// bytes, so such a name would make the whole repository unreadable for borg.

import { encodeFsString } from '../format/surrogate-escape.js';
import { InvalidArchiveName } from './errors.js';

export const MAX_ARCHIVE_NAME_BYTES = 255;

/** Returns `name` if it is a valid archive name; throws InvalidArchiveName otherwise. */
export function checkArchiveName(name: string): string {
  if (name === '' || name.includes('/') || name.includes('::')) throw new InvalidArchiveName(name);
  if (encodeFsString(name).length > MAX_ARCHIVE_NAME_BYTES) throw new InvalidArchiveName(name, `longer than ${MAX_ARCHIVE_NAME_BYTES} bytes`);
  return name;
}
