/**
 * What in a config change needs the user's explicit yes before it is saved, pure and shared: main refuses a save
 * without the confirmation, and the dashboard shows the same list (as a diff) before asking.
 * - Instance setup: the init script (runs as root on every instance), the extra clearml.conf (and whether the
 *   instance's shell expands it: `$(cmd)` in it then runs), the docker images,
 *   the agent version and queue poll, and where instances get the ClearML keys. They change what runs on every
 *   instance.
 * - The ClearML API host: the stored ClearML keys are sent there (the Test button and the engine), so a new host,
 *   or plain http to a host that is not this machine, is named and confirmed first.
 * - A move to another world (ClearML server, AWS region or workers prefix) while instances of the current one run:
 *   the app stops managing them, so what becomes of them is said first.
 */
import type { Config } from './config.js';
import { ConfigSchema } from './config.js';

export interface SetupChange {
  /** Dotted path, e.g. `agent.initScript` or `resources.gpu.dockerImage`. */
  path: string;
  label: string;
  before: string;
  after: string;
}

export interface HostChange {
  /** The host the stored keys were confirmed for; null when none was. */
  from: string | null;
  to: string;
  /** http:// to a host that is not this machine: keys and tasks would cross the network unencrypted. */
  insecure: boolean;
}

const AGENT_FIELDS: { key: keyof Config['agent']; label: string }[] = [
  { key: 'initScript', label: 'Init script (runs as root on every instance)' },
  { key: 'extraClearmlConf', label: 'Extra clearml.conf' },
  { key: 'extraClearmlConfShellExpand', label: "Extra clearml.conf expanded by the instance's shell" },
  { key: 'defaultDockerImage', label: 'Default docker image' },
  { key: 'agentVersion', label: 'clearml-agent version' },
  { key: 'queuePollSec', label: 'Agent queue poll (s)' },
  { key: 'clearmlCredentialsFrom', label: 'ClearML keys on instances from' },
  { key: 'ssmPrefix', label: 'SSM parameter prefix' },
];

/** The defaults a first config is compared with: an imported init script is new even on a first save. */
const EMPTY_AGENT = ConfigSchema.shape.agent.parse(undefined);

/** Every instance-setup field that differs between the saved config (null: none yet) and the next one. */
export function instanceSetupChanges(before: Config | null, after: Config): SetupChange[] {
  const out: SetupChange[] = [];
  const prevAgent = before?.agent ?? EMPTY_AGENT;
  for (const { key, label } of AGENT_FIELDS) {
    const a = String(prevAgent[key]);
    const b = String(after.agent[key]);
    if (a !== b) out.push({ path: `agent.${key}`, label, before: a, after: b });
  }
  // Per-resource images: only resources that remain matter; a new one matters when it names its own image.
  for (const name of Object.keys(after.resources).sort()) {
    const a = before?.resources[name]?.dockerImage;
    const b = after.resources[name]!.dockerImage;
    if (a === b) continue;
    out.push({
      path: `resources.${name}.dockerImage`,
      label: `Docker image of resource ${name}`,
      before: a ?? '(the default)',
      after: b ?? '(the default)',
    });
  }
  return out;
}

export function normalizeApiHost(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** Two API hosts name the same server: scheme and host compare case-insensitively, a trailing slash aside. */
export function sameServer(a: string, b: string): boolean {
  return normalizeApiHost(a).toLowerCase() === normalizeApiHost(b).toLowerCase();
}

/**
 * Which world a config watches: the ClearML server (its queues and workers), the AWS region (its instances) and the
 * workers prefix (which of those are ours). What an engine learnt by watching one world says nothing of another, so
 * memory is handed on, or taken back after a restart, only within the same world.
 */
export interface WorldKey {
  apiHost: string;
  region: string;
  workersPrefix: string;
}

export const worldOf = (c: Config): WorldKey => ({
  apiHost: c.clearml.apiHost,
  region: c.aws.region,
  workersPrefix: c.scaling.workersPrefix,
});

export type WorldPart = 'server' | 'region' | 'prefix';

/** The parts of the world `b` watches that `a` does not, in this order; empty: the same world. */
export function worldChanges(a: WorldKey, b: WorldKey): WorldPart[] {
  return [
    ...(sameServer(a.apiHost, b.apiHost) ? [] : ['server' as const]),
    ...(a.region === b.region ? [] : ['region' as const]),
    ...(a.workersPrefix === b.workersPrefix ? [] : ['prefix' as const]),
  ];
}

export const sameWorld = (a: WorldKey, b: WorldKey): boolean => worldChanges(a, b).length === 0;

export interface WorldMove {
  /** What the next config watches that the current one does not, in this order. */
  changed: WorldPart[];
  /** Where the current config's instances are. */
  from: WorldKey;
  /** The current config's live instances, and how many of them run a task. */
  instances: number;
  busy: number;
  /** Whether the current config's instances carry leases (their watchdog then stops each once idle). */
  leases: boolean;
}

/**
 * Null unless the next config watches another ClearML server, AWS region or workers prefix while instances of the
 * current one run (`instances`: the snapshot's, terminating ones aside).
 */
export function worldMove(
  before: Config | null,
  after: Config,
  instances: readonly { phase: string; task: unknown }[],
): WorldMove | null {
  if (!before) return null;
  const from = worldOf(before);
  const changed = worldChanges(from, worldOf(after));
  const live = instances.filter((i) => i.phase !== 'terminating');
  if (!changed.length || !live.length) return null;
  return {
    changed,
    from: { ...from, apiHost: normalizeApiHost(from.apiHost) },
    instances: live.length,
    busy: live.filter((i) => i.task).length,
    leases: before.lease.enabled,
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function isInsecureApiHost(url: string): boolean {
  // shared/ has no URL class; the schema already checked this is an http(s) URL.
  const m = /^http:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(url.trim());
  return m !== null && !LOOPBACK.test(m[1]!);
}

/**
 * Null when the next host needs no confirmation: the same host as the confirmed one; or, with no keys stored, a
 * host that is https or on this machine.
 */
export function apiHostChange(confirmed: string | null, next: string, keysStored: boolean): HostChange | null {
  const to = normalizeApiHost(next);
  const from = confirmed === null ? null : normalizeApiHost(confirmed);
  if (from === to) return null;
  const insecure = isInsecureApiHost(to);
  if (!keysStored && !insecure) return null;
  return { from, to, insecure };
}
