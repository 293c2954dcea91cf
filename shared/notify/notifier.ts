/**
 * PURE notification core. Desktop tray apps are infamous for notification spam (podman-desktop#6682 and
 * friends), so this only ever reports *transitions* the engine recorded as events, never states:
 *  - events are read once, by id, from successive snapshots (the first snapshot only sets the baseline);
 *  - events of one (kind, queue) in one snapshot are coalesced ("3 instances launched on gpu"), and launches,
 *    terminations, spot interruptions and stops due at once on several queues are one notice naming them ("200
 *    instances launched on a, b, c and 97 more queues"), so a big account's tick is one pop-up, not a hundred;
 *  - after a notification, the same (kind, queue) stays quiet for a cooldown; what happens meanwhile is
 *    accumulated and reported as one notification when the cooldown is over, unless it is over by then (a cap
 *    notice about a queue that launched since, or has no task waiting);
 *  - muted categories are dropped entirely.
 * Launch failures are the exception to per-queue buckets: one broken AMI or quota fails every queue that uses it,
 * every poll, for as long as nobody fixes it. The same message on many queues is one notification naming them, and
 * an unchanged message is repeated less and less often (`LAUNCH_FAILED_REPEAT_MS`); a new message is news at once,
 * and a successful launch on a queue takes it out of the failure (the launch is itself notified, as "launched").
 * Text is redacted before it leaves this module.
 */
import { queuesKnown, type EngineEvent, type EventCode, type Snapshot } from '../domain.js';
import type { EventPayload } from '../ipc/contract.js';
import type { NotificationCategory, NotificationMutes } from '../settings.js';
import { andList, clip, localTimeOfDay, plural, sentence } from '../words.js';
import { stoppedNote, stoppedNoteMany } from '../stopped.js';
import { roleAllows } from '../ipc/roles.js';

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
  /** HH:MM of a time, as the user reads the clock here (default: this machine's time zone). */
  clock?: (ms: number) => string;
}

/**
 * After the first notice of a launch failure, the same message is told again 5 min later (a transient would have
 * cleared by then), then after 30 min, then every 3 h while it lasts: enough to remind that launches still fail
 * (tasks wait) without a notification every 5 min for a whole night. The first step is `cooldownMs.launchFailed`.
 */
export const LAUNCH_FAILED_REPEAT_MS = [5 * 60_000, 30 * 60_000, 3 * 3600_000] as const;
/**
 * A failure seen within this window still holds: the engine retries a capacity failure only after its 10-min
 * cooldown, so a quieter quarter of an hour means it stopped, and a repeat due then is not given.
 */
const STILL_FAILING_MS = 15 * 60_000;
/** A failure not seen for this long has stopped (demand gone, config changed): if it comes back, it is news. */
const LAUNCH_FAILED_FORGET_MS = 60 * 60_000;
const REACHED = 'Instance or budget cap reached';
/** How many queues a launch-failure or cap notice names before "and K more". */
const QUEUES_NAMED = 3;

const DEFAULT_COOLDOWN_MS: Record<NoticeKind, number> = {
  launched: 60_000,
  terminated: 60_000,
  launchFailed: 5 * 60_000,
  credentialsRejected: 30 * 60_000,
  capReached: 30 * 60_000,
  team: 5 * 60_000,
  // Told once per outage (and once when it ends), never repeated: see `OUTAGE_NOTIFY_MS`.
  connectionLost: 0,
};

/**
 * How long ClearML or EC2 must stay unreadable before a notification, and in how many failed polls. The engine
 * retries every poll (15 s by default) and holds meanwhile; a server restart or a VPN reconnect clears within a
 * minute or two, and telling those would be noise. 5 min is 20 default polls; asking for 3 failed polls as well
 * keeps a long polling interval from telling after a single failure.
 */
export const OUTAGE_NOTIFY_MS = 5 * 60_000;
export const OUTAGE_NOTIFY_POLLS = 3;
/**
 * How long a told outage must stay over before its end is told. A flapping link (down 12 min, up 2, down again, for
 * an hour) would otherwise tell "on hold" and "answers again" at every cycle; it is one outage with interruptions.
 * As long as the wait before telling an outage, so both ends are judged alike.
 */
export const RECOVERY_NOTIFY_MS = OUTAGE_NOTIFY_MS;

/** An outage as the notifier follows it (state, not events: its length is what matters). */
interface Outage {
  since: number;
  /** The failed polls seen (their `lastTickAt`). */
  polls: number;
  lastTick: number;
  told: boolean;
  /** Which services failed while it was told ("ClearML", "EC2"), for the notice of its end. */
  who: Set<string>;
  /** Reads work again since then (a told outage, waiting for RECOVERY_NOTIFY_MS); null while it holds. */
  answeredAt: number | null;
  /** How often reads worked again for a while and failed anew before the end was told. */
  interruptions: number;
}

/**
 * Whether the snapshot shows an engine that means to act but cannot read ClearML or EC2: its last poll failed
 * (`queuesKnown`), and nothing is launched or terminated until it answers. Credentials refused are left out, as
 * they are told (once) as such; so is an engine that would not act anyway (off, standing by for another engine),
 * and a team engine this app is not connected to (its own outage is not this one).
 */
export function holdingOnOutage(s: Snapshot): boolean {
  if (!s.enabled || s.lastTickAt === null || queuesKnown(s)) return false;
  if (s.leadership && !s.leadership.acts) return false;
  if (s.remote && s.remote.state !== 'connected') return false;
  const fix = s.statusFix ?? [];
  return !(fix.length > 0 && fix.every((f) => f === 'credentials'));
}

/** The services the engine's status reason names as unreadable (`ClearML could not be read at …`). */
function unreadNamed(reason: string | null): ('ClearML' | 'EC2')[] {
  return (['ClearML', 'EC2'] as const).filter((n) => new RegExp(`\\b${n} could not be read`).test(reason ?? ''));
}

/** "ClearML", "EC2" or both, as the engine's status reason names them. */
function unreadServices(reason: string | null): string {
  const named = unreadNamed(reason);
  return named.length ? named.join(' and ') : 'ClearML or EC2';
}

function outageNotice(s: Snapshot, redact: (t: string) => string): Notice {
  const who = unreadServices(s.statusReason);
  const reason = s.statusReason ? `${sentence(clip(redact(s.statusReason), 300))} ` : '';
  const fix = s.statusFix?.[0];
  return {
    kind: 'connectionLost',
    queue: null,
    title: `Autoscaling on hold: ${who} cannot be read`,
    body: `${reason}Nothing is launched or terminated until it answers; running instances keep billing.`,
    navigate: { view: fix ?? 'overview' },
  };
}

function recoveryNotice(outage: Outage & { answeredAt: number }): Notice {
  // The services that failed, in the order the status names them; both when none was recognised.
  const who = (['ClearML', 'EC2'] as const).filter((n) => outage.who.has(n));
  const title = who.length === 1 ? `${who[0]} answers again` : 'ClearML and EC2 answer again';
  const n = outage.interruptions;
  const flapped = n ? ` (it answered for a while ${n === 1 ? 'once' : `${n} times`} in between)` : '';
  return {
    kind: 'connectionLost',
    queue: null,
    title,
    body: `Autoscaling acts again after ${lasted(outage.answeredAt - outage.since)} on hold${flapped}.`,
    navigate: { view: 'overview' },
  };
}

/** Keys refused or absent, whichever call met it (events.ts `credentialsCode`). */
function credentialsProblem(e: EngineEvent): boolean {
  return e.code === 'credentials-refused' || e.code === 'credentials-missing';
}

/**
 * What an event of a broad kind (`error`, `engine`, `decision`) is told as, by its code (`EventCodeSchema`); null:
 * only logged. A new code does not compile until it is given its switch here, so an event meant to be told cannot
 * be left silent by a forgotten case.
 */
export const NOTICE_OF_CODE: Record<EventCode, Exclude<NoticeKind, 'connectionLost'> | null> = {
  'credentials-refused': 'credentialsRejected',
  'credentials-missing': 'credentialsRejected',
  // Told under the same switch as the refusal it ends, so a user who muted one does not get the other.
  'credentials-back': 'credentialsRejected',
  // Under the switch of the termination it announces: a user who stopped it on purpose can still keep it.
  'stopped-outside': 'terminated',
  // AWS taking spot instances back ends them as a termination does: the same switch, in a bucket of its own.
  'spot-interrupted': 'terminated',
  // A termination EC2 refuses for another reason than the keys (termination protection, a policy): the instance
  // bills on until someone acts, so it is told under the switch of failed launches, not of terminations (a user
  // who mutes the routine "Instances terminated" still hears of one that keeps billing).
  'terminate-failed': 'launchFailed',
  // A decision that left tasks at an instance cap ("…; 2 not launched: gpu_t4 is at its cap of 3").
  'instance-cap': 'capReached',
  // Another engine acting on the prefix: a team event (its kind decides it; the code lets a headless run say what to do).
  'other-engine': 'team',
};

/**
 * Engine events → notification kinds, from the event's kind, cause and code, never its words: a message that
 * quotes "AuthFailure" (a missing Spot role) or names "credentials" (a tip) is no credentials refusal. Events never
 * say a connection is lost for long: that is read from the state (`holdingOnOutage`). Every kind has its case (no
 * default), so a new kind does not compile until it is decided here.
 */
export function classifyEvent(e: EngineEvent): Exclude<NoticeKind, 'connectionLost'> | null {
  switch (e.kind) {
    case 'launch':
      return 'launched';
    case 'terminate':
      return 'terminated';
    case 'launch-failed':
      // EC2's own verdict: a missing Spot role reads "AuthFailure…" yet is no credentials problem, and its fix is not
      // in the Credentials tab. A failure without one (no startup script) met no EC2 answer, so no refusal either.
      return e.cause === 'auth' || credentialsProblem(e) ? 'credentialsRejected' : 'launchFailed';
    case 'budget':
      return 'capReached';
    case 'team':
      // Gained, lost, another engine, the lease unreachable; standing by and recoveries are only logged.
      return e.level === 'info' ? null : 'team';
    case 'error':
    case 'engine':
    case 'decision':
      // Too broad a kind to decide from: the code its constructor set says what it is.
      return e.code === undefined ? null : NOTICE_OF_CODE[e.code];
    case 'unregister':
    case 'requeue':
    case 'orphan':
      // Housekeeping the event log shows, never a notification.
      return null;
  }
}

/** One problem a bucket tells, from its latest event. */
interface Told {
  /** The event's short form (`summary`) when it has one, else its message. */
  text: string;
  /** `text` is the short form, which says what to do already. */
  summarized: boolean;
  /** Credentials absent rather than refused (`credentials-missing`). */
  missing: boolean;
  /** When one launch is tried again, on this notifier's clock: worded when the notice is shown, not when read. */
  retryBy?: number;
}

interface Bucket {
  /** Launch failures are tracked by message instead (`FailureTrack`), and outages from the state (`Outage`). */
  kind: Exclude<NoticeKind, 'launchFailed' | 'connectionLost'>;
  queue: string | null;
  count: number;
  /** The distinct problems, the latest last: the same refusal at every retry is one problem, not several. */
  messages: Told[];
  /** Credentials refused earlier work again (a bucket of its own: it is not held behind the refusal's quiet time). */
  recovered?: boolean;
  /** When its latest event happened (engine time): a launch on the queue after it ends a cap it tells. */
  lastAt?: number;
  /** capReached: every event in it is a budget cap crossing its near threshold (a warning), none a reached cap. */
  nearOnly?: boolean;
  /** One instance stopped outside the app (a bucket per instance), and when it is terminated (absent: not said). */
  stopped?: { instanceId: string; terminatesAt?: number };
  /** terminated: spot instances AWS took back (a bucket per queue), not the app's own terminations. */
  interrupted?: boolean;
}

/** One launch failure message, across the queues it fails (or one refused termination, retried every tick). */
interface FailureTrack {
  message: string;
  /** A termination EC2 refuses: told with its short form, as a refusal that keeps an instance billing. */
  terminate?: { summary: string };
  /** The queues failing with it now (a successful launch on one takes it out). */
  queues: Set<string>;
  firstSeenAt: number;
  lastSeenAt: number;
  /** The engine's id of its latest event: which of several is the most recent. */
  lastId: number;
  /** Failed launches since the last notice (0: nothing new to tell). */
  unshown: number;
  /** Notices given so far, and when the last one was. */
  shown: number;
  shownAt: number;
}

/** "gpu", "gpu and cpu", "a, b, c and 57 more queues": bounded whatever the config holds. */
function queueNames(queues: string[]): string {
  const names = queues.slice(0, QUEUES_NAMED).map((q) => clip(q, 40));
  const more = queues.length - names.length;
  if (more > 0) return `${names.join(', ')} and ${plural(more, 'more queue')}`;
  return andList(names);
}

function lasted(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  return min < 120 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/** One notice for the launch failures due now, the most recent first; the others are counted, not repeated. */
function renderFailures(due: FailureTrack[], now: number, redact: (t: string) => string): Notice {
  const [first, ...others] = [...due].sort((a, b) => b.lastId - a.lastId) as [FailureTrack, ...FailureTrack[]];
  const queues = [...first.queues];
  const on = queues.length ? ` on ${queueNames(queues)}` : '';
  const repeat = first.shown > 0;
  const more = others.length ? ` (and ${plural(others.length, 'more problem')})` : '';
  const since = repeat ? ` Failing for ${lasted(now - first.firstSeenAt)}.` : '';
  if (first.terminate)
    return {
      kind: 'launchFailed',
      queue: null,
      title: repeat ? 'Termination still refused' : 'Termination refused',
      body: `${sentence(redact(first.terminate.summary).replace(/\.$/, '') + more)}${since}`,
      navigate: { view: 'instances' },
    };
  return {
    kind: 'launchFailed',
    queue: queues.length === 1 ? (queues[0] ?? null) : null,
    title: `${repeat ? 'Launches still failing' : 'Launch failed'}${on}`,
    body: `${sentence(redact(first.message) + more)}${since}`,
    navigate: { view: 'events' },
  };
}

function eventCount(e: EngineEvent): number {
  return e.count ?? (e.instanceIds?.length || 1);
}

/**
 * When the refused launch is tried again, counted from `now` (when the notice is shown, possibly after a quiet
 * time), as the engine counts it: whole minutes, rounded up. Once that time is over, the next launch is the try.
 */
function nextTry(retryBy: number, now: number): string {
  const ms = retryBy - now;
  return ms > 0 ? `Next try in ${Math.max(1, Math.ceil(ms / 60_000))} min.` : 'Next try with the next launch.';
}

/**
 * Whether this app may change the credentials of the engine it shows: its own, or a team engine's as an admin. A
 * teammate below admin finds the Credentials tab read-only ("Credentials cannot be changed from here").
 */
function mayUpdateCredentials(s: Snapshot): boolean {
  return !s.remote?.actor || roleAllows(s.remote.actor.role, 'autoscaler:credentials.set');
}

function render(
  b: Bucket,
  redact: (t: string) => string,
  clock: (ms: number) => string,
  now: number,
  snapshot: Snapshot,
): Notice {
  const on = b.queue ? ` on ${b.queue}` : '';
  const told = b.messages[b.messages.length - 1];
  // Its full stop goes after the count of the others: "… the policy (and 1 more problem)."
  const last = redact(told?.text ?? '');
  const more = b.messages.length > 1 ? ` (and ${plural(b.messages.length - 1, 'more problem')})` : '';
  const lastWithMore = more ? sentence(last.replace(/\.$/, '') + more) : last;
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
      if (b.stopped)
        return {
          kind: b.kind,
          queue: b.queue,
          title: 'Instance stopped outside the app',
          body: `${b.stopped.instanceId}${on}. ${stoppedNote(b.stopped, clock)}`,
          navigate: { view: 'instances' },
        };
      if (b.interrupted)
        return {
          kind: b.kind,
          queue: b.queue,
          title: 'Spot instances taken back by AWS',
          body: `${plural(b.count, 'spot instance')} interrupted${on}: not the app; a new one is launched when tasks wait`,
          navigate: { view: 'instances' },
        };
      return {
        kind: b.kind,
        queue: b.queue,
        title: 'Instances terminated',
        body: `${plural(b.count, 'instance')} terminated${on}`,
        navigate: { view: 'instances' },
      };
    case 'credentialsRejected': {
      if (b.recovered)
        return {
          kind: b.kind,
          queue: b.queue,
          title: 'Credentials accepted again',
          body: sentence(last),
          navigate: { view: 'overview' },
        };
      // One kind for both, as both are fixed in the same tab; the title says which it is, since telling a user
      // whose keys were never entered that they were rejected sends them looking for the wrong problem.
      const missing = b.messages.map((m) => m.missing);
      const title = missing.every(Boolean)
        ? 'Credentials missing'
        : missing.some(Boolean)
          ? 'Credentials missing or rejected'
          : 'Credentials rejected';
      const verb = missing.every(Boolean) ? 'enter' : 'update';
      const open = told?.summarized
        ? ''
        : mayUpdateCredentials(snapshot)
          ? ` Open the Credentials tab to ${verb} them.`
          : ` An admin of the team engine can ${verb} them.`;
      const retry = told?.retryBy !== undefined ? ` ${nextTry(told.retryBy, now)}` : '';
      return {
        kind: b.kind,
        queue: b.queue,
        title,
        body: `${sentence(lastWithMore)}${retry}${open}`,
        navigate: { view: 'credentials' },
      };
    }
    case 'capReached':
      return {
        kind: b.kind,
        queue: b.queue,
        // A cap at 96 % is near, as the tray and the dashboard say, not reached.
        // The queue it holds in the title, as a launch failure's: the body is the decision, which does not name it.
        title: `${b.nearOnly ? 'Budget cap nearly reached' : REACHED}${b.queue ? ` on ${clip(b.queue, 40)}` : ''}`,
        body: lastWithMore,
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

/**
 * Which due buckets one notice tells: the routine news of a big account (200 instances launched over 100 queues in
 * one tick, a spot reclaim across every queue, a stop of a whole fleet) is one notice naming the queues, not one
 * pop-up per queue or per instance; the rest are told one each. Each bucket keeps its own quiet time.
 */
function acrossQueuesKey(b: Bucket): string | null {
  if (b.kind === 'launched') return 'launched';
  if (b.kind === 'terminated') return b.stopped ? 'stopped' : b.interrupted ? 'interrupted' : 'terminated';
  return null;
}

function groupAcrossQueues(due: readonly Bucket[]): Bucket[][] {
  const groups = new Map<string, Bucket[]>();
  const out: Bucket[][] = [];
  for (const b of due) {
    const key = acrossQueuesKey(b);
    const group = key === null ? undefined : groups.get(key);
    if (group) group.push(b);
    else {
      const fresh = [b];
      if (key !== null) groups.set(key, fresh);
      out.push(fresh);
    }
  }
  return out;
}

/** Instance ids a merged notice names before "and K more": a notification shows about four lines. */
const INSTANCES_NAMED = 3;

/** One notice for several buckets of one `acrossQueuesKey` (launched, terminated, interrupted or stopped). */
function renderAcrossQueues(group: readonly Bucket[], clock: (ms: number) => string): Notice {
  const first = group[0]!;
  const named = [...new Set(group.flatMap((b) => (b.queue === null ? [] : [b.queue])))];
  const on = named.length ? ` on ${queueNames(named)}` : '';
  const count = group.reduce((n, b) => n + b.count, 0);
  const navigate: Notice['navigate'] = { view: 'instances' };
  if (first.kind === 'launched')
    return {
      kind: 'launched',
      queue: null,
      title: 'Instances launched',
      body: `${plural(count, 'instance')} launched${on}`,
      navigate,
    };
  if (first.stopped) {
    const stopped = group.flatMap((b) => (b.stopped ? [b.stopped] : []));
    const ids = stopped.slice(0, INSTANCES_NAMED).map((s) => s.instanceId);
    const more = stopped.length - ids.length;
    return {
      kind: 'terminated',
      queue: null,
      title: 'Instances stopped outside the app',
      body: `${plural(stopped.length, 'instance')} stopped${on} (${ids.join(', ')}${more ? ` and ${more} more` : ''}). ${stoppedNoteMany(stopped, clock)}`,
      navigate,
    };
  }
  if (first.interrupted)
    return {
      kind: 'terminated',
      queue: null,
      title: 'Spot instances taken back by AWS',
      body: `${plural(count, 'spot instance')} interrupted${on}: not the app; new ones are launched when tasks wait`,
      navigate,
    };
  return {
    kind: 'terminated',
    queue: null,
    title: 'Instances terminated',
    body: `${plural(count, 'instance')} terminated${on}`,
    navigate,
  };
}

/**
 * Caps that hold several queues at once (the global cap reached holds every queue with a task waiting: 60 queues,
 * 60 decisions) are one notice naming the queues, not one notice each; each queue keeps its own quiet time.
 */
function mergeQueueCaps(notices: Notice[]): Notice[] {
  const caps = notices.filter((n) => n.kind === 'capReached' && n.queue !== null);
  const [first] = caps;
  if (!first || caps.length < 2) return notices;
  const bodies = new Set(caps.map((c) => c.body));
  const others = bodies.size - 1;
  const merged: Notice = {
    kind: 'capReached',
    queue: null,
    title: caps.some((c) => c.title.startsWith(REACHED)) ? REACHED : 'Budget cap nearly reached',
    body: `${queueNames(caps.map((c) => c.queue ?? ''))}: ${first.body}${others ? ` (and ${plural(others, 'more problem')})` : ''}`,
    navigate: { view: 'queues' },
  };
  return [...notices.filter((n) => !caps.includes(n)), merged];
}

export class Notifier {
  private lastEventId: number | null = null;
  /** After `rebaseline`: the next snapshot that lists events is history, not news. */
  private awaitingHistory = false;
  private readonly lastShown = new Map<string, number>();
  private readonly pending = new Map<string, Bucket>();
  private readonly cooldown: Record<NoticeKind, number>;
  /** Launch failures by message. */
  private readonly failures = new Map<string, FailureTrack>();
  private outage: Outage | null = null;

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
    this.outage = null;
  }

  /**
   * The computer woke from sleep. An outage not told yet starts over at its next failed poll: the poll that failed as
   * the lid closed (Wi-Fi goes first) and the hours asleep are no outage of autoscaling, and counted they would make
   * the network's usual few seconds to come back at wake-up "on hold" at once, with an end "after 8 h on hold" later.
   * A told one goes on: the user knows of it, and its end is news.
   */
  resumed(): void {
    if (this.outage && !this.outage.told) this.outage = null;
  }

  /**
   * An outage is told once it has lasted, and its end once if it was told and has stayed over for
   * RECOVERY_NOTIFY_MS (a failure within that time resumes the same outage, told no second time); no event marks
   * either.
   */
  private followOutage(s: Snapshot, mutes: NotificationMutes): Notice[] {
    const now = this.opts.now();
    const was = this.outage;
    if (!holdingOnOutage(s)) {
      // Over because the reads work again, not because autoscaling was turned off or the app detached.
      const answered = was?.told && s.enabled && queuesKnown(s) && !mutes.connectionLost;
      if (!answered) {
        this.outage = null;
        return [];
      }
      was.answeredAt ??= now;
      if (now - was.answeredAt < RECOVERY_NOTIFY_MS) return [];
      this.outage = null;
      return [recoveryNotice({ ...was, answeredAt: was.answeredAt })];
    }
    const o: Outage = was ?? {
      since: now,
      polls: 0,
      lastTick: -1,
      told: false,
      who: new Set(),
      answeredAt: null,
      interruptions: 0,
    };
    if (o.answeredAt !== null) {
      o.answeredAt = null;
      o.interruptions += 1;
    }
    if (s.lastTickAt !== o.lastTick) {
      o.polls += 1;
      o.lastTick = s.lastTickAt ?? -1;
    }
    this.outage = o;
    const due = !o.told && !mutes.connectionLost && now - o.since >= OUTAGE_NOTIFY_MS && o.polls >= OUTAGE_NOTIFY_POLLS;
    if (due) o.told = true;
    if (o.told) for (const n of unreadNamed(s.statusReason)) o.who.add(n);
    return due ? [outageNotice(s, this.opts.redact)] : [];
  }

  /** Feed every new snapshot; returns what to show now (possibly nothing). */
  next(snapshot: Snapshot, mutes: NotificationMutes): Notice[] {
    return [...this.nextEvents(snapshot, mutes), ...this.followOutage(snapshot, mutes)];
  }

  private nextEvents(snapshot: Snapshot, mutes: NotificationMutes): Notice[] {
    const events = snapshot.events;
    const maxId = events.reduce((m, e) => Math.max(m, e.id), -1);
    if (this.awaitingHistory) {
      if (events.length === 0) return this.flush(mutes, snapshot);
      this.awaitingHistory = false;
      this.lastEventId = maxId;
      return this.flush(mutes, snapshot);
    }
    if (this.lastEventId === null) {
      // Startup: history is not news.
      this.lastEventId = maxId;
      return this.flush(mutes, snapshot);
    }
    const since = this.lastEventId;
    // A lower max id means the engine restarted its event ids (e.g. demo start): everything listed is new.
    const fresh = maxId < since ? events : events.filter((e) => e.id > since);
    if (events.length > 0) this.lastEventId = maxId;
    for (const e of [...fresh].sort((a, b) => a.id - b.id)) {
      const kind = classifyEvent(e);
      // A launch that worked ends that queue's failure, muted or not: a later failure there is news again.
      if (kind === 'launched' && e.queue) {
        this.launchWorked(e.queue);
        this.capEnded(e.queue, e.at);
      }
      if (!kind || mutes[kind]) continue;
      if (kind === 'launchFailed') {
        this.launchFailed(e);
        continue;
      }
      const queue = e.queue ?? null;
      if (e.code === 'stopped-outside') {
        this.stoppedOutside(e, snapshot);
        continue;
      }
      const recovered = kind === 'credentialsRejected' && e.level === 'info';
      // A refusal still waiting out its quiet time is over: telling it after the recovery would say the opposite.
      if (recovered) for (const k of this.pending.keys()) if (k.startsWith(`${kind}|`)) this.pending.delete(k);
      const interrupted = e.code === 'spot-interrupted';
      const key = `${kind}|${queue ?? ''}${recovered ? '|recovered' : ''}${interrupted ? '|interrupted' : ''}`;
      const b = this.pending.get(key) ?? {
        kind,
        queue,
        count: 0,
        messages: [],
        ...(recovered ? { recovered } : {}),
        ...(interrupted ? { interrupted } : {}),
      };
      b.count += eventCount(e);
      // A long message's short form: a notification shows about four lines.
      const told: Told = {
        text: e.summary ?? e.message,
        summarized: e.summary !== undefined,
        missing: e.code === 'credentials-missing',
        ...(e.retryInMs !== undefined ? { retryBy: this.opts.now() + e.retryInMs } : {}),
      };
      b.messages = [...b.messages.filter((m) => m.text !== told.text), told];
      b.lastAt = e.at;
      // Budget crossings are 'warn' at the near threshold and 'error' once reached (cost/budget.ts).
      if (kind === 'capReached') b.nearOnly = (b.nearOnly ?? true) && e.kind === 'budget' && e.level === 'warn';
      this.pending.set(key, b);
    }
    return this.flush(mutes, snapshot);
  }

  /**
   * A launch on the queue at a later tick than the cap notice waiting out its quiet time: the cap no longer holds it
   * back, and telling it after would report a problem already over. A launch of the same tick as the cap is part of
   * the decision that named it (launched some, the cap held the rest), so it stays.
   */
  private capEnded(queue: string, at: number): void {
    const key = `capReached|${queue}`;
    const b = this.pending.get(key);
    if (b?.lastAt !== undefined && at > b.lastAt) this.pending.delete(key);
  }

  /** A queued cap notice about a queue with no task waiting any more: nothing is held, so it is not told. */
  private stale(b: Bucket, snapshot: Snapshot): boolean {
    if (b.kind !== 'capReached' || !b.queue) return false;
    const q = snapshot.queues.find((v) => v.name === b.queue);
    return !!q && q.pending === 0;
  }

  /**
   * Its own notice, once per instance (the engine says it once): not coalesced into "N instances terminated", which
   * it is not yet. The termination time is the snapshot's, the one this event came with.
   */
  private stoppedOutside(e: EngineEvent, snapshot: Snapshot): void {
    const instanceId = e.instanceIds?.[0] ?? '';
    const terminatesAt = snapshot.instances.find((i) => i.instanceId === instanceId)?.terminatesAt;
    this.pending.set(`terminated|${e.queue ?? ''}|stopped|${instanceId}`, {
      kind: 'terminated',
      queue: e.queue ?? null,
      count: 1,
      messages: [{ text: e.message, summarized: false, missing: false }],
      stopped: { instanceId, ...(terminatesAt !== undefined ? { terminatesAt } : {}) },
    });
  }

  private launchFailed(e: EngineEvent): void {
    const now = this.opts.now();
    const t = this.failures.get(e.message) ?? {
      message: e.message,
      queues: new Set<string>(),
      firstSeenAt: now,
      lastSeenAt: now,
      lastId: e.id,
      unshown: 0,
      shown: 0,
      shownAt: 0,
    };
    if (e.queue) t.queues.add(e.queue);
    if (e.code === 'terminate-failed') t.terminate = { summary: e.summary ?? e.message };
    t.lastSeenAt = now;
    t.lastId = e.id;
    t.unshown += eventCount(e);
    this.failures.set(e.message, t);
  }

  private launchWorked(queue: string): void {
    for (const [message, t] of this.failures) {
      if (!t.queues.delete(queue)) continue;
      if (t.queues.size === 0) this.failures.delete(message);
    }
  }

  /** The launch failures to tell now: new ones at once, unchanged ones on their repeat schedule while they last. */
  private dueFailures(now: number, muted: boolean): FailureTrack[] {
    const due: FailureTrack[] = [];
    for (const [message, t] of this.failures) {
      if (muted || now - t.lastSeenAt > LAUNCH_FAILED_FORGET_MS) {
        this.failures.delete(message);
        continue;
      }
      if (t.unshown === 0) continue;
      if (t.shown > 0) {
        const steps = [this.cooldown.launchFailed, ...LAUNCH_FAILED_REPEAT_MS.slice(1)];
        const wait = steps[Math.min(t.shown - 1, steps.length - 1)] ?? 0;
        // Repeat only a failure that still happens, not one that stopped while its repeat was waiting.
        if (now - t.shownAt < wait || now - t.lastSeenAt > STILL_FAILING_MS) continue;
      }
      due.push(t);
    }
    return due;
  }

  private flush(mutes: NotificationMutes, snapshot: Snapshot): Notice[] {
    const now = this.opts.now();
    const out: Notice[] = [];
    const failing = this.dueFailures(now, mutes.launchFailed);
    if (failing.length) out.push(renderFailures(failing, now, this.opts.redact));
    for (const t of failing) {
      t.unshown = 0;
      t.shown += 1;
      t.shownAt = now;
    }
    const due: Bucket[] = [];
    for (const [key, b] of [...this.pending]) {
      if (mutes[b.kind] || this.stale(b, snapshot)) {
        this.pending.delete(key);
        continue;
      }
      const shown = this.lastShown.get(key);
      if (shown !== undefined && now - shown < this.cooldown[b.kind]) continue;
      this.pending.delete(key);
      this.lastShown.set(key, now);
      due.push(b);
    }
    const clock = this.opts.clock ?? localTimeOfDay;
    for (const group of groupAcrossQueues(due)) {
      out.push(
        group.length === 1
          ? render(group[0]!, this.opts.redact, clock, now, snapshot)
          : renderAcrossQueues(group, clock),
      );
    }
    return mergeQueueCaps(out);
  }
}
