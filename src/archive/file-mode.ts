// An st_mode as `ls -l` shows it ("drwxr-xr-x", "-rwsr-x--T"), the way Python's stat.filemode
// renders it: list and diff print modes this way, and scripts parse them.

const TYPE_CHARS: Record<number, string> = {
  0o140000: 's', 0o120000: 'l', 0o100000: '-', 0o060000: 'b', 0o040000: 'd', 0o020000: 'c', 0o010000: 'p',
};

export function fileMode(mode: number): string {
  const type = TYPE_CHARS[mode & 0o170000] ?? '?';
  return type + triplet(mode >> 6, mode & 0o4000, 's') + triplet(mode >> 3, mode & 0o2000, 's') + triplet(mode, mode & 0o1000, 't');
}

/** rwx of one class; `special` (setuid, setgid, sticky) turns x into s/t, or S/T without x. */
function triplet(bits: number, special: number, letter: string): string {
  const x = (bits & 1) !== 0;
  const exec = special ? (x ? letter : letter.toUpperCase()) : x ? 'x' : '-';
  return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${exec}`;
}
