// File names are bytes; JS strings are UTF-16. Like Python's "surrogateescape", bytes that are not
// valid UTF-8 become lone surrogates U+DC80..U+DCFF, so any name round-trips exactly through a
// string (and borg, which stores os.fsencode(name), sees the same bytes).

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const LONE_LOW_SURROGATE = /[\udc80-\udcff]/;

function decodeSlow(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      try {
        out += strictUtf8.decode(bytes.subarray(i, i + len));
        i += len;
        continue;
      } catch {
        // not a valid sequence here: escape the lead byte alone
      }
    }
    out += b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b);
    i += 1;
  }
  return out;
}

/** Bytes (a file name, a user name) as a string, losslessly. */
export function decodeFsBytes(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decodeSlow(bytes);
  }
}

/** The bytes a string from decodeFsBytes came from. */
export function encodeFsString(text: string): Buffer {
  if (!LONE_LOW_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) {
      // a high surrogate before it would make a real pair: those never come from decodeFsBytes
      if (i > start) parts.push(Buffer.from(text.slice(start, i), 'utf8'));
      parts.push(Buffer.of(c - 0xdc00));
      start = i + 1;
    }
  }
  if (start < text.length) parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** The string with escaped bytes shown as U+FFFD, for display. */
export function displayFsString(text: string): string {
  return LONE_LOW_SURROGATE.test(text) ? text.replace(/[\udc80-\udcff]/g, '\ufffd') : text;
}

/** A path for node:fs calls: the plain string when it is valid UTF-8, else its exact bytes. */
export function fsPath(text: string): string | Buffer {
  return LONE_LOW_SURROGATE.test(text) ? encodeFsString(text) : text;
}
