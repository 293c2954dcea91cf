/**
 * What the headless CLI shows a person: one aligned line per event, a status line, and an end-of-run summary.
 * Pure text functions (colour passed in); terminal.ts writes them. `--json` output does not go through here.
 */
import {
  foreignBurn,
  foreignRunning,
  isLiveState,
  pendingTasks,
  queuesKnown,
  type AdoptableView,
  type EngineEvent,
  type InstanceView,
  type Snapshot,
} from '../../../shared/domain.js';
import { plural } from '../../../shared/words.js';
import { formatMoney } from '../../../shared/money.js';
import { heldSummary } from '../../../shared/held.js';
import { stoppedCount } from '../../../shared/stopped.js';

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const noPaint: Paint = { red: id, yellow: id, green: id, cyan: id, dim: id, bold: id };
function id(s: string): string {
  return s;
}

const KIND_WIDTH = 13;
const QUEUE_WIDTH = 12;

/**
 * Holds a tick's decision lines until the tick is published: a decision whose queue also got launch (or
 * launch-failed) lines in that tick says the same thing as them, and they carry the instance ids.
 */
export class DecisionFilter {
  private held: EngineEvent[] = [];
  private readonly acted = new Set<string>();

  /** The events to show now. */
  event(e: EngineEvent): EngineEvent[] {
    if (e.kind === 'decision') {
      this.held.push(e);
      return [];
    }
    if ((e.kind === 'launch' || e.kind === 'launch-failed') && e.queue) this.acted.add(e.queue);
    return [e];
  }

  /** At the end of a tick: the decisions not already told by a launch line. */
  flush(): EngineEvent[] {
    const keep = this.held.filter((d) => !d.queue || !this.acted.has(d.queue));
    this.held = [];
    this.acted.clear();
    return keep;
  }
}

export function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/**
 * Rows carry a UTC time of day only (a supervisor's log adds its own stamps, and a local zone would shift under a
 * changed TZ or a daylight-saving switch): a line before the first row and at each UTC day change says which day
 * and zone they are in, so a plain log file read days later is not ambiguous. Null when the day is unchanged.
 */
export function dayLine(previous: number | null, at: number): string | null {
  const day = new Date(at).toISOString().slice(0, 10);
  if (previous !== null && new Date(previous).toISOString().slice(0, 10) === day) return null;
  const weekday = new Date(at).toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' });
  return `── ${weekday} ${day}, times in UTC ──`;
}

/** Puts `dayLine` before the rows it belongs to, once per day: a row stamped a moment earlier (an event read
 * after the status line of the next second) does not bring back the day before. */
export class DayMarks {
  private last: number | null = null;

  /** The day line to write before a row stamped `at`, if it starts a later day. */
  before(at: number): string | null {
    if (this.last !== null && at <= this.last) return null;
    const line = dayLine(this.last, at);
    this.last = at;
    return line;
  }
}

/** `18:30:25  INFO   launch        gpu           launched 3 × g4dn.xlarge … (i-…, i-…)` */
export function eventRow(e: EngineEvent, paint: Paint = noPaint): string {
  const level = e.level.toUpperCase().padEnd(5);
  const painted =
    e.level === 'error' ? paint.red(level) : e.level === 'warn' ? paint.yellow(level) : paint.green(level);
  const ids = (e.instanceIds ?? []).filter((i) => !e.message.includes(i));
  const message = ids.length ? `${e.message} [${ids.join(', ')}]` : e.message;
  return [
    paint.dim(clock(e.at)),
    painted,
    paint.cyan(e.kind.padEnd(KIND_WIDTH)),
    (e.queue ?? '').slice(0, QUEUE_WIDTH).padEnd(QUEUE_WIDTH),
    e.level === 'error' ? paint.red(message) : message,
  ].join('  ');
}

export interface Counts {
  /** null: unknown, ClearML was not read at the last poll (its zeros are not counts). */
  pending: number | null;
  instances: number;
  busy: number;
  idle: number;
  booting: number;
}

/**
 * Instances as a person expects to see them right after a launch: an instance launched this tick is not in the
 * tick's observation yet (EC2 was listed before launching), so launch events newer than the observation count it
 * as booting.
 */
export function counts(s: Snapshot): Counts {
  const live = s.instances.filter((i) => isLiveState(i.state));
  const known = new Set(s.instances.map((i) => i.instanceId));
  const since = s.lastTickAt ?? 0;
  const launching = new Set(
    s.events
      .filter((e) => e.kind === 'launch' && e.at >= since)
      .flatMap((e) => e.instanceIds ?? [])
      .filter((i) => !known.has(i)),
  );
  const phase = (p: string) => live.filter((i) => i.phase === p).length;
  return {
    pending: queuesKnown(s) ? pendingTasks(s) : null,
    instances: live.length + launching.size,
    busy: phase('busy'),
    idle: phase('idle'),
    booting: phase('booting') + launching.size,
  };
}

/** As the dashboard and the tray show amounts. */
export const usd = formatMoney;

/** `scaling · 4 pending · 7 instances (2 busy, 1 idle, 4 booting) · $1.86/h` and the reason when there is one. */
export function statusLine(s: Snapshot, paint: Paint = noPaint): string {
  const c = counts(s);
  // Team mode: on, but another engine acts; the reason says who leads and when this one takes over.
  const standby = s.status !== 'error' && s.leadership?.acts === false && s.enabled;
  const status = standby
    ? paint.yellow('standby')
    : s.status === 'error'
      ? paint.red(s.status)
      : s.status === 'scaling'
        ? paint.green(s.status)
        : s.status === 'paused'
          ? paint.yellow(s.status)
          : paint.bold(s.status);
  const parts = [
    status,
    c.pending === null ? 'pending unknown' : `${c.pending} pending`,
    `${plural(c.instances, 'instance')} (${c.busy} busy, ${c.idle} idle, ${c.booting} booting)`,
    // Apart from the instances above: stopped outside the app, its disks bill until it is terminated (in the
    // event rows' clock).
    stoppedCount(s.instances, (at) => clock(at).slice(0, 5)),
    `${usd(s.costs.burnPerHour)}/h`,
  ].filter((p): p is string => p !== null);
  // Not in the counts or the $/h above (not this app's), yet billed, and nothing terminates them until adopted.
  const foreign = foreignRunning(s.adoptable);
  if (foreign.length) parts.splice(3, 0, foreignText(foreign, false));
  const reason = s.status === 'error' || s.status === 'paused' || standby ? s.statusReason : null;
  // Otherwise, while tasks wait for something other than a boot, why (else "watching · 5 pending" reads as fine).
  const held = reason ? null : heldSummary(s);
  return (
    parts.join(' · ') +
    (reason ? ` · ${s.status === 'error' ? paint.red(reason) : reason}` : '') +
    (held ? ` · ${paint.yellow(held)}` : '')
  );
}

/**
 * `+1 from ClearML's autoscaler (idle, $0.53/h, not adopted)`; `long`, for the summary: the ids, and that nothing
 * terminates them unless adopted.
 */
export function foreignText(foreign: readonly AdoptableView[], long: boolean): string {
  const n = foreign.length;
  const busy = foreign.filter((a) => a.busy).length;
  const state = busy === 0 ? 'idle' : busy === n ? 'busy' : `${busy} busy, ${n - busy} idle`;
  const burn = foreignBurn(foreign);
  const rate = burn.allPriced ? `${usd(burn.perHour)}/h` : `at least ${usd(burn.perHour)}/h`;
  if (!long) return `+${n} from ClearML's autoscaler (${state}, ${rate}, not adopted)`;
  const it = n === 1 ? 'it' : 'them';
  return (
    `+${n} from ClearML's autoscaler ${n === 1 ? 'keeps' : 'keep'} running (${foreign
      .map((a) => a.instanceId)
      .sort()
      .join(', ')}; ` +
    `${state}, ${rate}), not adopted: nothing terminates ${it}; run with --adopt to let this app scale ${it} down, ` +
    `or terminate ${it}`
  );
}

/** What is still running when a run ends, and what it costs an hour. */
export interface LeftRunning {
  count: number;
  burn: number;
  /** Instances counted whose price no snapshot showed (launched by the last tick): not in `burn`. */
  unpriced: number;
  /** Those counted that were adopted from ClearML's autoscaler: no lease watchdog powers them off. */
  adopted: string[];
}

/**
 * What keeps running after the run: the last snapshot can be a tick old, since the tick that ends a run publishes
 * what it observed before it launched and terminated. So the instances it lists less those this run terminated, plus
 * those this run launched that no snapshot listed yet (priced as an instance of the same resource was, if one was).
 */
export function leftRunning(input: {
  listed: readonly InstanceView[];
  /** Launched by this run and not listed by any snapshot yet: instance id → its resource. */
  unlisted: ReadonlyMap<string, string | undefined>;
  terminated: { has(id: string): boolean };
  priceOf: (resource: string) => number | undefined;
}): LeftRunning {
  const out: LeftRunning = { count: 0, burn: 0, unpriced: 0, adopted: [] };
  for (const i of input.listed) {
    if (!isLiveState(i.state) || input.terminated.has(i.instanceId)) continue;
    out.count += 1;
    out.burn += i.hourlyPrice;
    if (i.adopted) out.adopted.push(i.instanceId);
  }
  for (const [id, resource] of input.unlisted) {
    if (input.terminated.has(id)) continue;
    out.count += 1;
    const price = resource === undefined ? undefined : input.priceOf(resource);
    if (price === undefined) out.unpriced += 1;
    else out.burn += price;
  }
  return out;
}

/**
 * The ids a run tally remembers to count each instance or task once: the latest `limit`. A headless run lasts weeks
 * (thousands of instances and tasks a day for a busy team); what is counted twice only once this many newer ones came
 * in between is a task requeued that much later, and a terminate call repeated that much later.
 */
export const TALLY_REMEMBERED_IDS = 10_000;

const UNLISTED_FORGOTTEN_MS = 3600_000;

class RecentIds {
  private readonly ids = new Set<string>();
  /** Adds `id`; true when it was not remembered. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > TALLY_REMEMBERED_IDS) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }
  get size(): number {
    return this.ids.size;
  }
}

/** What a run did, for its end: counts, this run's spend (USD) and what it leaves running. */
export interface RunFigures {
  minutes: number;
  launched: number;
  terminated: number;
  tasksServed: number;
  spend: number;
  errors: number;
  /** Instances still running as the run ends (they keep running: the next start adopts them). */
  leftRunning: number;
  /** Their hourly price, in USD, over the ones whose price is known. */
  leftBurnPerHour: number;
  leftUnpriced: number;
  /** Those adopted from ClearML's autoscaler (no lease watchdog). */
  adopted: string[];
}

/** What a run did, accumulated from the events and snapshots it saw. */
export class RunTally {
  private launches = 0;
  /** Launched by this run and not listed by a snapshot yet: instance id → its resource and when it was launched. */
  private readonly unlisted = new Map<string, { resource: string | undefined; at: number }>();
  private terminations = 0;
  private readonly terminated = new RecentIds();
  private tasksServed = 0;
  private readonly tasks = new RecentIds();
  /** The price of each resource as listed. */
  private readonly prices = new Map<string, number>();
  private errors = 0;
  /** Spend seen during the run, summed tick by tick (see `snapshot`). */
  private spentDuringRun = 0;
  /** The last spend figure seen and which it was: this month's (from the cost history) or today's (estimated). */
  private spentLast: { amount: number; month: boolean } | null = null;
  private last: Snapshot | null = null;

  /** How many instance and task ids the tally holds: bounded, however long the run. */
  get heldIds(): number {
    return this.unlisted.size + this.terminated.size + this.tasks.size;
  }

  event(e: EngineEvent): void {
    if (e.kind === 'launch')
      for (const i of e.instanceIds ?? []) {
        this.launches += 1;
        this.unlisted.set(i, { resource: e.resource, at: e.at });
      }
    if (e.kind === 'terminate')
      for (const i of e.instanceIds ?? []) {
        if (this.terminated.add(i)) this.terminations += 1;
        this.unlisted.delete(i);
      }
    if (e.level === 'error') this.errors += 1;
  }

  snapshot(s: Snapshot): void {
    for (const i of s.instances) {
      if (i.task && this.tasks.add(i.task.id)) this.tasksServed += 1;
      this.unlisted.delete(i.instanceId);
      this.prices.set(i.resource, i.hourlyPrice);
    }
    // A launch no listing showed for an hour never ran (ended before EC2 listed it): EC2's listing lags by seconds.
    const at = s.lastTickAt;
    if (at !== null)
      for (const [id, l] of this.unlisted) if (at - l.at > UNLISTED_FORGOTTEN_MS) this.unlisted.delete(id);
    // Summed from one snapshot to the next, not the last figure minus the first: the month's (or, without a history,
    // the day's) spend starts again at 0 on the 1st (midnight UTC), which would read as nothing spent during a run
    // across it. A figure that went down is a new period's, all of it spent since. One of the other kind (the history
    // opened or failed meanwhile) is a new baseline: the month's spend before the run is not this run's.
    const month = s.costs.monthToDate !== undefined;
    const amount = s.costs.monthToDate ?? s.costs.spendToday;
    const last = this.spentLast;
    if (last && last.month === month) this.spentDuringRun += amount >= last.amount ? amount - last.amount : amount;
    this.spentLast = { amount, month };
    this.last = s;
  }

  /**
   * The run's figures as data: `--json` ends with them (a log shipper never sees the text summary), and the text
   * summary is rendered from them. Instances left running count this run's launches EC2 did not list yet.
   */
  figures(opts: { startedAt: number; now: number }): RunFigures {
    const left = leftRunning({
      listed: this.last?.instances ?? [],
      unlisted: new Map([...this.unlisted].map(([id, l]) => [id, l.resource])),
      terminated: this.terminated,
      priceOf: (r) => this.prices.get(r),
    });
    return {
      minutes: Math.max(0, (opts.now - opts.startedAt) / 60_000),
      launched: this.launches,
      terminated: this.terminations,
      tasksServed: this.tasksServed,
      spend: this.spentDuringRun,
      errors: this.errors,
      leftRunning: left.count,
      leftBurnPerHour: left.burn,
      leftUnpriced: left.unpriced,
      adopted: left.adopted,
    };
  }

  /** The closing lines. `demo`: the emulated instances end with the process; otherwise they keep running. */
  summary(opts: { demo: boolean; lease: boolean; startedAt: number; now: number }): string[] {
    const f = this.figures(opts);
    const minutes = f.minutes;
    const left = { count: f.leftRunning, burn: f.leftBurnPerHour, unpriced: f.leftUnpriced, adopted: f.adopted };
    const running = left.count;
    const lines = [
      `Run summary (${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min):`,
      `  launched     ${plural(f.launched, 'instance')}`,
      `  terminated   ${plural(f.terminated, 'instance')}`,
      `  tasks served ${f.tasksServed}`,
      `  spend        ${usd(f.spend)} during this run${opts.demo ? ' (emulated prices, not billed)' : ''}`,
      `  errors       ${f.errors}`,
    ];
    const price =
      left.unpriced === 0 ? ` (${usd(left.burn)}/h)` : left.unpriced < running ? ` (at least ${usd(left.burn)}/h)` : '';
    const foreign = foreignRunning(this.last?.adoptable);
    const adopted = left.adopted.length;
    // Only this app's own launches carry the lease watchdog: an adopted one runs ClearML's startup script.
    const watched = opts.lease && running > adopted;
    if (opts.demo) lines.push('The demo world ends with this process: its emulated instances are gone.');
    else if (running > 0)
      lines.push(
        `${plural(running, 'instance')} ${running === 1 ? 'keeps' : 'keep'} running${price}: ` +
          `the next start adopts ${running === 1 ? 'it from its' : 'them from their'} EC2 tags` +
          (watched
            ? `, and an idle one${adopted ? " of this app's own" : ''} powers itself off once its lease runs out.`
            : '.'),
      );
    else lines.push(foreign.length ? "No instances of this app's are running." : 'No instances are running.');
    if (!opts.demo && adopted) {
      const one = adopted === 1;
      lines.push(
        `${running === adopted ? (one ? 'It' : 'All of them') : `${adopted} of them`} (${left.adopted.join(', ')}) ` +
          `${one ? 'was' : 'were'} adopted from ClearML's autoscaler and ${one ? 'does' : 'do'} not power ` +
          `${one ? 'itself' : 'themselves'} off (${one ? 'it runs' : 'they run'} ClearML's startup script, with no lease ` +
          `watchdog): terminate ${one ? 'it' : 'them'}, or restart ClearML's autoscaler to scale ${one ? 'it' : 'them'} down.`,
      );
    }
    if (!opts.demo && foreign.length) lines.push(`${foreignText(foreign, true)}.`);
    return lines;
  }
}
