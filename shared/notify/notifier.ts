/**
 * PURE notification core. Desktop tray apps are infamous for notification spam (podman-desktop#6682 and
 * friends), so this only ever reports *transitions* the engine recorded as events, never states:
 *  - events are read once, by id, from successive snapshots (the first snapshot only sets the baseline);
 *  - events of one (kind, queue) in one snapshot are coalesced ("3 instances launched on gpu");
 *  - after a notification, the same (kind, queue) stays quiet for a cooldown; what happens meanwhile is
 *    accumulated and reported as one notification when the cooldown is over;
 *  - muted categories are dropped entirely.
 * Text is redacted before it leaves this module.
 */
import type { EngineEvent, Snapshot } from '../domain.js';
import type { EventPayload } from '../ipc/contract.js';
import type { NotificationCategory, NotificationMutes } from '../settings.js';
import { plural, sentence } from '../words.js';

export type NoticeKind = NotificationCategory;

export interface Notice {
  kind: NoticeKind;
  queue: string | null;
  title: string;
  body: string;
  /** Where a click takes the user. */
  navigate: EventPayload<'autoscaler:navigate'>;
}

export interface NotifierOptions {
  now: () => number;
  /** Quiet period per (kind, queue) after a notification. */
  cooldownMs?: Partial<Record<NoticeKind, number>>;
  redact: (text: string) => string;
}

const DEFAULT_COOLDOWN_MS: Record<NoticeKind, number> = {
  launched: 60_000,
  terminated: 60_000,
  launchFailed: 5 * 60_000,
  credentialsRejected: 30 * 60_000,
  capReached: 30 * 60_000,
  team: 5 * 60_000,
};

/**
 * Engine events → notification kinds. Credentials problems arrive as `error` events; the engine words them
 * with "credential" or names the auth failure, which is what we match (documented in the handover report).
 */
const CREDENTIALS_RE =
  /credential|auth(?:entication|orization)?\s*fail|AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch|unauthori[sz]ed|invalid (?:access )?key/i;

/** How the engine words credentials that are absent rather than refused. */
const MISSING_RE = /\bno (?:AWS |ClearML )?credentials (?:were found|are set)|received no credentials/i;

const CAP_RE = /not launched:.*(?:is at its cap of|cap of \d+ instances is reached)/;

export function classifyEvent(e: EngineEvent): NoticeKind | null {
  switch (e.kind) {
    case 'launch':
      return 'launched';
    case 'terminate':
      return 'terminated';
    case 'launch-failed':
      return CREDENTIALS_RE.test(e.message) ? 'credentialsRejected' : 'launchFailed';
    case 'budget':
      return 'capReached';
    case 'team':
      // Gained, lost, another engine, the lease unreachable; standing by and recoveries are only logged.
      return e.level === 'info' ? null : 'team';
    case 'error':
      return CREDENTIALS_RE.test(e.message) ? 'credentialsRejected' : null;
    case 'decision':
      // The engine reports caps inside its (deduplicated) decision text: "…; 2 not launched: gpu_t4 is at its cap…".
      return CAP_RE.test(e.message) ? 'capReached' : null;
    default:
      return null;
  }
}

interface Bucket {
  kind: NoticeKind;
  queue: string | null;
  count: number;
  messages: string[];
}

function eventCount(e: EngineEvent): number {
  return e.count ?? (e.instanceIds?.length || 1);
}

function render(b: Bucket, redact: (t: string) => string): Notice {
  const on = b.queue ? ` on ${b.queue}` : '';
  const last = redact(b.messages[b.messages.length - 1] ?? '');
  const more = b.messages.length > 1 ? ` (and ${plural(b.messages.length - 1, 'more problem')})` : '';
  switch (b.kind) {
    case 'launched':
      return {
        kind: b.kind,
        queue: b.queue,
        title: 'Instances launched',
        body: `${plural(b.count, 'instance')} launched${on}`,
        navigate: { view: 'instances' },
      };
    case 'terminated':
      return {
        kind: b.kind,
        queue: b.queue,
        title: 'Instances terminated',
        body: `${plural(b.count, 'instance')} terminated${on}`,
        navigate: { view: 'instances' },
      };
    case 'launchFailed':
      return {
        kind: b.kind,
        queue: b.queue,
        title: `Launch failed${on}`,
        body: `${last}${more}`,
        navigate: { view: 'events' },
      };
    case 'credentialsRejected': {
      // One kind for both, as both are fixed in the same tab; the title says which it is, since telling a user
      // whose keys were never entered that they were rejected sends them looking for the wrong problem.
      const missing = b.messages.map((m) => MISSING_RE.test(m));
      const title = missing.every(Boolean)
        ? 'Credentials missing'
        : missing.some(Boolean)
          ? 'Credentials missing or rejected'
          : 'Credentials rejected';
      return {
        kind: b.kind,
        queue: b.queue,
        title,
        body: `${sentence(last + more)} Open the Credentials tab to ${missing.every(Boolean) ? 'enter' : 'update'} them.`,
        navigate: { view: 'credentials' },
      };
    }
    case 'capReached':
      return {
        kind: b.kind,
        queue: b.queue,
        title: 'Instance or budget cap reached',
        body: `${last}${more}`,
        navigate: { view: b.queue ? 'queues' : 'costs', ...(b.queue ? { id: b.queue } : {}) },
      };
    case 'team':
      return {
        kind: b.kind,
        queue: null,
        title: 'Team: which engine acts',
        body: last,
        navigate: { view: 'overview' },
      };
  }
}

export class Notifier {
  private lastEventId: number | null = null;
  /** After `rebaseline`: the next snapshot that lists events is history, not news. */
  private awaitingHistory = false;
  private readonly lastShown = new Map<string, number>();
  private readonly pending = new Map<string, Bucket>();
  private readonly cooldown: Record<NoticeKind, number>;

  constructor(private readonly opts: NotifierOptions) {
    this.cooldown = { ...DEFAULT_COOLDOWN_MS, ...opts.cooldownMs };
  }

  /**
   * The snapshots now come from another engine (the app attached to a team engine, or detached): its event log
   * is history, not news, and its ids are not comparable with the previous engine's. The new engine's first
   * snapshots may be empty placeholders (still connecting), so the baseline is the first one that lists events.
   */
  rebaseline(): void {
    this.lastEventId = null;
    this.awaitingHistory = true;
  }

  /** Feed every new snapshot; returns what to show now (possibly nothing). */
  next(snapshot: Snapshot, mutes: NotificationMutes): Notice[] {
    const events = snapshot.events;
    const maxId = events.reduce((m, e) => Math.max(m, e.id), -1);
    if (this.awaitingHistory) {
      if (events.length === 0) return this.flush(mutes);
      this.awaitingHistory = false;
      this.lastEventId = maxId;
      return this.flush(mutes);
    }
    if (this.lastEventId === null) {
      // Startup: history is not news.
      this.lastEventId = maxId;
      return this.flush(mutes);
    }
    const since = this.lastEventId;
    // A lower max id means the engine restarted its event ids (e.g. demo start): everything listed is new.
    const fresh = maxId < since ? events : events.filter((e) => e.id > since);
    if (events.length > 0) this.lastEventId = maxId;
    for (const e of [...fresh].sort((a, b) => a.id - b.id)) {
      const kind = classifyEvent(e);
      if (!kind || mutes[kind]) continue;
      const queue = e.queue ?? null;
      const key = `${kind}|${queue ?? ''}`;
      const b = this.pending.get(key) ?? { kind, queue, count: 0, messages: [] };
      b.count += eventCount(e);
      b.messages.push(e.message);
      this.pending.set(key, b);
    }
    return this.flush(mutes);
  }

  private flush(mutes: NotificationMutes): Notice[] {
    const now = this.opts.now();
    const out: Notice[] = [];
    for (const [key, b] of [...this.pending]) {
      if (mutes[b.kind]) {
        this.pending.delete(key);
        continue;
      }
      const shown = this.lastShown.get(key);
      if (shown !== undefined && now - shown < this.cooldown[b.kind]) continue;
      this.pending.delete(key);
      this.lastShown.set(key, now);
      out.push(render(b, this.opts.redact));
    }
    return out;
  }
}
