/**
 * Credentials in the OS keychain (macOS Keychain, Windows Credential Manager, Secret Service on Linux) via
 * @github/keytar: one JSON blob per kind under the service "clearml-tray-autoscaler".
 *
 * Why this file lives in electron/main/ yet imports no electron: keytar is a native module shipped with the
 * app (asarUnpack **\/*.node), and the lint layer rules forbid `@github/keytar` in electron/engine/ (which must
 * run anywhere plain Node runs, without the app's native modules). Main is the only layer allowed to load it;
 * not importing electron here keeps the real-keychain integration test runnable in plain Node.
 */
import {
  decodeBlob,
  encodeBlob,
  type SecretKind,
  type SecretStore,
  type SecretValues,
  type StoredSecret,
} from '../../engine/service/secret-store.js';

/** The part of keytar we use (also what tests fake). */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Loaded lazily: the native addon throws at import time where libsecret is missing. */
export async function loadKeytar(): Promise<KeytarLike> {
  const mod = (await import('@github/keytar')) as KeytarLike & { default?: KeytarLike };
  return mod.default ?? mod;
}

export function keychainBackendName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service keyring (GNOME Keyring / KWallet)';
}

export class KeychainSecretStore implements SecretStore {
  readonly warning: string | null = null;
  readonly backendName: string;

  constructor(
    private readonly keytar: KeytarLike,
    private readonly opts: { service: string; platform?: NodeJS.Platform; now?: () => number },
  ) {
    this.backendName = keychainBackendName(opts.platform ?? process.platform);
  }

  /** Proves the keychain answers (e.g. a Secret Service is running and unlocked); throws with its reason. */
  async probe(): Promise<void> {
    await this.keytar.getPassword(this.opts.service, '__probe__');
  }

  async get<K extends SecretKind>(kind: K): Promise<StoredSecret<K> | null> {
    const text = await this.keytar.getPassword(this.opts.service, kind);
    return text === null ? null : decodeBlob(kind, text);
  }

  async set<K extends SecretKind>(kind: K, value: SecretValues[K]): Promise<void> {
    await this.keytar.setPassword(this.opts.service, kind, encodeBlob<K>(value, (this.opts.now ?? Date.now)()));
  }

  async delete(kind: SecretKind): Promise<void> {
    await this.keytar.deletePassword(this.opts.service, kind);
  }
}
