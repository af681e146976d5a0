// Reading a Python `re` pattern the way Python's parser does: by code point (so error positions
// agree with Python's), with a backslash and the character after it forming one token.

/** A syntax error as Python's re.error reports it: message, then position (and line/column). */
export class PythonRegexError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Valid Python that has no exact JavaScript equivalent; the message names the feature. */
export class UnsupportedFeature extends Error {}

export class Tokens {
  readonly chars: string[];
  #index = 0;
  /** The current token: one character, a backslash plus one character, or null at the end. */
  next: string | null = null;
  /** Valid Python syntax met on the way that JavaScript cannot reproduce (reported after parsing). */
  readonly unsupported: string[] = [];

  constructor(readonly source: string) {
    this.chars = Array.from(source);
    this.#advance();
  }

  #advance(): void {
    let index = this.#index;
    if (index >= this.chars.length) {
      this.next = null;
      return;
    }
    let token = this.chars[index]!;
    if (token === '\\') {
      index += 1;
      if (index >= this.chars.length) throw this.errorAt('bad escape (end of pattern)', this.chars.length - 1);
      token += this.chars[index]!;
    }
    this.#index = index + 1;
    this.next = token;
  }

  match(token: string): boolean {
    if (token !== this.next) return false;
    this.#advance();
    return true;
  }

  get(): string | null {
    const token = this.next;
    this.#advance();
    return token;
  }

  /** Up to `n` tokens that are single characters of `allowed`. */
  getWhile(n: number, allowed: string): string {
    let result = '';
    for (let k = 0; k < n; k++) {
      const token = this.next;
      if (token === null || token.length !== 1 || !allowed.includes(token)) break;
      result += token;
      this.#advance();
    }
    return result;
  }

  /** Everything up to `terminator` (a group name); `what` names it in errors. */
  getUntil(terminator: string, what: string): string {
    let result = '';
    for (;;) {
      const token = this.next;
      this.#advance();
      if (token === null) {
        if (result === '') throw this.error(`missing ${what}`);
        throw this.error(`missing ${terminator}, unterminated name`, Array.from(result).length);
      }
      if (token === terminator) {
        if (result === '') throw this.error(`missing ${what}`, 1);
        return result;
      }
      result += token;
    }
  }

  /** Position (in code points) of the current token. */
  tell(): number {
    return this.#index - (this.next === null ? 0 : Array.from(this.next).length);
  }

  seek(index: number): void {
    this.#index = index;
    this.#advance();
  }

  /** An error `offset` code points before the current position, worded like re.error. */
  error(reason: string, offset = 0): PythonRegexError {
    return this.errorAt(reason, this.tell() - offset);
  }

  /** An error at code point `pos`. */
  errorAt(reason: string, pos: number): PythonRegexError {
    let text = `${reason} at position ${pos}`;
    const before = this.chars.slice(0, pos);
    if (this.chars.includes('\n')) {
      const line = before.filter((c) => c === '\n').length + 1;
      const column = pos - before.lastIndexOf('\n');
      text += ` (line ${line}, column ${column})`;
    }
    return new PythonRegexError(text);
  }
}

/** Python's repr() of a short string, for messages such as "unknown group name 'x'". */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, '\\\\').replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
  return `${quote}${body}${quote}`;
}

/** Python's str.isidentifier(), used for group names. */
export function isIdentifier(name: string): boolean {
  return /^[\p{XID_Start}_]\p{XID_Continue}*$/u.test(name);
}
