// Messages between the main thread and the verify workers of `check --verify-data`.
import type { KeyMaterial, KeyMode } from '../../crypto/index.js';

export type ToVerifyWorker =
  | { type: 'init'; mode: KeyMode; material: KeyMaterial }
  /** The envelope's memory is transferred, not copied. */
  | { type: 'verify'; task: number; id: Uint8Array; envelope: Uint8Array };

/** `error` is the integrity error's message (null: the object is intact); `bug` marks anything else. */
export type FromVerifyWorker = { task: number; error: string | null; bug?: boolean };
