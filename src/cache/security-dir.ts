// The client-side security directory (spec §2.11): remembers, per repository id, where the
// repository was, its key type, the newest manifest timestamp seen and the local nonce reservation,
// so that a swapped, relocated or rolled-back repository is noticed before data is sent to it.
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { saveFile } from '../platform/save-file.js';
import { securityDir, type Env } from './paths.js';
import { CacheInitAbortedError, EncryptionMethodMismatch, RepositoryAccessAborted, RepositoryIDNotUnique, RepositoryReplay } from './errors.js';

/** Asks the user (or reads the answer from the environment variable); false = no. */
export type Confirm = (question: string, envVar: string) => boolean | Promise<boolean>;

const TRUISH = new Set(['Yes', 'YES', 'yes', 'Y', 'y', '1']);

/** A Confirm for non-interactive use: only the environment variable can say yes. */
export function confirmFromEnv(env: Env = process.env): Confirm {
  return (_question, envVar) => TRUISH.has(env[envVar] ?? '');
}

/** What the cache's config remembers about the repository, when a cache exists. */
export interface CacheSecurityInfo {
  previousLocation?: string | undefined;
  timestamp?: string | undefined;
  keyType?: string | undefined;
}

export interface SecurityCheck {
  canonicalLocation: string;
  keyType: number;
  /** false for none/authenticated modes and repokeys with an empty passphrase */
  logicallyEncrypted: boolean;
  plaintext: boolean;
  manifestTimestamp: string;
  cache?: CacheSecurityInfo | undefined;
  /** false only while initialising a new repository */
  warnIfUnencrypted?: boolean;
  confirm: Confirm;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export class SecurityDir {
  readonly dir: string;

  constructor(readonly repositoryIdHex: string, env: Env = process.env) {
    this.dir = securityDir(repositoryIdHex, env);
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  known(): boolean {
    return ['key-type', 'location', 'manifest-timestamp'].every((n) => existsSync(this.file(n)));
  }

  save(canonicalLocation: string, keyType: number, manifestTimestamp: string): void {
    saveFile(this.file('location'), canonicalLocation);
    saveFile(this.file('key-type'), String(keyType));
    saveFile(this.file('manifest-timestamp'), manifestTimestamp);
  }

  /** Runs borg's checks in borg's order; may update the remembered location when the user agrees. */
  async assertSecure(check: SecurityCheck): Promise<void> {
    if (!check.logicallyEncrypted && !this.known()) {
      const question = 'Warning: Attempting to access a previously unknown unencrypted repository!\nDo you want to continue? [yN] ';
      const allowed = check.warnIfUnencrypted === false || (await check.confirm(question, 'BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK'));
      if (!allowed) throw new CacheInitAbortedError();
      this.save(check.canonicalLocation, check.keyType, check.manifestTimestamp);
    }
    await this.assertLocationMatches(check);
    this.assertKeyType(check);
    this.assertNoManifestReplay(check);
    if (!this.known()) this.save(check.canonicalLocation, check.keyType, check.manifestTimestamp);
  }

  private async assertLocationMatches(check: SecurityCheck): Promise<void> {
    let previous = readText(this.file('location'));
    if (check.cache?.previousLocation && previous !== check.cache.previousLocation) previous = check.cache.previousLocation;
    if (previous && previous !== check.canonicalLocation) {
      const question = `Warning: The repository at location ${check.canonicalLocation} was previously located at ${previous}\nDo you want to continue? [yN] `;
      if (!(await check.confirm(question, 'BORG_RELOCATED_REPO_ACCESS_IS_OK'))) throw new RepositoryAccessAborted();
      saveFile(this.file('location'), check.canonicalLocation);
    }
  }

  private assertKeyType(check: SecurityCheck): void {
    const expected = String(check.keyType);
    if (check.cache?.keyType !== undefined && check.cache.keyType !== expected) throw new EncryptionMethodMismatch();
    if (this.known() && readText(this.file('key-type')) !== expected) throw new EncryptionMethodMismatch();
  }

  private assertNoManifestReplay(check: SecurityCheck): void {
    let seen = readText(this.file('manifest-timestamp')) ?? '';
    const cached = check.cache?.timestamp ?? '';
    if (cached > seen) seen = cached;
    // Timestamps are compared as strings, exactly like borg (fixed-width ISO format).
    if (seen && seen > check.manifestTimestamp) {
      throw check.plaintext ? new RepositoryIDNotUnique() : new RepositoryReplay();
    }
  }

  /** Records a newer manifest timestamp after this client committed (never moves backwards). */
  updateManifestTimestamp(timestamp: string): void {
    const seen = readText(this.file('manifest-timestamp')) ?? '';
    if (timestamp > seen) saveFile(this.file('manifest-timestamp'), timestamp);
  }

  // --- local AES-CTR nonce reservation (spec §2.10), 16 hex digits

  getNonce(): bigint | null {
    const text = readText(this.file('nonce'));
    if (text === null) return null;
    if (!/^[0-9a-fA-F]{16}$/.test(text.trim())) return null;
    return BigInt('0x' + text.trim());
  }

  setNonce(next: bigint): void {
    saveFile(this.file('nonce'), next.toString(16).padStart(16, '0'));
  }

  // --- tam_required marker (borg ≥ 1.0.9)

  get tamRequired(): boolean {
    return existsSync(this.file('tam_required'));
  }

  set tamRequired(required: boolean) {
    const path = this.file('tam_required');
    if (required && !existsSync(path)) saveFile(path, '');
    else if (!required && existsSync(path)) unlinkSync(path);
  }

  destroy(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
