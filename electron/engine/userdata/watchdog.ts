/**
 * The on-instance dead-man watchdog (source: `watchdog.sh`, embedded by `embed-watchdog.ts`) and how the user
 * data installs it. Lease tag contract with the engine: `TAG.lease` (`clearml-autoscaler:lease-until`) holds the
 * lease expiry in epoch seconds, read by the instance through IMDS instance-metadata tags.
 */
import type { Lease } from '../../../shared/config.js';
import { WATCHDOG_SH_LINES } from './watchdog.generated.js';

/** The watchdog script exactly as in `watchdog.sh`. */
export const WATCHDOG_SH: string = WATCHDOG_SH_LINES.join('\n');

/** Seconds between checks; the metadata-failure budget is (lease + grace) / this. */
export const WATCHDOG_INTERVAL_SEC = 60;

/**
 * The script without comments, blank lines or indentation, for user data (16 KB limit). Safe because the script
 * has no here-documents or multi-line strings; the watchdog tests run every case against this form too.
 */
export function compactScript(script: string): string {
  const [shebang = '', ...rest] = script.split('\n');
  const kept = rest.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return [shebang, ...kept].join('\n') + '\n';
}

export const WATCHDOG_SH_COMPACT: string = compactScript(WATCHDOG_SH);

/** Lease fields as the watchdog's environment (whole seconds). */
export function watchdogEnv(lease: Lease, stateDir: string): Record<string, string> {
  return {
    WATCHDOG_LEASE_SEC: String(Math.round(lease.leaseMin * 60)),
    WATCHDOG_GRACE_SEC: String(Math.round(lease.graceMin * 60)),
    WATCHDOG_MAX_LIFETIME_SEC: String(Math.round(lease.maxLifetimeHours * 3600)),
    WATCHDOG_INTERVAL_SEC: String(WATCHDOG_INTERVAL_SEC),
    WATCHDOG_STATE_DIR: stateDir,
  };
}
