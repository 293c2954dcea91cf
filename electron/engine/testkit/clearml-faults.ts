/**
 * Fault injection for the ClearML emulator: test and simulator machinery only (lint keeps product code out of
 * `testkit/`). Faults answer through the emulator's interceptors with what a real server sends.
 */
import {
  startClearmlEmulator as startPlainClearmlEmulator,
  type ClearmlEmulator as PlainClearmlEmulator,
  type ClearmlEmulatorOptions,
} from '../emulators/clearml-emulator.js';

export type ClearmlFault =
  /** The next `count` matching calls answer this status. */
  | { status: 500 | 503; count: number; endpoint?: string }
  /** The next `count` matching calls never answer (for client timeouts). */
  | { hang: true; count: number; endpoint?: string }
  /** The key pair is revoked (Basic → 401/22, existing tokens → 401/30) or restored. */
  | { revokeKeys: boolean };

/** The ClearML emulator with fault injection. */
export interface ClearmlEmulator extends PlainClearmlEmulator {
  readonly faults: { inject(fault: ClearmlFault): void; clear(): void };
}

/** Starts a ClearML emulator that takes faults through `faults.inject`. */
export async function startClearmlEmulator(opts: ClearmlEmulatorOptions): Promise<ClearmlEmulator> {
  return withClearmlFaults(await startPlainClearmlEmulator(opts));
}

export function withClearmlFaults(plain: PlainClearmlEmulator): ClearmlEmulator {
  const pending: Exclude<ClearmlFault, { revokeKeys: boolean }>[] = [];
  let keysRevoked = false;
  plain.interceptors.push({
    credentialsAccepted: () => !keysRevoked,
    request(endpoint) {
      const i = pending.findIndex((f) => !f.endpoint || f.endpoint === endpoint);
      if (i < 0) return null;
      const f = pending[i]!;
      f.count--;
      if (f.count <= 0) pending.splice(i, 1);
      if ('hang' in f) return 'hang';
      const message = f.status === 503 ? 'Service unavailable (server is in maintenance)' : 'Internal server error';
      return { status: f.status, message };
    },
  });
  return Object.assign(plain, {
    faults: {
      inject(fault: ClearmlFault) {
        if ('revokeKeys' in fault) keysRevoked = fault.revokeKeys;
        else pending.push({ ...fault });
      },
      clear() {
        pending.length = 0;
        keysRevoked = false;
      },
    },
  });
}

export type { ClearmlEmulatorOptions };
