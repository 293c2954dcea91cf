/**
 * The bundled benchmark: which trace runs with which config, and the targets the results are held to. Targets
 * are printed as PASS/MISS figures; they are not test assertions.
 */
import type { SimResult } from '../electron/engine/sim/simulate.js';
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
/** Traces held to the cost-ratio target (at default settings). */
export const COST_RATIO_TRACES = new Set(['bursty', 'diurnal']);
export const COST_RATIO_TARGET = 1.15;
export const WAIT_SLACK_SEC = 10;
export const PLAN_TARGET_MS = 20;

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

export function traceTargets(r: SimResult): Target[] {
  const out: Target[] = [];
  const ours = r.ours;
  if (!ours) return out;
  if (COST_RATIO_TRACES.has(r.trace)) {
    out.push({
      name: `cost ≤ ${COST_RATIO_TARGET} × ideal`,
      scope: r.trace,
      pass: ours.costRatio <= COST_RATIO_TARGET,
      detail: `$${f2(ours.cost.total)} / ideal $${f2(r.ideal.total)} = ${f2(ours.costRatio)} (idle ${f0(ours.cost.idleShare * 100)} % of cost)`,
    });
  }
  const bound = waitTargetSec(r);
  out.push({
    name: 'p95 wait ≤ boot p95 + poll + 10 s',
    scope: r.trace,
    pass: ours.waitSec.p95 <= bound,
    detail: `p95 ${f0(ours.waitSec.p95)} s vs ${f0(r.waitBound.bootP95Sec)} + ${ours.poll.sec} + ${WAIT_SLACK_SEC} = ${f0(bound)} s`,
  });
  if (r.baseline) {
    out.push({
      name: 'lower p95 wait than the baseline',
      scope: r.trace,
      pass: ours.waitSec.p95 < r.baseline.waitSec.p95,
      detail: `${f0(ours.waitSec.p95)} s vs ${f0(r.baseline.waitSec.p95)} s`,
    });
    const c = costComparison(r)!;
    out.push({
      name: 'no higher cost than the baseline',
      scope: r.trace,
      pass: c.ours <= c.baseline,
      detail: `${c.basis}: $${f2(c.ours)} vs $${f2(c.baseline)} (ours/baseline ${f2(c.ours / c.baseline)})`,
    });
  }
  return out;
}

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
