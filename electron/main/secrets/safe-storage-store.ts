/**
 * Fallback when no keychain answers: a JSON file of base64 ciphertexts encrypted with Electron safeStorage
 * (Podman Desktop's pattern). Refused when safeStorage would only obfuscate: on Linux without a keyring,
 * Chromium falls back to a hard-coded password (`basic_text`), which is no protection at all.
 */
import { readFileSync, renameSync } from 'node:fs';
import type { SafeStorage } from 'electron';
import {
  SECRET_KINDS,
  decodeBlob,
  encodeBlob,
  type SecretKind,
  type SecretStore,
  type SecretValues,
  type StoredSecret,
} from '../../engine/service/secret-store.js';
import { backupPathFor, writeFileAtomic } from '../../engine/service/settings-repo.js';

export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> & {
  getSelectedStorageBackend?: SafeStorage['getSelectedStorageBackend'];
};

/** Null when safeStorage is usable; otherwise why not, in words. */
export function safeStorageRefusal(safeStorage: SafeStorageLike, platform: NodeJS.Platform): string | null {
  if (!safeStorage.isEncryptionAvailable()) return 'encryption is not available (no OS key store answered)';
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return 'no keyring is running, so it would only use a hard-coded password (basic_text)';
  }
  return null;
}

export class SafeStorageSecretStore implements SecretStore {
  readonly backendName = 'encrypted file (Electron safeStorage)';
  readonly warning: string | null;
  private blobs: Partial<Record<SecretKind, string>>;

  private constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly file: string,
    private readonly now: () => number,
    blobs: Partial<Record<SecretKind, string>>,
    warning: string | null,
  ) {
    this.blobs = blobs;
    this.warning = warning;
  }

  /** Throws (with the reason) when safeStorage must not be used. */
  static open(opts: {
    safeStorage: SafeStorageLike;
    file: string;
    platform: NodeJS.Platform;
    now?: () => number;
  }): SafeStorageSecretStore {
    const refusal = safeStorageRefusal(opts.safeStorage, opts.platform);
    if (refusal) throw new Error(`safeStorage refused: ${refusal}`);
    const now = opts.now ?? Date.now;
    let blobs: Partial<Record<SecretKind, string>> = {};
    let warning: string | null = null;
    let text: string | null = null;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch {
      text = null;
    }
    if (text !== null) {
      try {
        const json = JSON.parse(text) as unknown;
        if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not an object');
        for (const [k, v] of Object.entries(json)) {
          if ((SECRET_KINDS as readonly string[]).includes(k) && typeof v === 'string') blobs[k as SecretKind] = v;
        }
      } catch {
        const backup = backupPathFor(opts.file, now());
        renameSync(opts.file, backup);
        blobs = {};
        warning = `The encrypted credentials file was corrupt and was moved to ${backup}. Enter the credentials again.`;
      }
    }
    return new SafeStorageSecretStore(opts.safeStorage, opts.file, now, blobs, warning);
  }

  async get<K extends SecretKind>(kind: K): Promise<StoredSecret<K> | null> {
    const b64 = this.blobs[kind];
    if (!b64) return null;
    try {
      return decodeBlob(kind, this.safeStorage.decryptString(Buffer.from(b64, 'base64')));
    } catch {
      // Encrypted under another OS key (profile copied between machines): treat as not set.
      return null;
    }
  }

  async set<K extends SecretKind>(kind: K, value: SecretValues[K]): Promise<void> {
    const cipher = this.safeStorage.encryptString(encodeBlob<K>(value, this.now()));
    this.blobs = { ...this.blobs, [kind]: cipher.toString('base64') };
    this.persist();
  }

  async delete(kind: SecretKind): Promise<void> {
    const { [kind]: _gone, ...rest } = this.blobs;
    this.blobs = rest;
    this.persist();
  }

  private persist(): void {
    writeFileAtomic(this.file, JSON.stringify(this.blobs));
  }
}
