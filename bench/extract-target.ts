// Where a tool extracts to in the bench. ext4 keeps deleted inodes out of reuse for 60–300 s
// ("recently deleted": the inode allocator reads the inode table block of every free candidate
// and skips those), so creating 50,000 files soon after as many were deleted elsewhere on the
// file system cost this VM 4–8× the system time (borg's small extract: 3.5 s of system time on a
// fresh file system, 17–30 s after the previous extraction was removed). An extraction's time then
// depended on what the machine had deleted minutes before. As root, each extraction gets a fresh
// ext4 file system (a loop-mounted image in the work dir, made anew each time); otherwise a new
// directory in the work dir.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExtractTarget {
  path: string;
  /** What the target is, for the report. */
  kind: string;
  release: () => void;
}

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** A fresh, empty place to extract `bytes` of content into, named after `name`. */
export function freshExtractTarget(work: string, name: string, bytes: number): ExtractTarget {
  const path = join(work, `extract-${name}`);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  const plain: ExtractTarget = { path, kind: 'a new directory', release: () => rmSync(path, { recursive: true, force: true }) };
  if (process.getuid?.() !== 0) return plain;
  const image = join(work, `extract-${name}.ext4`);
  writeFileSync(image, '');
  // Sparse: room for the content twice over, and inodes for many small files (one per 16 KiB).
  truncateSync(image, Math.max(2 * bytes, 512 << 20));
  const made = run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]) && run('mount', ['-o', 'loop', image, path]);
  if (!made) {
    rmSync(image, { force: true });
    return plain;
  }
  return {
    path,
    kind: 'a fresh ext4 file system',
    release: () => {
      if (!run('umount', [path])) run('umount', ['-l', path]);
      rmSync(image, { force: true });
      rmSync(path, { recursive: true, force: true });
    },
  };
}
