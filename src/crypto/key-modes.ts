// The seven key modes of borg 1.2 (spec §2.1): their `--encryption` names, TYPE bytes and traits.
// A KeyMode is the `borg init --encryption` name itself, so the table below is the whole mapping
// between init names, TYPE bytes and the names borg shows.
import { UsageError } from '../errors.js';
import { UnsupportedPayloadError } from './errors.js';

export type KeyMode =
  | 'none'
  | 'keyfile'
  | 'repokey'
  | 'authenticated'
  | 'keyfile-blake2'
  | 'repokey-blake2'
  | 'authenticated-blake2';

/** Where the key blob lives: the repo config, a key file, or nowhere (`none`). */
export type KeyStorage = 'repokey' | 'keyfile' | 'none';

/** How ids and MACs are computed: SHA-256 (none), HMAC-SHA256, or borg's BLAKE2b-256 construction. */
export type HashFamily = 'sha256' | 'hmac-sha256' | 'blake2b-256';

export interface KeyModeInfo {
  readonly mode: KeyMode;
  readonly typeByte: number;
  /** The name borg shows (`borg info`, key-type messages). */
  readonly displayName: string;
  /** True for the AES-CTR modes, whose envelopes carry MAC and IV. */
  readonly encrypted: boolean;
  readonly storage: KeyStorage;
  readonly hash: HashFamily;
}

// Order as borg lists `--encryption` choices.
const MODES: readonly KeyModeInfo[] = [
  { mode: 'none', typeByte: 0x02, displayName: 'plaintext', encrypted: false, storage: 'none', hash: 'sha256' },
  { mode: 'keyfile', typeByte: 0x00, displayName: 'key file', encrypted: true, storage: 'keyfile', hash: 'hmac-sha256' },
  { mode: 'repokey', typeByte: 0x03, displayName: 'repokey', encrypted: true, storage: 'repokey', hash: 'hmac-sha256' },
  { mode: 'authenticated', typeByte: 0x07, displayName: 'authenticated', encrypted: false, storage: 'repokey', hash: 'hmac-sha256' },
  { mode: 'keyfile-blake2', typeByte: 0x04, displayName: 'key file BLAKE2b', encrypted: true, storage: 'keyfile', hash: 'blake2b-256' },
  { mode: 'repokey-blake2', typeByte: 0x05, displayName: 'repokey BLAKE2b', encrypted: true, storage: 'repokey', hash: 'blake2b-256' },
  {
    mode: 'authenticated-blake2',
    typeByte: 0x06,
    displayName: 'authenticated BLAKE2b',
    encrypted: false,
    storage: 'repokey',
    hash: 'blake2b-256',
  },
];

/** The TYPE byte of the legacy `passphrase` mode; borg reads such repositories as repokey (spec §2.13). */
export const LEGACY_PASSPHRASE_TYPE = 0x01;

/** All `--encryption` names, in borg's order. */
export const KEY_MODES: readonly KeyMode[] = MODES.map((m) => m.mode);

const BY_MODE = new Map<KeyMode, KeyModeInfo>(MODES.map((m) => [m.mode, m]));
const BY_TYPE = new Map<number, KeyModeInfo>(MODES.map((m) => [m.typeByte, m]));

export function keyModeInfo(mode: KeyMode): KeyModeInfo {
  const info = BY_MODE.get(mode);
  if (!info) throw new TypeError(`Unknown key mode '${String(mode)}'`);
  return info;
}

/**
 * The key mode of a repository, from the first byte of its manifest envelope. The legacy passphrase
 * TYPE 0x01 maps to repokey, as borg assumes such a key was migrated with `key migrate-to-repokey`.
 */
export function detectKeyMode(typeByte: number): KeyMode {
  if (typeByte === LEGACY_PASSPHRASE_TYPE) return 'repokey';
  const info = BY_TYPE.get(typeByte);
  if (!info) throw new UnsupportedPayloadError(typeByte);
  return info.mode;
}

/** Validates an `--encryption` value. */
export function keyModeFromName(name: string): KeyMode {
  const info = BY_MODE.get(name as KeyMode);
  if (!info) {
    const choices = KEY_MODES.map((m) => `'${m}'`).join(', ');
    throw new UsageError(`Invalid encryption mode '${name}' (choose from ${choices})`, { args: [name] });
  }
  return info.mode;
}

export function isKeyMode(name: string): name is KeyMode {
  return BY_MODE.has(name as KeyMode);
}
