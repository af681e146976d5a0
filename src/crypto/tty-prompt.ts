// The default interactive prompt: reads a line from the controlling terminal (/dev/tty), hiding the
// input for passphrases, like Python's getpass which borg uses. Without a terminal it falls back to
// reading a line from stdin (with a warning when the input is meant to be hidden). Returns null at
// end of input, which callers turn into NoPassphraseFailure.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';

export interface PromptOptions {
  /** Do not echo what is typed (passphrases). */
  hidden: boolean;
}

export type PromptFunction = (message: string, options: PromptOptions) => Promise<string | null>;

/** Reads bytes from `fd` until a newline or end of input; null when nothing at all was read. */
function readLineSync(fd: number): string | null {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, one, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((e as NodeJS.ErrnoException).code === 'EOF') n = 0;
      else throw e;
    }
    if (n === 0) return bytes.length === 0 ? null : Buffer.from(bytes).toString('utf8');
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(one[0]!);
  }
}

function stdinPrompt(message: string, options: PromptOptions): string | null {
  if (options.hidden) process.stderr.write('Warning: the passphrase may be echoed (no terminal available)\n');
  process.stderr.write(message);
  const line = readLineSync(0);
  return line === null ? null : line.replace(/\r$/, '');
}

/** Reads one line in raw mode from the terminal, echoing nothing; handles backspace, ^C, ^D, ^U. */
function readHidden(input: ReadStream): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (value: string | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(text);
        if (ch === '\u0004') {
          if (text === '') return finish(null);
        } else if (ch === '\u0003') {
          finish(null);
          // Behave like an interrupt at any other point of the program.
          process.kill(process.pid, 'SIGINT');
          return;
        } else if (ch === '\u007f' || ch === '\b') {
          text = Array.from(text).slice(0, -1).join('');
        } else if (ch === '\u0015') {
          text = '';
        } else if (ch >= ' ') {
          text += ch;
        }
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/** Prompts on /dev/tty (stdin as fallback). Never throws for a missing terminal: returns null instead. */
export async function ttyPrompt(message: string, options: PromptOptions): Promise<string | null> {
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync('/dev/tty', 'r');
  } catch {
    return stdinPrompt(message, options);
  }
  try {
    outFd = openSync('/dev/tty', 'w');
  } catch {
    closeSync(inFd);
    return stdinPrompt(message, options);
  }
  try {
    writeSync(outFd, message);
    if (!options.hidden) return readLineSync(inFd);
    const input = new ReadStream(inFd);
    try {
      const line = await readHidden(input);
      writeSync(outFd, '\n');
      return line;
    } finally {
      // The stream owns inFd now and closes it.
      input.destroy();
      inFd = -1;
    }
  } finally {
    if (inFd >= 0) closeSync(inFd);
    closeSync(outFd);
  }
}
