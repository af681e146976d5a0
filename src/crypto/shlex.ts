// POSIX shell-like word splitting with the rules of Python's shlex.split() (posix mode, no comments),
// which borg applies to BORG_PASSCOMMAND (and to BORG_RSH in the remote layer). No expansion of
// any kind happens: the words are passed to the program as they are.

const WHITESPACE = ' \t\r\n';

export class ShlexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShlexError';
  }
}

/**
 * Splits `text` into words: whitespace separates; '...' keeps everything literally; "..." keeps
 * everything except that a backslash escapes '"' and '\'; outside quotes a backslash escapes any
 * character. Adjacent quoted and unquoted parts join into one word.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new ShlexError('No closing quotation');
      word += text.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new ShlexError('No closing quotation');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
        } else if (d === '\\' && i + 1 >= text.length) {
          throw new ShlexError('No escaped character');
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShlexError('No escaped character');
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
