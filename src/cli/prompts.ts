// Yes/no questions the way borg asks them (helpers/yes.py): an environment variable can answer
// for the user (BORG_RELOCATED_REPO_ACCESS_IS_OK=yes, BORG_CHECK_I_KNOW_WHAT_I_AM_DOING=YES, ...),
// otherwise one line is read from stdin; with --log-json every message is a "question_*" record.

import { StringDecoder } from 'node:string_decoder';

import { pythonJsonDumps } from './json.js';

export const TRUISH = ['Yes', 'YES', 'yes', 'Y', 'y', '1'] as const;
export const FALSISH = ['No', 'NO', 'no', 'N', 'n', '0'] as const;
export const DEFAULTISH = ['Default', 'DEFAULT', 'default', 'D', 'd', ''] as const;

export interface YesOptions {
  /** The question, printed without a newline. */
  message?: string;
  falseMessage?: string;
  trueMessage?: string;
  defaultMessage?: string;
  retryMessage?: string;
  invalidMessage?: string;
  /** Printed when the environment answers; default "ANSWER (from VAR)". Empty string: print nothing. */
  envMessage?: (answer: string, variable: string) => string;
  truish?: readonly string[];
  falsish?: readonly string[];
  defaultish?: readonly string[];
  /** The answer for a defaultish input, end of input, or an invalid one without retry. Default false. */
  default?: boolean;
  /** Ask again after an invalid answer. Default true. */
  retry?: boolean;
  /** The variable that answers instead of the user, e.g. "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING". */
  envVar?: string;
  /** false: never read stdin, use the default. */
  prompt?: boolean;
  /** Stable id for --log-json; defaults to envVar. */
  msgid?: string;
}

export interface PromptIo {
  env: Readonly<Record<string, string | undefined>>;
  /** stderr */
  write: (text: string) => void;
  json: boolean;
  /** One line without its newline, or null at end of input. */
  readLine: () => Promise<string | null>;
}

export async function yes(options: YesOptions, io: PromptIo): Promise<boolean> {
  const truish = options.truish ?? TRUISH;
  const falsish = options.falsish ?? FALSISH;
  const defaultish = options.defaultish ?? DEFAULTISH;
  const fallback = options.default ?? false;
  const msgid = options.msgid ?? options.envVar;
  const output = (message: string, kind: string, isPrompt = false, extra: Record<string, unknown> = {}) => {
    if (io.json) io.write(`${pythonJsonDumps({ ...extra, type: `question_${kind}`, msgid: msgid ?? null, message })}\n`);
    else io.write(isPrompt ? message : `${message}\n`);
  };

  if (options.message) output(options.message, 'prompt', true);
  let envVar = options.envVar;
  for (;;) {
    let answer: string | null | undefined = envVar !== undefined ? io.env[envVar] : undefined;
    if (answer !== undefined && answer !== null && envVar !== undefined) {
      const note = options.envMessage ? options.envMessage(answer, envVar) : `${answer} (from ${envVar})`;
      if (note) output(note, 'env_answer', false, { env_var: envVar });
    }
    if (answer === undefined || answer === null) {
      if (options.prompt === false) return fallback;
      answer = await io.readLine();
      // End of input counts as the default answer.
      if (answer === null) answer = fallback ? truish[0]! : falsish[0]!;
    }
    if (defaultish.includes(answer)) {
      if (options.defaultMessage) output(options.defaultMessage, 'accepted_default');
      return fallback;
    }
    if (truish.includes(answer)) {
      if (options.trueMessage) output(options.trueMessage, 'accepted_true');
      return true;
    }
    if (falsish.includes(answer)) {
      if (options.falseMessage) output(options.falseMessage, 'accepted_false');
      return false;
    }
    if (options.invalidMessage) output(options.invalidMessage, 'invalid_answer');
    if (options.retry === false) return fallback;
    if (options.retryMessage) output(options.retryMessage, 'prompt_retry', true);
    // An invalid answer from the environment is not used a second time.
    envVar = undefined;
  }
}

/**
 * Reads a stream line by line on demand, pausing it as soon as a line is complete, so that little
 * is read ahead. Create it only when a question is asked: it starts consuming the stream.
 */
export function lineReader(stream: NodeJS.ReadableStream): () => Promise<string | null> {
  let buffer = '';
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer | string) => {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (buffer.includes('\n')) stream.pause();
    wake?.();
  });
  // Listeners stay attached: 'end' may come while nobody waits.
  stream.on('end', () => {
    ended = true;
    buffer += decoder.end();
    wake?.();
  });
  stream.on('error', (error: unknown) => {
    failure = error;
    wake?.();
  });
  stream.pause();
  return async () => {
    for (;;) {
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        return line;
      }
      if (failure !== undefined) throw failure;
      if (ended) {
        const rest = buffer;
        buffer = '';
        return rest === '' ? null : rest;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        stream.resume();
      });
      wake = undefined;
    }
  };
}
