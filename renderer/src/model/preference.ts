/**
 * The keep-warm preference (`scaling.preference`) in the settings draft, and its explanation in plain words. It
 * lives in the draft's untouched `rest.scaling` part (the form has no text field for it), so saving keeps whatever
 * else is there.
 */
import type { Preference } from '../../../shared/config.js';
import type { ConfigDraft } from './config-form.js';

export type { Preference };

/**
 * What each choice does: `summary`, one or two plain sentences under the selector (what a screen reader reads on
 * focus); `detail`, how the rule decides, behind a disclosure for whoever wants it.
 */
export const PREFERENCE_TEXT: Record<Preference, { summary: string; detail: string }> = {
  cost: {
    summary:
      'Lowest cost: an idle instance stops as soon as no task is expected before a new one could boot. Tasks more often wait 1–3 minutes for a boot.',
    detail:
      'An idle instance is kept only when the next task is due sooner than a new one could boot; otherwise it is stopped at once (from the second task on; before that, after a short wait). A waiting task is left for a busy instance that will likely finish before a new one could boot. Tasks more often wait 1–3 minutes for a boot.',
  },
  balanced: {
    summary:
      'Balanced (default): an idle instance is kept while keeping it until the next task costs less than making that task wait for a new one to boot.',
    detail:
      'An idle instance is kept while the next task is likely soon enough that keeping it costs less than making that task wait for a boot, and no more than a burst of tasks needs often enough to pay for them; one that waits twice as long as its task was expected is stopped, since instances freed by their own tasks are taking the queue’s tasks first (tasks go to whichever idle instance asks first, so beyond the two freshest it counts how long the queue has had that many idle). A busy queue (one whose tasks keep four or more instances busy on average) keeps that average plus its square root up while tasks keep coming, so its ups and downs rarely make a task wait. When tasks come on a regular schedule, the instance is stopped after each task and a new one started a boot ahead of the next, until two scheduled tasks in a row do not come. Once tasks stop for far longer than their usual gaps (a burst or a working day is over), idle instances are stopped without waiting for the idle limit. A waiting task is left for a busy instance that will likely finish before a new one could boot.',
  },
  latency: {
    summary:
      'Shortest waits: every idle instance is kept up to the max idle time while tasks keep coming, as ClearML’s autoscaler does. Costs the most.',
    detail:
      'Every idle instance is kept up to the idle limit while tasks keep coming, as ClearML does (they go once tasks have stopped for far longer than their usual gaps), a regular schedule is started ahead, and every waiting task gets a new instance at once. Costs the most: about what ClearML costs, and more on a stream of many short tasks.',
  },
};

function scalingRest(d: ConfigDraft): Record<string, unknown> {
  const s = d.rest['scaling'];
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
}

export function preferenceOf(d: ConfigDraft): Preference {
  const p = scalingRest(d)['preference'];
  return p === 'cost' || p === 'latency' ? p : 'balanced';
}

export function withPreference(d: ConfigDraft, p: Preference): ConfigDraft {
  return { ...d, rest: { ...d.rest, scaling: { ...scalingRest(d), preference: p } } };
}
