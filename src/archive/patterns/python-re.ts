// Python `re` patterns as JavaScript RegExps: borg's `re:` patterns are Python regular
// expressions, and `fm:`/`sh:` patterns are translated into them, so all three go through here.

import { InvalidRegex, UnsupportedRegex } from './errors.js';
import { emitJavaScript } from './python-re-emitter.js';
import { parsePythonRegex } from './python-re-parser.js';
import { PythonRegexError, UnsupportedFeature } from './python-re-tokens.js';

/**
 * Compiles Python regex `source` to a RegExp that matches the same strings. With `anchored`, it
 * behaves like Python's `regex.match` (at the start only), otherwise like `regex.search`.
 * Throws InvalidRegex where Python raises re.error, UnsupportedRegex where we cannot follow.
 */
export function compilePythonRegex(source: string, options: { anchored?: boolean } = {}): RegExp {
  let emitted;
  try {
    const parsed = parsePythonRegex(source);
    if (parsed.unsupported.length > 0) throw new UnsupportedFeature(parsed.unsupported[0]);
    emitted = emitJavaScript(parsed.root, parsed.ascii);
  } catch (error) {
    if (error instanceof PythonRegexError) throw new InvalidRegex(source, error.message);
    if (error instanceof UnsupportedFeature) throw new UnsupportedRegex(source, error.message);
    throw error;
  }
  const body = options.anchored === true ? `^(?:${emitted.source})` : emitted.source;
  try {
    return new RegExp(body, emitted.flags);
  } catch (error) {
    // V8 refuses a few things Python accepts (e.g. astronomically large repeat counts).
    throw new UnsupportedRegex(source, `a construct JavaScript rejects (${(error as Error).message})`);
  }
}
