/** The Overview header: status in words, what to do about it, counts and money. Pure. */
import {
  foreignBurn,
  foreignRunning,
  fromAutoscaler,
  pendingTasks,
  queuesKnown,
  type AdoptableView,
  type EngineStatus,
  type Snapshot,
  type StatusFix,
} from '../../../shared/domain.js';
import { heldSummary } from '../../../shared/held.js';
import { localTimeOfDay, sentence } from '../../../shared/words.js';
import { stoppedCount } from '../../../shared/stopped.js';
import { formatRate, plural } from './format.js';

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'muted';

export interface OverviewModel {
  statusLabel: string;
  tone: Tone;
  /** Why it is in this state (from main, or derived). */
  reason: string;
  /** What the user can do about it; null when nothing is needed. */
  advice: string | null;
  /** With an error: the views where it is fixed, for a button each (main's order). */
  fix: StatusFix[];
  secondsSinceOkTick: number | null;
  /** The engine is on but has not completed a tick for a while. */
  stale: boolean;
  running: number;
  /**
   * Stopped outside the app, apart from `running`: "1 stopped, terminates at 12:40" (this browser's clock); null
   * when none is. They do no work, but their disks bill until the engine terminates them.
   */
  stopped: string | null;
  booting: number;
  idle: number;
  busy: number;
  /**
   * Instances ClearML's autoscaler launched whose workers serve our queues (the snapshot's `adoptable`): not this
   * app's, so not in the counts above, but the queues and the chart count them as capacity.
   */
  fromClearml: { running: number; busy: number; idle: number };
  /** null: unknown, ClearML's queues were not read (`queuesKnown`). */
  pendingTasks: number | null;
  /** Why the queue figures are unknown (`queuesUnknownWhy`); null when they are ClearML's last answer. */
  queuesUnknown: string | null;
  burnPerHour: number;
  spendToday: number;
  projectedMonth: number;
}

/** A tick older than this while enabled means polling is stuck (the default poll is 15 s). */
export const STALE_AFTER_SEC = 120;

const LABELS: Record<EngineStatus, string> = {
  off: 'Off',
  starting: 'Starting',
  watching: 'Watching queues',
  scaling: 'Scaling',
  paused: 'Launches paused',
  error: 'Error',
};

/** Instances of ClearML's autoscaler serving our queues: each one's worker is busy or idle. */
function clearmlCounts(s: Snapshot): OverviewModel['fromClearml'] {
  // A stranger's instance a worker name points at is not ClearML's (the adoption card says it apart); one stopped
  // (its worker not yet gone from ClearML) neither runs nor serves a queue: the engine leaves it out of capacity too.
  const theirs = foreignRunning(s.adoptable);
  const running = theirs.length;
  const busy = theirs.filter((a) => a.busy).length;
  return { running, busy, idle: running - busy };
}

/** What "Scale to zero" terminates, for its confirmation: `live` instances at `rate`, `busy` of them running a task. */
export function scaleToZeroText(live: number, busy: number, rate: string): string {
  const what =
    live === 1 ? `the 1 instance this app launched (${rate})` : `all ${live} instances this app launched (${rate})`;
  const tasks =
    busy === 0
      ? live === 1
        ? 'It runs no task.'
        : 'None of them runs a task.'
      : busy === 1
        ? `${live === 1 ? 'It runs' : 'One of them runs'} a task, which stops now and is not re-queued automatically.`
        : `${busy} of them run a task; those tasks stop now and are not re-queued automatically.`;
  return `This terminates ${what}. ${tasks}`;
}

/**
 * The line under "Pause new launches": what the switch does now. It depends on autoscaling too, since with
 * autoscaling off nothing is launched (or terminated) whichever way the switch is set.
 */
export function pauseStateText(s: { launchesPaused: boolean; enabled: boolean }): string {
  if (s.enabled)
    return s.launchesPaused
      ? 'On: nothing new is launched; queued tasks wait. Running instances keep working and idle ones still stop.'
      : 'Off: instances are launched when tasks wait.';
  return s.launchesPaused
    ? 'On: once autoscaling is on, nothing new is launched and queued tasks wait. Autoscaling is off now, so nothing is launched or terminated anyway.'
    : 'Off. Autoscaling is off, so nothing is launched now; this only matters once it is on.';
}

/**
 * The line under "Scale to zero": what it terminates. Instances stopped outside the app are terminated too, though
 * the Running tile leaves them out: the count says how many of them are stopped, so the two figures agree.
 */
export function scaleToZeroLine(s: Pick<Snapshot, 'instances' | 'enabled'>): string {
  const live = s.instances.filter((i) => i.phase !== 'terminating' && i.state !== 'terminated');
  const stopped = live.filter((i) => i.phase === 'stopped').length;
  const which = stopped ? ` (${stopped} of them stopped outside the app)` : '';
  return (
    `Terminates the ${plural(live.length, 'instance')} shown here${which} and pauses new launches. ` +
    `Autoscaling stays ${s.enabled ? 'on' : 'off'}.`
  );
}

/** What a queue figure shows when it is not known. */
export const UNKNOWN = '—';

/** Why the queue figures are unknown, for a note beside them; null when they are known. */
export function queuesUnknownWhy(s: Pick<Snapshot, 'lastTickAt' | 'lastTickOkAt'>): string | null {
  if (queuesKnown(s)) return null;
  return s.lastTickOkAt === null ? 'ClearML not read yet' : 'unknown: the last poll failed';
}

/** A queue figure as shown: the number, or "—" while it is not known. */
export function queueFigure(n: number, known: boolean): number | string {
  return known ? n : UNKNOWN;
}

/** What the adoption card reads of a row (all optional: an older engine or peer sends fewer). */
type AdoptRow = Pick<AdoptableView, 'live' | 'hourlyPrice' | 'notAutoscalers'>;

/**
 * The adoption card's first paragraph: counts and bills only the instances that may be ClearML's autoscaler's (a
 * stranger's host a worker name points at bills its owner, and adopting would never end it), then says the strangers
 * apart.
 */
export function adoptIntro(adoptable: readonly AdoptRow[]): string {
  const theirs = fromAutoscaler(adoptable);
  const strangers = adoptable.length - theirs.length;
  const aside = strangers ? strangersLine(strangers, theirs.length > 0) : '';
  const n = theirs.length;
  if (!n) return aside;
  const one = n === 1;
  // What keeps billing unadopted (the headless status line's "$1.05/h, not adopted"): the burn rate leaves it out.
  const running = foreignRunning(theirs);
  const rate = foreignBurn(running).perHour;
  const who =
    running.length === n
      ? one
        ? 'it bills'
        : 'they bill'
      : running.length === 1
        ? 'the running one bills'
        : `the ${running.length} running bill`;
  const bills = running.length && rate > 0 ? `: ${who} ${formatRate(rate)} until adopted or terminated` : '';
  return (
    `${plural(n, 'instance')} launched by ClearML's autoscaler ${one ? 'runs a worker' : 'run workers'} with this ` +
    `app's prefix. ${one ? 'It counts' : 'They count'} as capacity and ${one ? 'is' : 'are'} left alone${bills}. Adopt ` +
    `${one ? 'it' : 'them'} to let this app terminate ${one ? 'it' : 'them'} when idle, like the instances it launches.` +
    (aside ? ` ${aside}` : '')
  );
}

/** Workers whose instance is shown to be no autoscaler's: `more`, after the autoscaler's in the same paragraph. */
function strangersLine(n: number, more: boolean): string {
  const one = n === 1;
  const who = more
    ? `${n} more ${one ? 'worker names an instance' : 'workers name instances'}`
    : `${n} ${one ? "worker with this app's prefix names an instance" : "workers with this app's prefix name instances"}`;
  return (
    `${who} no autoscaler launched: left alone. ${one ? 'It counts' : 'They count'} as capacity, but this app never ` +
    `adopts, tags or terminates ${one ? 'that instance' : 'those instances'}.`
  );
}

/** The adoption card's heading: whose instances it lists. */
export function adoptHeading(adoptable: readonly AdoptRow[]): string {
  return adoptable.some((a) => a.notAutoscalers !== true)
    ? "Instances from ClearML's autoscaler"
    : "Workers of this app's prefix on others' instances";
}

/** A tile's caption, with the instances of ClearML's autoscaler it leaves out when there are any. */
export function withClearml(sub: string, n: number): string {
  return n > 0 ? `${sub}; +${n} from ClearML's autoscaler` : sub;
}

const TONES: Record<EngineStatus, Tone> = {
  off: 'muted',
  starting: 'busy',
  watching: 'ok',
  scaling: 'busy',
  paused: 'warn',
  error: 'error',
};

function defaultReason(s: Snapshot): string {
  switch (s.status) {
    case 'off':
      return 'Autoscaling is off: no instances are launched or terminated.';
    case 'starting':
      return 'Connecting to ClearML and EC2.';
    case 'watching': {
      // Tasks wait with nothing held back: instances booting or idle cover them, or a dry run only logs launches.
      const pending = queuesKnown(s) ? pendingTasks(s) : 0;
      return pending > 0
        ? `Polling the queues; ${plural(pending, 'task')} ${pending === 1 ? 'waits' : 'wait'}: see Queues for each queue's last decision.`
        : 'Polling the queues; nothing to do right now.';
    }
    case 'scaling':
      return 'Launching or terminating instances.';
    case 'paused':
      return 'New launches are paused; idle instances are still shut down.';
    case 'error':
      return 'The last poll failed.';
  }
}

/** The status's own reason; while tasks are held back, why in short first ("5 tasks held by the …"). */
function reasonText(s: Snapshot): string {
  const held = heldSummary(s);
  if (!held) return s.statusReason ?? defaultReason(s);
  // The summary quotes the status reason when no queue names a cause: not twice.
  return s.statusReason && !held.endsWith(s.statusReason) ? `${sentence(held)} ${s.statusReason}` : sentence(held);
}

function advice(s: Snapshot, stale: boolean, pending: number): string | null {
  if (s.status === 'error')
    return s.statusReason
      ? null // main's reason already says what to do
      : 'Check the Credentials and Settings views, then turn autoscaling off and on again.';
  if (s.status === 'off') {
    const running = s.instances.filter((i) => i.phase !== 'terminating').length;
    const turnOn =
      pending > 0
        ? `${plural(pending, 'task')} ${pending === 1 ? 'waits' : 'wait'} in the queues: turn it on to launch instances for ${pending === 1 ? 'it' : 'them'}.`
        : 'Turn it on to launch instances when tasks wait in the queues.';
    return running > 0
      ? `${turnOn} ${plural(running, 'instance')} still ${running === 1 ? 'runs and bills' : 'run and bill'} while it is off.`
      : turnOn;
  }
  if (s.status === 'paused') return 'Resume launches when you want queued tasks to get new instances again.';
  if (stale)
    return 'No successful poll for a while: check the network and the ClearML/AWS credentials (Credentials → Test connection).';
  if (s.dryRun) return 'Dry run: decisions are logged as events but no instance is launched or terminated.';
  return null;
}

/**
 * What the Overview knows of the configuration beside the snapshot (which does not say): whether one is saved
 * (null: not loaded yet, or unknown), and whether Settings holds an unsaved draft.
 */
export interface SetupState {
  configured: boolean | null;
  draftUnsaved: boolean;
}

/**
 * Off with nothing saved: turning autoscaling on only brings a refusal, so the card says what is missing and
 * offers Settings instead of "Turn it on".
 */
function notConfigured(m: OverviewModel, setup: SetupState): OverviewModel {
  return {
    ...m,
    statusLabel: 'Not set up',
    tone: 'warn',
    reason: 'No configuration is saved yet, so autoscaling cannot be turned on.',
    advice: setup.draftUnsaved
      ? 'The configuration in Settings is not saved yet: review it there, then Save.'
      : 'Open Settings to fill it in (or import the YAML of ClearML’s autoscaler), then Save.',
    fix: ['settings'],
  };
}

export function overviewModel(
  s: Snapshot,
  now: number,
  setup: SetupState = { configured: null, draftUnsaved: false },
): OverviewModel {
  const secondsSinceOkTick = s.lastTickOkAt === null ? null : Math.max(0, (now - s.lastTickOkAt) / 1000);
  const stale =
    s.enabled &&
    s.status !== 'starting' &&
    (secondsSinceOkTick === null ? s.lastTickAt !== null : secondsSinceOkTick > STALE_AFTER_SEC);
  let booting = 0;
  let idle = 0;
  let busy = 0;
  let running = 0;
  for (const i of s.instances) {
    if (i.phase === 'booting') booting++;
    else if (i.phase === 'idle') idle++;
    else if (i.phase === 'busy') busy++;
    if (i.state === 'running') running++;
  }
  // Team mode: on, but another engine acts for this prefix (the reason says who and until when).
  const standby = s.enabled && s.status !== 'error' && s.leadership?.acts === false;
  const pending = pendingTasks(s);
  const known = queuesKnown(s);
  const m: OverviewModel = {
    statusLabel: standby ? 'Standby' : LABELS[s.status],
    tone: stale && s.status !== 'error' ? 'warn' : standby ? 'warn' : TONES[s.status],
    reason: reasonText(s),
    advice: advice(s, stale, pending),
    fix: s.status === 'error' ? [...(s.statusFix ?? [])] : [],
    secondsSinceOkTick,
    stale,
    running,
    stopped: stoppedCount(s.instances, localTimeOfDay),
    booting,
    idle,
    busy,
    fromClearml: clearmlCounts(s),
    pendingTasks: known ? pending : null,
    queuesUnknown: queuesUnknownWhy(s),
    burnPerHour: s.costs.burnPerHour,
    spendToday: s.costs.spendToday,
    projectedMonth: s.costs.projectedMonth,
  };
  return s.status === 'off' && setup.configured === false ? notConfigured(m, setup) : m;
}
