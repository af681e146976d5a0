// The crypto layer's public surface: what the repository, cache, archive and CLI layers may use.
export * from './errors.js';
export { Key, MANIFEST_ID } from './key.js';
export { KEY_MODES, detectKeyMode, isKeyMode, keyModeFromName, keyModeInfo, LEGACY_PASSPHRASE_TYPE } from './key-modes.js';
export type { HashFamily, KeyMode, KeyModeInfo, KeyStorage } from './key-modes.js';
export { generateKeyMaterial, legacyPassphraseMaterial, type KeyMaterial } from './key-material.js';
export { ENVELOPE_OVERHEAD } from './envelope.js';
export {
  decryptKeyBlob,
  encryptKeyBlob,
  keyBlobFromText,
  keyBlobToText,
  PBKDF2_ITERATIONS,
  type DecryptKeyBlobOptions,
  type EncryptKeyBlobOptions,
} from './key-blob.js';
export {
  findKeyFile,
  formatKeyFile,
  keyFileName,
  locateKeyFile,
  newKeyFilePath,
  parseKeyFile,
  readKeyFile,
  writeKeyFile,
  type KeyFileLookup,
  type ParsedKeyFile,
} from './key-file.js';
export { formatPaperKey, PaperKeyReader, parsePaperKey, type PaperLineResult } from './paper.js';
export { renderKeyHtml, type KeyHtmlOptions } from './paper-html.js';
export {
  askPassphrase,
  envPassphrase,
  newPassphrase,
  offerPassphraseDisplay,
  unlockWithPassphrase,
  type NewPassphraseOptions,
  type PasscommandResult,
  type PassphraseOptions,
  type PromptFunction,
  type PromptOptions,
  type UnlockResult,
} from './passphrase.js';
export { ttyPrompt } from './tty-prompt.js';
export { shlexSplit, ShlexError } from './shlex.js';
export { packAndAuthenticate, tamKey, unpackAndVerify, TAM_SUITE, type TamContext, type UnpackAndVerifyOptions, type UnpackedMetadata } from './tam.js';
export {
  IvCounter,
  IvRangeExhausted,
  manifestNonce,
  NONCE_SPACE_RESERVATION,
  NonceManager,
  type IvRange,
  type IvSource,
  type NonceStore,
} from './nonces.js';
