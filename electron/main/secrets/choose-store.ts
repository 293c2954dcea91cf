/**
 * Picks where credentials live: the OS keychain, else safeStorage-encrypted file, else memory with a visible
 * warning. Every refusal is kept as a reason so the credentials screen can say why (keychain failures must be
 * a status, never a crash: on headless Linux keytar reports "Cannot autolaunch D-Bus without X11 $DISPLAY").
 */
import { MemorySecretStore, type SecretStore } from '../../engine/service/secret-store.js';
import { errorText } from '../../../shared/error-text.js';

export interface StoreCandidate {
  name: string;
  /** Returns a working store or throws why not. */
  open(): Promise<SecretStore>;
}

export interface ChosenStore {
  store: SecretStore;
  /** Why earlier candidates were skipped, for the log. */
  skipped: { name: string; reason: string }[];
}

export function memoryFallbackWarning(skipped: readonly { name: string; reason: string }[]): string {
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return (
    'Credentials are kept in memory only and must be entered again after a restart, because no secure ' +
    `store is available (${why}). Install and unlock GNOME Keyring or KWallet (Linux) to remember them.`
  );
}

export async function chooseSecretStore(
  candidates: readonly StoreCandidate[],
  opts: { now?: () => number } = {},
): Promise<ChosenStore> {
  const skipped: { name: string; reason: string }[] = [];
  for (const c of candidates) {
    try {
      return { store: await c.open(), skipped };
    } catch (err) {
      skipped.push({ name: c.name, reason: errorText(err) });
    }
  }
  return {
    store: new MemorySecretStore({
      backendName: 'memory only',
      warning: memoryFallbackWarning(skipped),
      now: opts.now,
    }),
    skipped,
  };
}
