// Durable file writes (spec §1.16): borg's SyncFile and SaveFile.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** fsyncs a directory so that a rename or create inside it survives a crash. */
export function syncDir(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return; // some file systems refuse to open directories; nothing more we can do there
  }
  try {
    fsyncSync(fd);
  } catch {
    // EINVAL on file systems without directory fsync: the rename is still atomic
  } finally {
    closeSync(fd);
  }
}

/** File content: bytes, text, or pieces written in order (large files without joining them in memory). */
export type FileData = Uint8Array | string | readonly Uint8Array[];

/** Creates `path` exclusively, writes `data`, flushes it to disk and syncs the directory. */
export function syncFile(path: string, data: FileData, mode = 0o666): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    const pieces = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const bytes of pieces) {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dirname(path));
}

/**
 * Replaces `path` atomically: readers see the old or the new content, never a mix, and the new
 * content is on disk before it becomes visible.
 */
export function saveFile(path: string, data: FileData, mode = 0o666): void {
  const tmp = join(dirname(path), `${basename(path)}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    syncFile(tmp, data, mode);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw e;
  }
  syncDir(dirname(path));
}
