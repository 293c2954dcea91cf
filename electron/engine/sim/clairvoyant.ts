/**
 * The clairvoyant bound: what running a trace would cost a policy that knows the whole trace in advance. It
 * launches each machine exactly one boot before a task needs it (so no task waits for a boot), keeps a machine
 * warm across a gap only when that costs less than terminating it and launching again, and bills as EC2 does
 * (per second, 60 s minimum). It respects the queues' resource order, caps (per resource and in total), prices and
 * the trace's capacity shortages; where caps leave no machine, the task waits for the first of its queue's
 * machines to free up, and that wait is the caps' doing, reported apart.
 *
 * The assignment is greedy in enqueue order: each task takes the option that costs least now, either a free
 * machine (paying its idle gap) or a fresh launch (paying a boot). With one price per queue and no cap binding,
 * this is optimal: taking the most recently freed machine is what an exchange argument on the concave cost
 * min(gap, boot) of each link picks. With several prices or a binding cap it is a close, not a proven, lower
 * bound; it knows nothing of spot interruptions (random, not in the trace), so a run that loses work to them pays
 * for work the bound does not.
 */
import type { Config } from '../../../shared/config.js';
import { distribution, type Distribution, type PriceFn } from './metrics.js';
import type { CapacityErrorWindow, Trace } from './trace.js';

const MIN_BILLED_SEC = 60;

export interface ClairvoyantInput {
  trace: Trace;
  config: Config;
  price: PriceFn;
  /** Launch → ready for a task. The bound takes the fastest boot the world can draw (the cheapest). */
  bootSec: number;
}

export interface ClairvoyantResult {
  /** USD. */
  total: number;
  byQueue: Record<string, number>;
  launches: number;
  /** Enqueue → start; zero unless a cap left no machine (`capWaited` tasks). */
  waitSec: Distribution;
  capWaited: number;
}

interface Machine {
  queue: string;
  resource: string;
  pricePerSec: number;
  launchAt: number;
  freeAt: number;
  closed: boolean;
}

function blocked(windows: readonly CapacityErrorWindow[], at: number, type: string, market: string): boolean {
  return windows.some(
    (w) =>
      at >= w.fromSec &&
      at < w.toSec &&
      (w.instanceType === undefined || w.instanceType === type) &&
      (w.market === undefined || w.market === market) &&
      // A shortage in one subnet or zone leaves others: the bound may place elsewhere.
      w.subnetId === undefined &&
      w.zone === undefined,
  );
}

export function clairvoyantBound(input: ClairvoyantInput): ClairvoyantResult {
  const { trace, config, price } = input;
  const boot = input.bootSec;
  const windows = trace.capacityErrors ?? [];
  const tasks = [...trace.tasks].sort((a, b) => a.enqueueAtSec - b.enqueueAtSec || (a.id < b.id ? -1 : 1));
  const machines: Machine[] = [];
  const waits: number[] = [];
  let capWaited = 0;

  for (const t of tasks) {
    const at = t.enqueueAtSec;
    // A machine idle for a boot or longer costs more kept than relaunched: it was terminated when it freed up.
    for (const m of machines) if (!m.closed && m.freeAt + boot <= at) m.closed = true;
    const open = machines.filter((m) => !m.closed);
    type Option = { cost: number; machine: Machine | null; resource: string; pricePerSec: number };
    let best: Option | null = null;
    for (const m of open) {
      if (m.queue !== t.queue || m.freeAt > at) continue;
      const cost = m.pricePerSec * (at - m.freeAt);
      if (!best || cost < best.cost) best = { cost, machine: m, resource: m.resource, pricePerSec: m.pricePerSec };
    }
    const globalRoom = config.scaling.maxTotalInstances - open.length;
    for (const entry of config.queues[t.queue] ?? []) {
      const res = config.resources[entry.resource];
      if (!res || globalRoom <= 0) continue;
      const onIt = open.filter((m) => m.queue === t.queue && m.resource === entry.resource).length;
      if (onIt >= entry.maxInstances) continue;
      if (blocked(windows, Math.max(0, at - boot), res.instanceType, res.market)) continue;
      const pricePerSec = price(res.instanceType, res.market) / 3600;
      const cost = pricePerSec * Math.max(boot, MIN_BILLED_SEC - t.durationSec);
      if (!best || cost < best.cost) best = { cost, machine: null, resource: entry.resource, pricePerSec };
    }
    let start = at;
    let machine: Machine;
    if (best?.machine) {
      machine = best.machine;
    } else if (best) {
      machine = {
        queue: t.queue,
        resource: best.resource,
        pricePerSec: best.pricePerSec,
        launchAt: at - boot,
        freeAt: at,
        closed: false,
      };
      machines.push(machine);
    } else {
      // Every cap is taken: wait for the first of this queue's machines to free up.
      const mine = open.filter((m) => m.queue === t.queue).sort((a, b) => a.freeAt - b.freeAt);
      const first = mine[0];
      if (!first) throw new Error(`queue '${t.queue}' can never get a machine: check its caps and the global cap`);
      machine = first;
      start = first.freeAt;
      capWaited++;
    }
    waits.push(start - at);
    machine.freeAt = start + t.durationSec;
  }

  const byQueue: Record<string, number> = {};
  let total = 0;
  for (const m of machines) {
    const cost = m.pricePerSec * Math.max(MIN_BILLED_SEC, m.freeAt - m.launchAt);
    total += cost;
    byQueue[m.queue] = (byQueue[m.queue] ?? 0) + cost;
  }
  return { total, byQueue, launches: machines.length, waitSec: distribution(waits), capWaited };
}
