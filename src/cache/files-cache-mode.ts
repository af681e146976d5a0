// The files cache modes of `create --files-cache`, apart from the files cache itself so that the
// command line can parse the option without loading the cache (and its hashing) on every run.
import { UsageError } from '../errors.js';

/** borg's files cache modes, letters sorted: c(time), m(time), s(ize), i(node), r(echunk), d(isabled). */
export type FilesCacheMode = 'cis' | 'ims' | 'cs' | 'ms' | 'cr' | 'mr' | 'd' | 's';
/** What `create` uses unless --files-cache says otherwise. */
export const FILES_CACHE_MODE_UI_DEFAULT: FilesCacheMode = 'cis';
/** What every other command uses: the files cache is neither read nor written. */
export const FILES_CACHE_MODE_DISABLED: FilesCacheMode = 'd';

const MODE_LETTERS: Record<string, string> = { ctime: 'c', mtime: 'm', size: 's', inode: 'i', rechunk: 'r', disabled: 'd' };
const VALID_MODES: readonly FilesCacheMode[] = ['cis', 'ims', 'cs', 'ms', 'cr', 'mr', 'd', 's'];

/** Parses --files-cache, e.g. `ctime,size,inode` -> `cis`, `disabled` -> `d`. */
export function parseFilesCacheMode(text: string): FilesCacheMode {
  const words = new Set(text.trim().split(','));
  const unknown = [...words].filter((w) => !(w in MODE_LETTERS));
  if (unknown.length > 0) throw new UsageError(`Invalid files cache mode '${text}': use a comma-separated list of ${Object.keys(MODE_LETTERS).sort().join(',')}`);
  const mode = [...words].map((w) => MODE_LETTERS[w]!).sort().join('');
  if (!(VALID_MODES as readonly string[]).includes(mode)) throw new UsageError(`Invalid files cache mode '${text}': the combination must be one of ${VALID_MODES.join(',')}`);
  return mode as FilesCacheMode;
}
