// The versions view of a repository (borg mount -o versions): every file path of all archives,
// each content it had numbered in archive order. A file `dir/name.ext` becomes a directory
// `dir/name.ext` holding `name.00001.ext`, `name.00002.ext`, ...: the number goes before the
// extension so that tools still recognise the type. The same content in a later archive keeps
// its number.
import { createHash } from 'node:crypto';

/** Python's os.path.splitext for a name: the last dot starts the extension, unless only dots precede it. */
export function splitExtension(name: Buffer): [Buffer, Buffer] {
  const dot = name.lastIndexOf(0x2e);
  const slash = name.lastIndexOf(0x2f);
  if (dot > slash) {
    for (let i = slash + 1; i < dot; i++) {
      if (name[i] !== 0x2e) return [name.subarray(0, dot), name.subarray(dot)];
    }
  }
  return [name, name.subarray(name.length)];
}

/** `name` with its version number: "report.pdf", 3 -> "report.00003.pdf". */
export function versionedName(name: Buffer, version: number): Buffer {
  const [stem, extension] = splitExtension(name);
  return Buffer.concat([stem, Buffer.from(`.${String(version).padStart(5, '0')}`), extension]);
}

function digest(parts: Iterable<Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest().subarray(0, 16).toString('latin1');
}

/** Per path (after --strip-components): the latest version number and the content it stands for. */
export class VersionsIndex {
  readonly #latest = new Map<string, { version: number; contents: string }>();

  /** The version of `path` whose content is the chunk list `chunkIds`; a new content gets the next number. */
  versionOf(path: Uint8Array, chunkIds: readonly Uint8Array[]): number {
    const key = digest([path]);
    const contents = digest(chunkIds);
    const latest = this.#latest.get(key);
    if (latest !== undefined && latest.contents === contents) return latest.version;
    const version = (latest?.version ?? 0) + 1;
    this.#latest.set(key, { version, contents });
    return version;
  }
}
