/**
 * Markdown and text renderings of simulation results (bench/results.md, the README section, the console).
 */
import { READY_WAIT_SEC, type RunFigures, type SimResult } from '../electron/engine/sim/simulate.js';
import type { CallsSample, PlanSample } from './scale.js';
import { costComparison, waitTargetSec, type Target } from './suite.js';

const usd = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `$${n.toFixed(2)}`);
const x = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(2));
const s0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n)} s`);
const pct = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n * 100)} %`);
const n1 = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

export function costTable(results: readonly SimResult[]): string {
  return table(
    [
      'trace',
      'tasks',
      'task-hours',
      'ideal',
      'clairvoyant',
      'ours',
      'ours/clairvoyant',
      'baseline',
      'baseline/clairvoyant',
      'ours/baseline',
    ],
    results.map((r) => {
      const c = costComparison(r);
      const bound = r.clairvoyant.total;
      return [
        r.trace,
        r.tasks,
        r.taskHours.toFixed(1),
        usd(r.ideal.total),
        usd(bound),
        usd(r.ours?.cost.total),
        x(r.ours ? r.ours.cost.total / bound : undefined),
        usd(r.baseline?.cost.total),
        x(r.baseline ? r.baseline.cost.total / bound : undefined),
        c ? `${x(c.ours / c.baseline)}${c.basis === 'total cost' ? '' : ' ¹'}` : '–',
      ];
    }),
  );
}

export function waitTable(results: readonly SimResult[]): string {
  return table(
    [
      'trace',
      'target p95',
      'ours p50',
      'ours p95',
      'ours max',
      'baseline p50',
      'baseline p95',
      'baseline max',
      'p95 ours/baseline',
      'found a worker ready: ours',
      'baseline',
    ],
    results.map((r) => [
      r.trace,
      s0(waitTargetSec(r)),
      s0(r.ours?.waitSec.p50),
      s0(r.ours?.waitSec.p95),
      s0(r.ours?.waitSec.max),
      s0(r.baseline?.waitSec.p50),
      s0(r.baseline?.waitSec.p95),
      s0(r.baseline?.waitSec.max),
      x(r.ratios?.p95Wait),
      r.ours ? `${r.ours.tasks.startedReady}/${r.ours.tasks.total}` : '–',
      r.baseline ? `${r.baseline.tasks.startedReady}/${r.baseline.tasks.total}` : '–',
    ]),
  );
}

function runCells(f: RunFigures | undefined): (string | number)[] {
  if (!f) return ['–', '–', '–', '–', '–', '–', '–'];
  const ec2 = f.calls.ec2.mean + (f.calls.ec2.ticks ? f.calls.ec2ModelledTotal / f.calls.ec2.ticks : 0);
  return [
    pct(f.cost.idleShare),
    f.launches,
    f.terminations,
    `${f.tasks.completed}/${f.tasks.total}${f.tasks.restarted ? ` (${f.tasks.restarted} rerun)` : ''}`,
    `${f.poll.sec} s`,
    x(f.calls.clearml.mean),
    f.calls.ec2ModelledTotal ? `${x(f.calls.ec2.mean)} (+${x(ec2 - f.calls.ec2.mean)} ²)` : x(f.calls.ec2.mean),
  ];
}

export function detailTable(results: readonly SimResult[]): string {
  const head = ['idle share', 'launches', 'terminated', 'completed', 'poll', 'ClearML/tick', 'EC2/tick'];
  return table(
    ['trace', 'loop', ...head],
    results.flatMap((r) => [
      [r.trace, 'ours', ...runCells(r.ours)],
      [r.trace, 'baseline', ...runCells(r.baseline)],
    ]),
  );
}

export function targetsTable(targets: readonly Target[]): string {
  return table(
    ['', 'target', 'where', 'figures'],
    targets.map((t) => [t.pass ? '**PASS**' : '**MISS**', t.name, t.scope, t.detail]),
  );
}

export function planTable(samples: readonly PlanSample[]): string {
  const mb = (v: number | null) => (v === null ? '–' : `${Math.max(0, v).toFixed(2)} MB`);
  return table(
    [
      'queues',
      'instances',
      'plan() median',
      'p95',
      'runs',
      'heap: observation',
      'heap: plan',
      'launches',
      'terminations',
    ],
    samples.map((s) => [
      s.queues.toLocaleString('en-US'),
      s.instances.toLocaleString('en-US'),
      `${s.medianMs.toFixed(2)} ms`,
      `${s.p95Ms.toFixed(2)} ms`,
      s.runs,
      mb(s.inputHeapMb),
      mb(s.planHeapMb),
      s.launches,
      s.terminations,
    ]),
  );
}

export function callsTable(samples: readonly CallsSample[]): string {
  return table(
    [
      'queues',
      'instances',
      'ours: ClearML calls/tick',
      'ours: EC2 calls/tick',
      'of which DescribeInstances pages',
      'baseline: ClearML calls/iteration',
    ],
    samples.map((s) => [
      s.queues,
      s.instances,
      n1(s.oursClearml),
      n1(s.oursEc2),
      n1(s.oursDescribeInstancesPages),
      s.baselineClearml,
    ]),
  );
}

export const FOOTNOTES = [
  '¹ The runs completed different numbers of tasks (the baseline never requeues a task whose spot instance was reclaimed), so the ratio compares cost per completed task-hour.',
  "² EC2 calls the baseline makes that the emulator does not serve, counted as if sent: `GetConsoleOutput` every 60 s for 30 min per launch (ClearML's startup-log thread) and the spot request waiter's `DescribeSpotInstanceRequests`.",
];

/** The footnotes whose mark (their first character) appears in these texts: a footnote nothing refers to is noise. */
export function footnotesFor(texts: readonly string[]): string[] {
  return FOOTNOTES.filter((f) => texts.some((t) => t.includes(f[0]!)));
}

/** One simulation, as a console table. */
export function formatSingle(r: SimResult): string {
  const lines: string[] = [];
  const o = r.ours;
  const b = r.baseline;
  const col = (label: string, ours: string, base: string, ratio = '') =>
    `${label.padEnd(34)}${ours.padStart(14)}${base.padStart(14)}${ratio.padStart(12)}`;
  lines.push(`trace '${r.trace}': ${r.tasks} tasks, ${r.taskHours.toFixed(1)} task-hours, seed ${r.seed}`);
  lines.push(
    `clairvoyant bound (the trace known in advance, fastest boot): ${usd(r.clairvoyant.total)}; ideal (no boot, no idle, cheapest allowed price): ${usd(r.ideal.total)}`,
  );
  lines.push(
    `wait lower bound: ${r.waitBound.coldStartSec} s cold start (fastest boot); boot p95 ${Math.round(r.waitBound.bootP95Sec)} s`,
  );
  lines.push('');
  lines.push(col('', 'ours', 'baseline', 'ours/base'));
  lines.push(col('polling interval', o ? `${o.poll.sec} s` : '–', b ? `${b.poll.sec} s` : '–'));
  lines.push(col('total cost', usd(o?.cost.total), usd(b?.cost.total), x(r.ratios?.cost)));
  const bound = r.clairvoyant.total;
  lines.push(
    col('cost / clairvoyant', x(o ? o.cost.total / bound : undefined), x(b ? b.cost.total / bound : undefined)),
  );
  lines.push(
    col(
      'cost per completed task-hour',
      usd(o?.costPerCompletedTaskHour),
      usd(b?.costPerCompletedTaskHour),
      x(r.ratios?.costPerCompletedTaskHour),
    ),
  );
  lines.push(col('idle share of cost', pct(o?.cost.idleShare), pct(b?.cost.idleShare)));
  lines.push(col('wait p50', s0(o?.waitSec.p50), s0(b?.waitSec.p50), x(r.ratios?.p50Wait)));
  lines.push(col('wait p95', s0(o?.waitSec.p95), s0(b?.waitSec.p95), x(r.ratios?.p95Wait)));
  lines.push(col('wait max', s0(o?.waitSec.max), s0(b?.waitSec.max), x(r.ratios?.maxWait)));
  lines.push(
    col(
      `found a worker ready (≤ ${READY_WAIT_SEC} s)`,
      o ? `${o.tasks.startedReady}/${o.tasks.total}` : '–',
      b ? `${b.tasks.startedReady}/${b.tasks.total}` : '–',
    ),
  );
  lines.push(
    col(
      'tasks completed',
      o ? `${o.tasks.completed}/${o.tasks.total}` : '–',
      b ? `${b.tasks.completed}/${b.tasks.total}` : '–',
    ),
  );
  lines.push(
    col('tasks rerun after interruption', String(o?.tasks.restarted ?? '–'), String(b?.tasks.restarted ?? '–')),
  );
  lines.push(col('launches', String(o?.launches ?? '–'), String(b?.launches ?? '–')));
  lines.push(col('terminations', String(o?.terminations ?? '–'), String(b?.terminations ?? '–')));
  lines.push(col('spot interruptions', String(o?.spotInterruptions ?? '–'), String(b?.spotInterruptions ?? '–')));
  lines.push(col('launch failures', String(o?.launchFailures ?? '–'), String(b?.launchFailures ?? '–')));
  lines.push(col('ClearML calls per tick', x(o?.calls.clearml.mean), x(b?.calls.clearml.mean)));
  lines.push(col('EC2 calls per tick (sent)', x(o?.calls.ec2.mean), x(b?.calls.ec2.mean)));
  if (b?.calls.ec2ModelledTotal)
    lines.push(col('EC2 calls modelled, not sent ²', '0', String(b.calls.ec2ModelledTotal)));
  lines.push(
    col(
      'ticks (skipped while empty)',
      o ? `${o.calls.clearml.ticks} (${o.calls.skippedEmptyTicks})` : '–',
      b ? `${b.calls.clearml.ticks} (${b.calls.skippedEmptyTicks})` : '–',
    ),
  );
  lines.push(col('simulated hours', o ? o.simulatedHours.toFixed(1) : '–', b ? b.simulatedHours.toFixed(1) : '–'));
  if (o && !o.finished) lines.push('ours: the run hit its time horizon with work left');
  if (b && !b.finished) lines.push('baseline: the run hit its time horizon with work left');
  if (b) lines.push(`baseline polling interval from ${b.poll.source}`);
  if (b?.calls.ec2ModelledTotal) lines.push(FOOTNOTES[1]!);
  return lines.join('\n');
}
