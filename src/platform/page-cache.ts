// Page cache advice, as borg gives it: files a backup has read and segments it has made durable or
// has finished reading are dropped from the page cache (posix_fadvise DONTNEED), so that a backup
// does not push everything else out of memory, and the freed pages serve what is read next.
import { nativeAvailable, posixFadvise } from './native.js';

/** Whether the addon (and with it posix_fadvise) is there; looked up at first use. */
let canAdvise: boolean | undefined;

/**
 * Drops the cached pages of [offset, offset + length) of `fd` (length 0: to the end of the file).
 * The kernel drops only whole pages (and whole page-cache folios, which can be megabytes). Advice
 * only: without the addon, or where the file system refuses, nothing happens.
 */
export function dropPageCache(fd: number, offset = 0, length = 0): void {
  if (!(canAdvise ??= nativeAvailable())) return;
  try {
    posixFadvise(fd, offset, length, 'dontneed');
  } catch {
    // Advice only.
  }
}
