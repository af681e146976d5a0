// Passphrase sources in borg 1.2's order (spec §2.7): BORG_PASSPHRASE, BORG_PASSCOMMAND,
// BORG_PASSPHRASE_FD, then the terminal. New passphrases: BORG_NEW_PASSPHRASE first.
//
// Everything that touches the outside world (environment, terminal, subprocess, file descriptor) is
// injected through PassphraseOptions, so the rules can be tested without a TTY.
import { spawnSync } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { NoPassphraseFailure, PasscommandFailure, PassphraseWrong, PasswordRetriesExceeded } from './errors.js';
import { shlexSplit, ShlexError } from './shlex.js';
import { ttyPrompt, type PromptFunction } from './tty-prompt.js';

export type { PromptFunction, PromptOptions } from './tty-prompt.js';

export interface PasscommandResult {
  /** Exit status, null when the program could not be started or was killed. */
  status: number | null;
  stdout: string;
  /** Why the program could not be started, if it could not. */
  error?: Error;
}

export interface PassphraseOptions {
  /** Environment to read BORG_* variables from; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Asks the user; default: the terminal (hidden input for passphrases). null = end of input. */
  prompt?: PromptFunction;
  /** Shows a line to the user (stderr in the CLI). */
  print?: (line: string) => void;
  /** Runs BORG_PASSCOMMAND's words without a shell; default spawnSync. */
  runCommand?: (argv: string[]) => PasscommandResult;
  /** Reads a file descriptor to its end and closes it; default node:fs. */
  readFd?: (fd: number) => string;
}

const TRUISH = new Set(['Yes', 'YES', 'yes', 'Y', 'y', '1']);
const FALSISH = new Set(['No', 'NO', 'no', 'N', 'n', '0']);
const DEFAULTISH = new Set(['Default', 'DEFAULT', 'default', 'D', 'd', '']);
/** Interactive tries for an existing key, and for choosing a new passphrase. */
const UNLOCK_TRIES = 3;
const NEW_PASSPHRASE_TRIES = 10;

function envOf(options: PassphraseOptions): Readonly<Record<string, string | undefined>> {
  return options.env ?? process.env;
}

function printer(options: PassphraseOptions): (line: string) => void {
  return options.print ?? ((line) => process.stderr.write(`${line}\n`));
}

function defaultRunCommand(argv: string[]): PasscommandResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] });
  return r.error ? { status: null, stdout: '', error: r.error } : { status: r.status, stdout: r.stdout };
}

function defaultReadFd(fd: number): string {
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Python's text-mode reading turns \r\n and \r into \n; rstrip('\n') then drops every final newline. */
function cleanOutput(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
}

function fromPasscommand(command: string, options: PassphraseOptions): string {
  let argv: string[];
  try {
    argv = shlexSplit(command);
  } catch (e) {
    if (e instanceof ShlexError) throw new PasscommandFailure(e.message);
    throw e;
  }
  if (argv.length === 0) throw new PasscommandFailure('the command is empty');
  const result = (options.runCommand ?? defaultRunCommand)(argv);
  if (result.error) throw new PasscommandFailure(`cannot run '${argv[0]}': ${result.error.message}`);
  if (result.status !== 0) {
    throw new PasscommandFailure(`'${command}' exited with ${result.status === null ? 'a signal' : `status ${result.status}`}`);
  }
  return cleanOutput(result.stdout);
}

/**
 * The passphrase from the environment: BORG_PASSPHRASE, else the output of BORG_PASSCOMMAND, else
 * what BORG_PASSPHRASE_FD delivers; null when none of them is set.
 */
export function envPassphrase(options: PassphraseOptions = {}): string | null {
  const env = envOf(options);
  const direct = env['BORG_PASSPHRASE'];
  if (direct !== undefined) return direct;
  const command = env['BORG_PASSCOMMAND'];
  if (command !== undefined) return fromPasscommand(command, options);
  const fdText = env['BORG_PASSPHRASE_FD']?.trim();
  if (fdText !== undefined && /^[+-]?\d+$/.test(fdText)) {
    return cleanOutput((options.readFd ?? defaultReadFd)(Number(fdText)));
  }
  return null;
}

/** One hidden prompt; end of input becomes NoPassphraseFailure, as in borg. */
export async function askPassphrase(message: string, options: PassphraseOptions = {}): Promise<string> {
  const answer = await (options.prompt ?? ttyPrompt)(message, { hidden: true });
  if (answer !== null) return answer;
  const env = envOf(options);
  const state = (name: string): string => `${name} is ${env[name] !== undefined ? 'set' : 'not set'}.`;
  throw new NoPassphraseFailure(`${state('BORG_PASSPHRASE')} ${state('BORG_PASSCOMMAND')} Interactive password query failed.`);
}

export interface UnlockResult<T> {
  value: T;
  passphrase: string;
}

/**
 * Opens an existing key. `attempt(passphrase)` returns the opened key or null for a wrong passphrase.
 * A passphrase from the environment gets one chance (PassphraseWrong). Otherwise the empty passphrase
 * is tried silently first, then the user is asked up to three times (PasswordRetriesExceeded).
 */
export async function unlockWithPassphrase<T>(
  attempt: (passphrase: string) => T | null,
  promptText: string,
  options: PassphraseOptions = {},
): Promise<UnlockResult<T>> {
  const fromEnv = envPassphrase(options);
  if (fromEnv !== null) {
    const value = attempt(fromEnv);
    if (value === null) throw new PassphraseWrong();
    return { value, passphrase: fromEnv };
  }
  const empty = attempt('');
  if (empty !== null) return { value: empty, passphrase: '' };
  for (let i = 0; i < UNLOCK_TRIES; i++) {
    const passphrase = await askPassphrase(promptText, options);
    const value = attempt(passphrase);
    if (value !== null) return { value, passphrase };
  }
  throw new PasswordRetriesExceeded();
}

/**
 * Answers a yes/no question the way borg's yes() does with an environment override: a valid value of
 * `envVar` decides without asking; otherwise the user is asked until the answer is valid. End of
 * input and default-ish answers mean no.
 */
async function askYesNo(question: string, envVar: string, options: PassphraseOptions): Promise<boolean> {
  const print = printer(options);
  const envAnswer = envOf(options)[envVar];
  if (envAnswer !== undefined) {
    print(`${question}${envAnswer} (from ${envVar})`);
    if (TRUISH.has(envAnswer)) return true;
    if (FALSISH.has(envAnswer) || DEFAULTISH.has(envAnswer)) return false;
    print('Invalid answer, try again.');
  }
  for (;;) {
    const answer = await (options.prompt ?? ttyPrompt)(question, { hidden: false });
    if (answer === null || DEFAULTISH.has(answer) || FALSISH.has(answer)) return false;
    if (TRUISH.has(answer)) return true;
    print('Invalid answer, try again.');
  }
}

/** Offers to show a freshly chosen passphrase (BORG_DISPLAY_PASSPHRASE answers without asking). */
export async function offerPassphraseDisplay(passphrase: string, options: PassphraseOptions = {}): Promise<void> {
  const question = 'Do you want your passphrase to be displayed for verification? [yN]: ';
  if (!(await askYesNo(question, 'BORG_DISPLAY_PASSPHRASE', options))) return;
  const print = printer(options);
  print(`Your passphrase (between double-quotes): "${passphrase}"`);
  print('Make sure the passphrase displayed above is exactly what you wanted.');
  if (!/^[\x00-\x7f]*$/.test(passphrase)) {
    print(`Your passphrase (UTF-8 encoding in hex): ${Buffer.from(passphrase, 'utf8').toString('hex')}`);
    print('As you have a non-ASCII passphrase, it is recommended to keep the UTF-8 encoding in hex together with the passphrase at a safe place.');
  }
}

export interface NewPassphraseOptions extends PassphraseOptions {
  /** Accept an empty passphrase from the prompt (borg allows it for init and change-passphrase). */
  allowEmpty?: boolean;
}

/**
 * A passphrase for a new or re-encrypted key: BORG_NEW_PASSPHRASE, else the sources of
 * envPassphrase(), else asked twice on the terminal (up to ten tries), then offered for display.
 */
export async function newPassphrase(options: NewPassphraseOptions = {}): Promise<string> {
  const fromNew = envOf(options)['BORG_NEW_PASSPHRASE'];
  if (fromNew !== undefined) return fromNew;
  const fromEnv = envPassphrase(options);
  if (fromEnv !== null) return fromEnv;
  const print = printer(options);
  for (let i = 0; i < NEW_PASSPHRASE_TRIES; i++) {
    const first = await askPassphrase('Enter new passphrase: ', options);
    if (!options.allowEmpty && first === '') {
      print('Passphrase must not be blank');
      continue;
    }
    const second = await askPassphrase('Enter same passphrase again: ', options);
    if (first === second) {
      await offerPassphraseDisplay(first, options);
      return first;
    }
    print('Passphrases do not match');
  }
  throw new PasswordRetriesExceeded();
}
