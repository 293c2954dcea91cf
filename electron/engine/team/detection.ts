/**
 * Without a lease table, engines only detect each other (pure). Each engine stamps its id, host and the time on
 * the instances it launches and on every lease renewal (`TAG.engine`); another engine's recent stamp on an
 * instance of our prefix means two engines act on it. The one that notices holds (observes only) until the user
 * decides: "this engine acts" (for the engines seen then: a new one warns again) or "stand by".
 */
import type { TeamDecision } from '../../../shared/team.js';
import { isLiveState } from '../../../shared/domain.js';
import { TAG, type InstanceObs } from '../ports.js';

export interface EngineStamp {
  engineId: string;
  host: string;
  /** ms epoch (the stamping engine's clock). */
  at: number;
}

/** The tag value: `<engine id> <epoch seconds> <host>` (a host name has no spaces). */
export function formatStamp(s: EngineStamp): string {
  return `${s.engineId} ${Math.floor(s.at / 1000)} ${s.host}`.slice(0, 256);
}

export function parseStamp(value: string | undefined): EngineStamp | null {
  if (!value) return null;
  const [engineId, sec, ...host] = value.trim().split(/\s+/);
  const at = Number(sec) * 1000;
  if (!engineId || !Number.isFinite(at) || at <= 0) return null;
  return { engineId, host: host.join(' ') || 'unknown host', at };
}

/** Other engines that stamped a live instance of ours within `windowMs`, most recent stamp per engine first. */
export function otherEngines(input: {
  now: number;
  me: string;
  instances: readonly InstanceObs[];
  windowMs: number;
}): EngineStamp[] {
  const latest = new Map<string, EngineStamp>();
  for (const i of input.instances) {
    if (!isLiveState(i.state)) continue;
    const s = parseStamp(i.tags[TAG.engine]);
    if (!s || s.engineId === input.me || input.now - s.at > input.windowMs) continue;
    const prev = latest.get(s.engineId);
    if (!prev || prev.at < s.at) latest.set(s.engineId, s);
  }
  return [...latest.values()].sort((a, b) => b.at - a.at);
}

/** The user's decision as persisted; `engines` null: "whichever engines are seen next" (set from the CLI). */
export interface StoredDecision {
  decision: TeamDecision;
  engines: string[] | null;
  at: number;
}

export type DetectionOutcome =
  | { role: 'solo'; acts: true; reason: 'alone' | 'decided-act'; bind: string[] | null }
  | { role: 'standby'; acts: false; reason: 'decided-standby' }
  | { role: 'conflict'; acts: false; reason: 'other-engine'; unacknowledged: string[] };

/**
 * What this engine does, given the other engines it sees and the user's decision. `bind`: an "act" decision made
 * before any engine was seen now covers these engines (the caller persists it).
 */
export function detectionRole(others: readonly EngineStamp[], decision: StoredDecision | null): DetectionOutcome {
  if (decision?.decision === 'standby') return { role: 'standby', acts: false, reason: 'decided-standby' };
  const ids = others.map((o) => o.engineId);
  if (!ids.length) return { role: 'solo', acts: true, reason: decision ? 'decided-act' : 'alone', bind: null };
  if (decision?.decision === 'act') {
    if (decision.engines === null) return { role: 'solo', acts: true, reason: 'decided-act', bind: ids };
    const unacknowledged = ids.filter((id) => !decision.engines!.includes(id));
    if (!unacknowledged.length) return { role: 'solo', acts: true, reason: 'decided-act', bind: null };
    return { role: 'conflict', acts: false, reason: 'other-engine', unacknowledged };
  }
  return { role: 'conflict', acts: false, reason: 'other-engine', unacknowledged: ids };
}
