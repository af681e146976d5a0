// Turning stored text into what borg prints: names that are not valid UTF-8 (kept as lone
// surrogates, see surrogate-escape.ts) show a "?" per undecodable byte, and command lines are
// joined with shell quoting so that they can be pasted back into a shell.

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Every undecodable byte as "?" (Python's encode('utf-8', 'replace')). */
export function removeSurrogates(text: string): string {
  return text.replace(LONE_SURROGATE, '?');
}

/** Python's shlex.quote: safe words as they are, anything else in single quotes. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** A command line as borg shows it: each argument cleaned and quoted, joined by spaces. */
export function formatCommandLine(args: readonly string[]): string {
  return args.map((arg) => shellQuote(removeSurrogates(arg))).join(' ');
}
