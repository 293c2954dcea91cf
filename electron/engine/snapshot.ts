/**
 * Pure: turns one tick's plan (which already joined EC2 and ClearML) into the views the tray and dashboard show.
 */
import type { Config } from '../../shared/config.js';
import {
  distinctCauses,
  isLiveState,
  type CostSummary,
  type HoldCause,
  type InstanceView,
  type Market,
  type QueueView,
} from '../../shared/domain.js';
import { STOPPED_GRACE_MS, type Blocker, type InFlightLaunch, type Plan, type QueueDecision } from './policy.js';
import { billedSeconds, costOfSeconds } from './cost/accounting.js';
import { billedFrom } from './cost/tracker.js';
import { TAG } from './ports.js';
import { renderDecision, type LaunchHold } from './reasons.js';
import { dataRecordOf, entryOf } from '../../shared/data-record.js';

export interface PriceQuote {
  price: number;
  /** In words, for the UI: "bundled table from 2026-11-01". */
  source: string;
}

export type PriceLookup = (instanceType: string, market: Market, zone?: string) => PriceQuote;

export interface SnapshotViews {
  queues: QueueView[];
  instances: InstanceView[];
  costs: Omit<CostSummary, 'spendToday' | 'projectedMonth' | 'history'>;
}

export function buildSnapshotViews(args: {
  now: number;
  config: Config;
  plan: Plan | null;
  pausedQueues: ReadonlySet<string>;
  prices: PriceLookup;
  lastDecisions: ReadonlyMap<string, string>;
  /** Why the plan's launches were not carried out this tick (reasons.ts); absent: they were. */
  held?: LaunchHold;
  /**
   * Instances this engine launched (this tick or before) that the plan does not list: EC2 lists a launch only at
   * the next observation, or later (its listing is eventually consistent). Shown as booting, so that meanwhile no
   * surface (tray, window, the quit question) says nothing runs while they already bill.
   */
  launching?: readonly InFlightLaunch[];
  /**
   * Instances stopped outside the app: when this engine first saw each stopped (controllers/stopped.ts). Given only
   * while the engine acts, as only then does it terminate them `STOPPED_GRACE_MS` later.
   */
  stoppedSince?: ReadonlyMap<string, number>;
  /**
   * What the cost history says an instance has cost and the hourly price it counts it at (null: it has no record).
   * Its row shows these, so the row, the instance's detail, the month's spend, the caps and the burn rate are one
   * figure: counted from its adoption for an adopted one, at the price its record began with after a price moves.
   * A stopped one bills no compute: the history ended its period when it was seen stopped, and its row says the
   * same figure rather than growing on.
   */
  recorded?: (instanceId: string) => { costSoFar: number; hourlyPrice: number } | null;
}): SnapshotViews {
  const { now, config, plan, prices } = args;
  const sources = new Set<string>();
  /**
   * An instance's price, uptime and spend so far, as the cost history counts it (`accounting.ts`): per-second billing
   * with a 60 s minimum, from `from` (`billedFrom`: its adoption for an adopted one, else its launch).
   */
  const billing = (
    instanceType: string,
    market: Market,
    zone: string | undefined,
    launchedAt: number,
    billedUntil = now,
    from = launchedAt,
  ) => {
    const quote = prices(instanceType, market, zone);
    sources.add(quote.source);
    const uptimeSec = Math.max(0, (now - launchedAt) / 1000);
    const costSoFar = costOfSeconds(billedSeconds(from, Math.max(from, Math.min(now, billedUntil))), quote.price);
    return { uptimeSec, hourlyPrice: quote.price, costSoFar };
  };
  const planned: InstanceView[] = (plan?.instances ?? []).map((c) => {
    const id = c.instance.instanceId;
    const stoppedAt = c.phase === 'stopped' ? args.stoppedSince?.get(id) : undefined;
    const from = billedFrom(c.instance, now);
    const estimate = billing(
      c.instance.instanceType,
      c.instance.market,
      c.instance.zone,
      c.instance.launchedAt,
      stoppedAt,
      from,
    );
    const { uptimeSec } = estimate;
    // Without a history (or before it lists the instance) the same rules, priced now.
    const { costSoFar, hourlyPrice } = args.recorded?.(id) ?? estimate;
    return {
      instanceId: c.instance.instanceId,
      queue: c.queue,
      resource: c.resource,
      instanceType: c.instance.instanceType,
      market: c.instance.market,
      zone: c.instance.zone,
      state: c.instance.state,
      phase: c.phase,
      launchedAt: c.instance.launchedAt,
      uptimeSec,
      idleSec: c.idleSec,
      workerId: c.worker?.id ?? null,
      task: c.worker?.task
        ? { id: c.worker.task.id, ...(c.worker.task.name ? { name: c.worker.task.name } : {}) }
        : null,
      hourlyPrice,
      costSoFar,
      ...(c.note ? { note: c.note } : {}),
      ...(stoppedAt !== undefined ? { terminatesAt: stoppedAt + STOPPED_GRACE_MS } : {}),
      ...(c.instance.tags[TAG.adoptedAt] ? { adopted: true } : {}),
      ...(from > c.instance.launchedAt ? { adoptedAt: from } : {}),
    };
  });
  const listed = new Set(planned.map((i) => i.instanceId));
  const launched: InstanceView[] = (args.launching ?? []).flatMap((f) => {
    if (!f.instanceId || listed.has(f.instanceId)) return [];
    const res = entryOf(config.resources, f.resource);
    const instanceType = res?.instanceType ?? '?';
    const market = f.market ?? res?.market ?? 'on-demand';
    const { uptimeSec, hourlyPrice, costSoFar } = billing(instanceType, market, f.zone, f.at);
    return [
      {
        instanceId: f.instanceId,
        queue: f.queue,
        resource: f.resource,
        instanceType,
        market,
        zone: f.zone ?? '',
        state: 'pending' as const,
        phase: 'booting' as const,
        launchedAt: f.at,
        uptimeSec,
        idleSec: null,
        workerId: null,
        task: null,
        hourlyPrice,
        costSoFar,
        note: 'just launched: EC2 does not list it yet',
      },
    ];
  });
  const instances = [...planned, ...launched];

  const running = instances.filter((i) => isLiveState(i.state));
  const burnPerHour = sum(running.map((i) => i.hourlyPrice));
  // Keyed by queue and resource names, which may be `__proto__` or `constructor`.
  const byQueue = dataRecordOf<number>([]);
  const byResource = dataRecordOf<number>([]);
  for (const i of running) {
    byQueue[i.queue] = (byQueue[i.queue] ?? 0) + i.hourlyPrice;
    byResource[i.resource] = (byResource[i.resource] ?? 0) + i.hourlyPrice;
  }

  const decisions = new Map((plan?.decisions ?? []).map((d) => [d.queue, d]));
  const queues: QueueView[] = Object.entries(config.queues).map(([name, entries]) => {
    const d = decisions.get(name);
    const hold = held(d);
    return {
      name,
      exists: d?.exists ?? true,
      pending: d?.pending ?? 0,
      oldestWaitSec: d?.oldestWaitSec ?? null,
      busy: d?.busy ?? 0,
      idle: d?.idle ?? 0,
      booting: d?.booting ?? 0,
      paused: args.pausedQueues.has(name),
      ...(hold ? { held: hold } : {}),
      lastDecision:
        (d && d.launched > 0
          ? renderDecision(d, args.held)
          : (args.lastDecisions.get(name) ?? (d ? renderDecision(d, args.held) : undefined))) ?? null,
      resources: entries.map((e) => {
        const res = entryOf(config.resources, e.resource);
        return {
          resource: e.resource,
          instanceType: res?.instanceType ?? '?',
          market: res?.market ?? 'on-demand',
          maxInstances: e.maxInstances,
          running: running.filter((i) => i.queue === name && i.resource === e.resource).length,
        };
      }),
    };
  });

  return {
    queues,
    instances,
    costs: {
      burnPerHour,
      byQueue,
      byResource,
      spotPerHour: sum(running.filter((i) => i.market === 'spot').map((i) => i.hourlyPrice)),
      onDemandPerHour: sum(running.filter((i) => i.market === 'on-demand').map((i) => i.hourlyPrice)),
      priceSource: sources.size ? [...sources].join('; ') : 'no instances running',
    },
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Which cause names why tasks wait best, when several held a queue back: a budget or a cool-down before the caps. */
const CAUSE_ORDER: Record<HoldCause['code'], number> = { budget: 0, cooling: 1, 'global-cap': 2, 'resource-cap': 3 };

function holdCause(b: Blocker): HoldCause {
  switch (b.code) {
    case 'budget':
      return { code: 'budget', cap: b.cap ?? null };
    case 'cooling':
      return { code: 'cooling', resource: b.resource, cause: b.cause };
    case 'resource-cap':
      return { code: 'resource-cap', resource: b.resource, max: b.max };
    case 'global-cap':
      return { code: 'global-cap', max: b.max };
  }
}

/** The tasks this tick's decision left unlaunched and why, as data; undefined when none were held back. */
function held(d: QueueDecision | undefined): QueueView['held'] {
  const r = d?.reason;
  if (r?.code !== 'scale-up' || r.notLaunched <= 0 || r.blockers.length === 0) return undefined;
  const causes = distinctCauses(r.blockers.map(holdCause)).sort((a, b) => CAUSE_ORDER[a.code] - CAUSE_ORDER[b.code]);
  return { tasks: r.notLaunched, causes };
}
