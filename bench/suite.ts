/**
 * The bundled benchmark: which trace runs with which config, and the targets the results are held to. Targets
 * are printed as PASS/MISS figures; they are not test assertions.
 */
import { READY_WAIT_SEC, type RunFigures, type SimResult } from '../electron/engine/sim/simulate.js';
import type { CallsSample, PlanSample } from './scale.js';

export interface SuiteEntry {
  trace: string;
  config: string;
}

export const SUITE: readonly SuiteEntry[] = [
  { trace: 'steady.json', config: 'gpu.yaml' },
  { trace: 'bursty.json', config: 'gpu.yaml' },
  { trace: 'diurnal.json', config: 'gpu.yaml' },
  { trace: 'mixed.json', config: 'mixed.yaml' },
  { trace: 'longtail.json', config: 'mixed.yaml' },
];

export const DEFAULT_SEED = 1;
/** Ours ≤ this × the clairvoyant bound (the best any policy could do knowing the trace in advance). */
export const CLAIRVOYANT_COST_TARGET = 1.25;
/** The name of the bundled traces' clairvoyant target (as `traceTargets` names it). */
export const CLAIRVOYANT_TARGET = `cost ≤ ${CLAIRVOYANT_COST_TARGET} × clairvoyant`;
/** Waits are compared to the second: clocks and polls make sub-second differences noise. */
export const WAIT_TOLERANCE_SEC = 1;
export const WAIT_SLACK_SEC = 10;
export const PLAN_TARGET_MS = 20;
/** How many world seeds (boot draws, agent poll phases) a p50 miss is re-run with to see how much is the draw. */
export const WORLD_SEEDS = 10;

/** The k-th world seed a trace run at `seed` is re-run with: the bench's own first, then seed × 1000 + k. */
export const worldSeedOf = (seed: number, k: number): number => (k === 0 ? seed : seed * 1000 + k);

/** A difference in seconds with its sign: +1.6 s, −0.5 s, 0.0 s. */
export const signedSec = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)} s`;

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2 : Number.NaN;
};

/** What a world-seed spread is of, before its figures: "under 10 world seeds (…), p50 ours − model". */
export const worldSeedsPhrase = (n: number, what = 'p50 ours − model') =>
  `under ${n} world seeds (the bench's own first; other boot draws and agent poll phases), ${what}`;

/**
 * Ours ÷ clairvoyant over world seeds in words: "under 10 world seeds (…): 1.08 to 1.30 × clairvoyant (median 1.19;
 * over 1.25 in 3 of 10)".
 */
export function worldCostSpreadText(ratios: readonly number[]): string {
  const over = ratios.filter((x) => x > CLAIRVOYANT_COST_TARGET).length;
  return `under ${ratios.length} world seeds (the bench's own first; other boot draws, agent poll phases and spot reclaims): ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)} × clairvoyant (median ${median(ratios).toFixed(2)}; over ${CLAIRVOYANT_COST_TARGET} in ${over} of ${ratios.length})`;
}

/**
 * A figure over world seeds in words, each value shown by `show`: "a to b (median m, over L in k of n)", k counting
 * the values over `limit` (shown as `limitText`).
 */
export function spreadFigures(
  xs: readonly number[],
  show: (x: number) => string,
  limit: number,
  limitText: string,
): string {
  const over = xs.filter((x) => x > limit).length;
  return `${show(Math.min(...xs))} to ${show(Math.max(...xs))} (median ${show(median(xs))}, over ${limitText} in ${over} of ${xs.length})`;
}

/** p50 ours − model over world seeds in words: "−0.4 s to +1.5 s (median +0.0 s, over +1 s in 1 of 10)". */
export function worldSpreadFigures(diffs: readonly number[]): string {
  return spreadFigures(diffs, signedSec, WAIT_TOLERANCE_SEC, `+${WAIT_TOLERANCE_SEC} s`);
}

export interface Target {
  name: string;
  scope: string;
  pass: boolean;
  /** The figures, in words. */
  detail: string;
}

const f2 = (n: number) => n.toFixed(2);
const f0 = (n: number) => n.toFixed(0);

/** What "no higher cost" compares: total cost, or cost per completed task-hour when a run lost tasks. */
export function costComparison(r: SimResult): { ours: number; baseline: number; basis: string } | null {
  if (!r.ours || !r.baseline) return null;
  const same = r.ours.tasks.completed === r.baseline.tasks.completed;
  return same
    ? { ours: r.ours.cost.total, baseline: r.baseline.cost.total, basis: 'total cost' }
    : {
        ours: r.ours.costPerCompletedTaskHour,
        baseline: r.baseline.costPerCompletedTaskHour,
        basis: `cost per completed task-hour (tasks completed: ours ${r.ours.tasks.completed}, baseline ${r.baseline.tasks.completed} of ${r.tasks})`,
      };
}

export function waitTargetSec(r: SimResult): number {
  return r.waitBound.bootP95Sec + (r.ours?.poll.sec ?? 0) + WAIT_SLACK_SEC;
}

/**
 * The targets every trace family is held to, on one trace: ours no dearer than the baseline and no
 * slower at p50, p95 or on average (a wait within WAIT_TOLERANCE_SEC counts as equal); ours within
 * CLAIRVOYANT_COST_TARGET of the clairvoyant bound; ours' p95 within a boot p95 + a poll + WAIT_SLACK_SEC.
 */
export function traceTargets(r: SimResult): Target[] {
  const out: Target[] = [];
  const ours = r.ours;
  if (!ours) return out;
  const bound = r.clairvoyant.total;
  out.push({
    name: CLAIRVOYANT_TARGET,
    scope: r.trace,
    pass: ours.cost.total <= CLAIRVOYANT_COST_TARGET * bound,
    detail: `$${f2(ours.cost.total)} / clairvoyant $${f2(bound)} = ${f2(ours.cost.total / bound)} (idle ${f0(ours.cost.idleShare * 100)} % of cost)`,
  });
  const waitTarget = waitTargetSec(r);
  out.push({
    name: 'p95 wait ≤ boot p95 + poll + 10 s',
    scope: r.trace,
    pass: ours.waitSec.p95 <= waitTarget,
    detail: `p95 ${f0(ours.waitSec.p95)} s vs ${f0(r.waitBound.bootP95Sec)} + ${ours.poll.sec} + ${WAIT_SLACK_SEC} = ${f0(waitTarget)} s`,
  });
  if (r.baseline) {
    const c = costComparison(r)!;
    out.push({
      name: 'cost ≤ the baseline',
      scope: r.trace,
      pass: c.ours <= c.baseline,
      detail: `${c.basis}: $${f2(c.ours)} vs $${f2(c.baseline)} (ours/baseline ${f2(c.ours / c.baseline)})`,
    });
    for (const k of ['p50', 'p95', 'mean'] as const) {
      const o = ours.waitSec[k];
      const b = r.baseline.waitSec[k];
      out.push({
        name: `${k} wait ≤ the baseline`,
        scope: r.trace,
        pass: o - b <= WAIT_TOLERANCE_SEC,
        detail: `${f0(o)} s vs ${f0(b)} s`,
      });
    }
  }
  return out;
}

/**
 * Why a bundled trace misses a target, where understood (keyed by trace, then target name); the families with the
 * same shape carry the evidence over 20 seeds.
 */
export const BUNDLED_WHY: Record<string, Record<string, string>> = {
  steady: {
    'p50 wait ≤ the baseline':
      'GPU tasks of about 45 min at 8 an hour, Poisson: in both runs about half the tasks find a warm worker, so the p50 sits between a warm pickup and a boot and moves with a few tasks. The model keeps every idle worker for maxIdleMin; ours keeps those the arrival rate says will be taken in time and, on a queue this busy, enough for its load plus the load’s square root. The weekend family shows the trade over 20 seeds: the latency preference, which keeps them all, matches the model’s p50 and costs about what the model costs.',
  },
  diurnal: {
    'p50 wait ≤ the baseline':
      'A working day of GPU tasks (a ramp to 12 an hour): as on steady, the model’s spare workers, each kept for maxIdleMin, serve more than half of the tasks warm; ours keeps those the arrival rate says will be taken in time and, on a queue this busy, enough for its load plus the load’s square root. See the weekend family for what keeping them all costs.',
  },
  mixed: {
    [CLAIRVOYANT_TARGET]:
      'Two queues whose cheap spot resource is capped, with on-demand second; spot instances are reclaimed at 0.05 an hour each, a reclaimed task’s replacement launches on-demand, and spot GPU capacity runs out for an hour. On-demand costs two and a half to three times spot, so which instances are reclaimed, and when, moves the bill. Each queue’s reclaims are drawn from a stream of its own, in launch order, so which of a queue’s instances are reclaimed moves with its own launches: the spread over world seeds is the measure, not the one draw.',
  },
  longtail: {
    [CLAIRVOYANT_TARGET]:
      'Short CPU tasks with a heavy tail, as the heavytail family: the bound knows every arrival and duration and never keeps a machine that will not be used; an online policy keeps a pool for arrivals it cannot foresee, or most tasks wait a boot where the model’s p50 is a few seconds.',
  },
};

export function scaleTargets(plans: readonly PlanSample[], calls: readonly CallsSample[]): Target[] {
  const out: Target[] = [];
  const p = plans.find((s) => s.queues === 100 && s.instances === 2000);
  if (p) {
    out.push({
      name: `plan() < ${PLAN_TARGET_MS} ms`,
      scope: '100 queues × 2,000 instances',
      pass: p.medianMs < PLAN_TARGET_MS,
      detail: `median ${p.medianMs.toFixed(1)} ms, p95 ${p.p95Ms.toFixed(1)} ms over ${p.runs} runs`,
    });
  }
  if (calls.length) {
    const clearml = new Set(calls.map((c) => c.oursClearml));
    out.push({
      name: 'ClearML calls per tick constant in queues',
      scope: calls.map((c) => `${c.queues}q×${c.instances}`).join(', '),
      pass: clearml.size === 1,
      detail: `ours ${calls.map((c) => c.oursClearml).join(' / ')}; baseline ${calls.map((c) => c.baselineClearml).join(' / ')}`,
    });
    const pagesOk = calls.every((c) => c.oursDescribeInstancesPages === Math.max(1, Math.ceil(c.instances / 500)));
    const sameN = new Map<number, Set<number>>();
    for (const c of calls)
      (sameN.get(c.instances) ?? sameN.set(c.instances, new Set()).get(c.instances)!).add(c.oursEc2);
    out.push({
      name: 'EC2 calls per tick grow with instances only',
      scope: 'DescribeInstances pages of 500',
      pass: pagesOk && [...sameN.values()].every((s) => s.size === 1),
      detail: calls.map((c) => `${c.queues}q×${c.instances}: ${c.oursEc2} call(s)`).join(', '),
    });
  }
  return out;
}

/**
 * How many tasks of each run found a worker ready, against how many a p50 of one agent poll needs: the p50 (linear
 * between the two middle waits) is within it only when the upper middle wait is, so when that many tasks are.
 */
export function readyText(ours: RunFigures, baseline: RunFigures): string {
  const n = ours.tasks.total;
  const need = Math.ceil((n - 1) / 2) + 1;
  return `Tasks that found a worker ready (a wait of at most ${READY_WAIT_SEC} s, one agent poll): ours ${ours.tasks.startedReady} of ${n}, the model ${baseline.tasks.startedReady}; a p50 that short needs ${need}.`;
}

/** The name of the bundled traces' p50 target (as `traceTargets` names it). */
export const P50_TARGET = 'p50 wait ≤ the baseline';

/**
 * Each missed bundled-trace target with why, where understood (BUNDLED_WHY); a p50 miss also says what the
 * latency preference does on that trace (`latency`: ours at latency, with the default run's baseline), and a
 * clairvoyant miss what the idealised spare-machine policy can do there (`pools`: its sentence, by trace).
 */
export function bundledMisses(
  targets: readonly Target[],
  latency: ReadonlyMap<string, SimResult> = new Map(),
  spreads: ReadonlyMap<string, number[]> = new Map(),
  results: readonly SimResult[] = [],
  pools: ReadonlyMap<string, string> = new Map(),
  /** Per trace missing the clairvoyant target: ours ÷ clairvoyant under WORLD_SEEDS world seeds, its own first. */
  costSpreads: ReadonlyMap<string, number[]> = new Map(),
): string[] {
  const lines = targets.flatMap((t) => {
    const why = BUNDLED_WHY[t.scope]?.[t.name];
    if (t.pass || !why) return [];
    const alt = t.name === P50_TARGET ? latency.get(t.scope) : undefined;
    const c = alt ? costComparison(alt) : null;
    const at =
      alt?.ours && alt.baseline && c
        ? ` At the latency preference, which keeps every idle worker while tasks keep coming as the model does: p50 ${Math.round(alt.ours.waitSec.p50)} s (the model's ${Math.round(alt.baseline.waitSec.p50)} s), ${(alt.ours.cost.total / alt.clairvoyant.total).toFixed(2)} × clairvoyant, ${(c.ours / c.baseline).toFixed(2)} × the model's cost.`
        : '';
    const run = t.name === P50_TARGET ? results.find((r) => r.trace === t.scope) : undefined;
    const ready = run?.ours && run.baseline ? ` ${readyText(run.ours, run.baseline)}` : '';
    const d = t.name === P50_TARGET ? spreads.get(t.scope) : undefined;
    const spread = d?.length ? ` Re-run ${worldSeedsPhrase(d.length)}: ${worldSpreadFigures(d)}.` : '';
    const pool = t.name === CLAIRVOYANT_TARGET ? pools.get(t.scope) : undefined;
    const ratios = t.name === CLAIRVOYANT_TARGET ? costSpreads.get(t.scope) : undefined;
    const costSpread = ratios?.length ? ` Re-run ${worldCostSpreadText(ratios)}.` : '';
    return [`- **${t.scope}**, ${t.name}: ${why}${ready}${spread}${costSpread}${at}${pool ? ` ${pool}` : ''}`];
  });
  return lines.length ? ['Why the missed targets miss:', '', ...lines, ''] : [];
}
