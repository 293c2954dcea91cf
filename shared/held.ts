/**
 * Why tasks wait while autoscaling is on and nothing is wrong enough for an error: a budget cap, an instance cap or
 * a cool-down held the launches back (each queue's `held`), or the status names a problem (a resource whose launches
 * EC2 refuses, a cost history that cannot be opened). The tray line, the headless status line and the Overview say
 * it in the same short words, so none of them reads "all is well" while tasks wait.
 */
import { capLabel, type CapStatus } from './budget.js';
import { distinctCauses, pendingTasks, queuesKnown, type HoldCause, type Snapshot } from './domain.js';
import { plural } from './words.js';

/** The tasks held back this tick across the queues, and every distinct cause (the most telling first). */
export interface HeldTasks {
  tasks: number;
  causes: HoldCause[];
}

/**
 * Only while launches are expected: off, paused, an error and standby already say why nothing launches, and before
 * ClearML is read the queue figures are not counts.
 */
function expectsLaunches(s: Snapshot): boolean {
  return (
    s.enabled && (s.status === 'watching' || s.status === 'scaling') && s.leadership?.acts !== false && queuesKnown(s)
  );
}

export function heldTasks(s: Snapshot): HeldTasks | null {
  if (!expectsLaunches(s)) return null;
  // The queue holding the most tasks first: its first cause is the one named.
  const queues = s.queues.filter((q) => q.held && q.held.tasks > 0).sort((a, b) => b.held!.tasks - a.held!.tasks);
  if (!queues.length) return null;
  return {
    tasks: queues.reduce((n, q) => n + q.held!.tasks, 0),
    causes: distinctCauses(queues.flatMap((q) => q.held!.causes)),
  };
}

function causeText(c: HoldCause, caps: readonly CapStatus[]): string {
  switch (c.code) {
    case 'budget': {
      const cap = caps.find((x) => x.id === c.cap);
      if (!cap) return 'a budget cap';
      // The short name: the status says in full what an unknown month does. Not in parentheses: "(and 1 more
      // cause)" may follow, and two asides in a row read as a stutter.
      return `the ${capLabel(cap.kind, cap.limit, cap.queue)}${cap.state === 'unknown' ? " while this month's spend is unknown" : ''}`;
    }
    case 'resource-cap':
      return `${c.resource}'s cap of ${plural(c.max, 'instance')}`;
    case 'global-cap':
      return `the global cap of ${plural(c.max, 'instance')}`;
    case 'cooling':
      return c.cause === 'capacity'
        ? `the cool-down of ${c.resource} after EC2 had no capacity`
        : c.cause === 'config'
          ? `the cool-down of ${c.resource} after EC2 refused its settings`
          : c.cause === 'spot-role'
            ? `the cool-down of ${c.resource} after spot launches were refused for a missing Spot role`
            : `the cool-down of ${c.resource} after a failed launch`;
  }
}

/**
 * "5 tasks held by the global monthly cap $500", "2 tasks waiting: Launches of 'gpu_a' for 'gpu' fail: …", or null
 * when no task waits for a reason worth telling (tasks covered by booting instances wait for nothing but a boot).
 */
export function heldSummary(s: Snapshot): string | null {
  const h = heldTasks(s);
  if (h) {
    const [first, ...others] = h.causes;
    const more = others.length ? ` (and ${plural(others.length, 'more cause')})` : '';
    return `${plural(h.tasks, 'task')} held by ${causeText(first!, s.costs.budgets ?? [])}${more}`;
  }
  const pending = pendingTasks(s);
  if (expectsLaunches(s) && s.statusReason && pending > 0)
    return `${plural(pending, 'task')} waiting: ${s.statusReason}`;
  return null;
}
