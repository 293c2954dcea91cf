/**
 * The team engines' certificate fingerprints a user confirmed for `preview:web --attach`, per address, like SSH's
 * known_hosts: confirmed once with `--fingerprint`, used on later runs without it. One small JSON file in the user's
 * config folder; a missing, unreadable or malformed file reads as "nothing confirmed yet" (the user is asked
 * again), never as a reason to connect without a pin.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { normalizeFingerprint } from '../team/fingerprint.js';
import { writeFileDurably } from '../durable-file.js';
import { readBoundedFile } from '../untrusted/bounded-read.js';

/** Far more than any user's list of team engines; a bigger file is not ours. */
const MAX_BYTES = 256 * 1024;

const KnownSchema = z.object({
  version: z.literal(1),
  engines: z.record(
    z.string().max(2048),
    z.object({ fingerprint: z.string().max(200), confirmedAt: z.string().max(40) }),
  ),
});
type Known = z.infer<typeof KnownSchema>;

export interface KnownFingerprint {
  fingerprint: string;
  confirmedAt: string;
}

/** `$XDG_CONFIG_HOME/clearml-tray-autoscaler/preview-fingerprints.json` (or under ~/.config). */
export function defaultKnownFingerprintsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || path.join(homedir(), '.config');
  return path.join(base, 'clearml-tray-autoscaler', 'preview-fingerprints.json');
}

async function load(file: string): Promise<Known> {
  const empty: Known = { version: 1, engines: {} };
  try {
    const read = await readBoundedFile(file, MAX_BYTES);
    if (!read.ok) return empty;
    const parsed = KnownSchema.safeParse(JSON.parse(read.bytes.toString('utf8')));
    return parsed.success ? parsed.data : empty;
  } catch {
    return empty;
  }
}

/** The fingerprint confirmed for `url`, or null (none, or not a valid fingerprint). */
export async function knownFingerprint(file: string, url: string): Promise<KnownFingerprint | null> {
  const entry = (await load(file)).engines[url];
  const fingerprint = entry ? normalizeFingerprint(entry.fingerprint) : null;
  return entry && fingerprint ? { fingerprint, confirmedAt: entry.confirmedAt } : null;
}

/** Records `fingerprint` as confirmed for `url` (replacing an earlier one). */
export async function rememberFingerprint(file: string, url: string, fingerprint: string, now: Date): Promise<void> {
  const known = await load(file);
  known.engines[url] = { fingerprint, confirmedAt: now.toISOString() };
  await writeFileDurably(file, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
}
