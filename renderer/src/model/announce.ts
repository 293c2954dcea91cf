/**
 * What the dashboard's one polite live region says. A screen reader user hears what a desktop notification would
 * tell (the shared notification core decides: transitions only, coalesced per kind and queue, with the same
 * cooldowns), plus changes of the autoscaling state itself (on/off, an error, recovery). Never the tick: a snapshot
 * that only refreshed numbers says nothing.
 */
import type { EngineStatus, Snapshot } from '../../../shared/domain.js';
import { Notifier, type Notice } from '../../../shared/notify/notifier.js';
import type { NotificationMutes } from '../../../shared/settings.js';

/**
 * Every category is spoken (the mutes in Settings govern desktop pop-ups, not what the page says aloud), except a
 * lost connection: the page already says the error and the recovery the moment the status changes (below), and the
 * desktop notice that comes minutes later would say it a second time.
 */
const SPEAK_ALL: NotificationMutes = {
  launched: false,
  terminated: false,
  launchFailed: false,
  credentialsRejected: false,
  capReached: false,
  team: false,
  connectionLost: true,
};

export type Announcement =
  | { code: 'notice'; notice: Notice }
  | { code: 'enabled'; enabled: boolean }
  | { code: 'status-error'; reason: string | null }
  | { code: 'status-recovered'; status: EngineStatus };

interface Seen {
  enabled: boolean;
  failing: boolean;
}

export class Announcer {
  private readonly notifier: Notifier;
  private seen: Seen | null = null;

  constructor(opts: { now: () => number; cooldownMs?: ConstructorParameters<typeof Notifier>[0]['cooldownMs'] }) {
    // Event messages reach the page already redacted by the engine (the Events view shows them as they are).
    this.notifier = new Notifier({ now: opts.now, cooldownMs: opts.cooldownMs, redact: (t) => t });
  }

  /** Feed every snapshot the page receives; returns what to say now, in order (usually nothing). */
  next(s: Snapshot): Announcement[] {
    const out: Announcement[] = [];
    const failing = s.status === 'error';
    const before = this.seen;
    this.seen = { enabled: s.enabled, failing };
    if (before) {
      if (before.enabled !== s.enabled) out.push({ code: 'enabled', enabled: s.enabled });
      if (!before.failing && failing) out.push({ code: 'status-error', reason: s.statusReason });
      if (before.failing && !failing) out.push({ code: 'status-recovered', status: s.status });
    }
    for (const notice of this.notifier.next(s, SPEAK_ALL)) out.push({ code: 'notice', notice });
    return out;
  }
}

const STATUS_WORDS: Record<EngineStatus, string> = {
  off: 'off',
  starting: 'starting',
  watching: 'watching the queues',
  scaling: 'scaling',
  paused: 'paused',
  error: 'failing',
};

/** One sentence per announcement; the region shows them joined, newest last. */
export function announcementText(a: Announcement): string {
  switch (a.code) {
    case 'enabled':
      return a.enabled ? 'Autoscaling on.' : 'Autoscaling off.';
    case 'status-error':
      return `Autoscaling error: ${a.reason ?? 'see Events'}`;
    case 'status-recovered':
      return `Autoscaling recovered: ${STATUS_WORDS[a.status]}.`;
    case 'notice': {
      const n = a.notice;
      // "3 instances launched on gpu" already says it all; the other kinds need their title for context.
      const text = n.kind === 'launched' || n.kind === 'terminated' ? n.body : `${n.title}: ${n.body}`;
      return /[.!?]$/.test(text) ? text : `${text}.`;
    }
  }
}
