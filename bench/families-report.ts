/**
 * The generalisation bench's figures as distributions over seeds, the targets applied to every family, markdown
 * tables, and one cost-vs-wait chart per family (vega-lite compiled and rendered to SVG by vega in Node: a
 * declarative spec reviewers can read, no browser or canvas binary needed).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { percentile } from '../electron/engine/sim/metrics.js';
import { DEFAULT_PREFERENCE, PREFERENCES, type FamilyRow, type Figures, type Variant } from './families.js';
import type { Family } from './gen-traces.js';

import { CLAIRVOYANT_COST_TARGET, WAIT_TOLERANCE_SEC } from './suite.js';

export { CLAIRVOYANT_COST_TARGET, WAIT_TOLERANCE_SEC };

export interface Spread {
  median: number;
  worst: number;
  n: number;
}

function spread(values: readonly number[], worst: 'max' | 'min' = 'max'): Spread {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return { median: Number.NaN, worst: Number.NaN, n: 0 };
  return { median: percentile(v, 50), worst: worst === 'max' ? Math.max(...v) : Math.min(...v), n: v.length };
}

/** Ours vs baseline on cost: total cost, or cost per completed task-hour when the runs completed different counts. */
export function costVsBaseline(o: Figures, b: Figures): number {
  return o.completed === b.completed ? o.cost / b.cost : o.costPerTaskHour / b.costPerTaskHour;
}

export interface FamilyTargetRow {
  family: string;
  target: string;
  median: string;
  worst: string;
  medianPass: boolean;
  worstPass: boolean;
  note: string;
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const s0 = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} s` : '–');
const sd = (n: number) => (Number.isFinite(n) ? `${n > 0 ? '+' : ''}${Math.round(n)} s` : '–');

export function familyTargets(rows: readonly FamilyRow[]): FamilyTargetRow[] {
  const out: FamilyTargetRow[] = [];
  for (const family of [...new Set(rows.map((r) => r.family))]) {
    const fr = rows.filter((r) => r.family === family);
    const pairs = fr.flatMap((r) => {
      const o = r.runs[DEFAULT_PREFERENCE];
      const b = r.runs.baseline;
      return o && b ? [{ r, o, b }] : [];
    });
    const capSeeds = fr.filter((r) => r.clairvoyant.capWaited > 0).length;
    const capNote = capSeeds
      ? `caps make tasks wait even for the clairvoyant bound on ${capSeeds} of ${fr.length} seeds`
      : '';
    const cost = spread(pairs.map((p) => costVsBaseline(p.o, p.b)));
    out.push({
      family,
      target: 'cost ≤ baseline (ours/baseline)',
      median: f2(cost.median),
      worst: f2(cost.worst),
      medianPass: cost.median <= 1,
      worstPass: cost.worst <= 1,
      note: pairs.some((p) => p.o.completed !== p.b.completed)
        ? 'per completed task-hour on seeds where completions differ'
        : '',
    });
    for (const k of ['p50', 'p95', 'mean'] as const) {
      const d = spread(pairs.map((p) => p.o[k] - p.b[k]));
      out.push({
        family,
        target: `${k} wait ≤ baseline (ours − baseline)`,
        median: sd(d.median),
        worst: sd(d.worst),
        medianPass: d.median <= WAIT_TOLERANCE_SEC,
        worstPass: d.worst <= WAIT_TOLERANCE_SEC,
        note: capNote,
      });
    }
    const vsBound = spread(
      fr.flatMap((r) => (r.runs[DEFAULT_PREFERENCE] ? [r.runs[DEFAULT_PREFERENCE].cost / r.clairvoyant.cost] : [])),
    );
    const p95 = spread(fr.flatMap((r) => (r.runs[DEFAULT_PREFERENCE] ? [r.runs[DEFAULT_PREFERENCE].p95] : [])));
    const waitTarget = fr[0]?.waitTargetSec ?? Number.NaN;
    out.push({
      family,
      target: `cost ≤ ${CLAIRVOYANT_COST_TARGET} × clairvoyant (ours/clairvoyant)`,
      median: f2(vsBound.median),
      worst: f2(vsBound.worst),
      medianPass: vsBound.median <= CLAIRVOYANT_COST_TARGET,
      worstPass: vsBound.worst <= CLAIRVOYANT_COST_TARGET,
      note: 'the target is on the median seed; the worst seed is shown, not held to it',
    });
    out.push({
      family,
      target: `p95 wait ≤ boot p95 + poll + 10 s (${s0(waitTarget)})`,
      median: s0(p95.median),
      worst: s0(p95.worst),
      medianPass: p95.median <= waitTarget,
      worstPass: p95.worst <= waitTarget,
      note: 'the target is on the median seed',
    });
  }
  return out;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const row = (c: readonly (string | number)[]) => `| ${c.join(' | ')} |`;
  return [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
}

const pass = (p: boolean) => (p ? '**PASS**' : '**MISS**');

export function familyTargetsTable(t: readonly FamilyTargetRow[]): string {
  return table(
    ['family', 'target', 'median seed', 'worst seed', 'median', 'worst', 'note'],
    t.map((r) => [r.family, r.target, r.median, r.worst, pass(r.medianPass), pass(r.worstPass), r.note]),
  );
}

export interface RealPoint {
  family: string;
  /** The family trace's seed (`<family>-<seed>`). */
  seed: number;
  cost: number;
  p50: number;
  p95: number;
  mean: number;
}

/**
 * ClearML's real autoscaler, run elsewhere on the same traces: bench/clearml-real-results.json, rows with a
 * `trace` name and cost/p50/p95/mean. Only traces named like ours (`<family>-<seed>`) are used.
 */
export function readRealResults(file: string): { points: Map<string, RealPoint[]>; note: string } {
  const points = new Map<string, RealPoint[]>();
  if (!existsSync(file))
    return { points, note: `${path.basename(file)} does not exist: ClearML's real autoscaler is not in the charts.` };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { points, note: `${path.basename(file)} is not valid JSON (${(e as Error).message}): skipped.` };
  }
  const list = Array.isArray(doc) ? doc : ((doc as { results?: unknown[] })?.results ?? []);
  const others: string[] = [];
  for (const item of list as Record<string, unknown>[]) {
    if (item['asShipped'] === true) continue; // clearml as shipped launches nothing: not a point on a chart
    const name = typeof item['trace'] === 'string' ? item['trace'] : '';
    // bench:clearml writes cost as { total, … } and waits as waitSec { p50, p95, mean }; flat fields also count.
    const cost = item['cost'] as number | { total?: number } | undefined;
    const wait = (item['waitSec'] ?? item) as Record<string, unknown>;
    const nums = [typeof cost === 'object' ? cost?.total : cost, wait['p50'], wait['p95'], wait['mean']].map(Number);
    const m = /^([a-z]+)-(\d+)$/.exec(name);
    if (!m) {
      if (name && !others.includes(name)) others.push(name);
      continue;
    }
    if (nums.some((n) => !Number.isFinite(n))) continue;
    const p = { family: m[1]!, seed: Number(m[2]), cost: nums[0]!, p50: nums[1]!, p95: nums[2]!, mean: nums[3]! };
    (points.get(p.family) ?? points.set(p.family, []).get(p.family)!).push(p);
  }
  const ran = others.length ? ` (its runs are on the bundled traces ${others.join(', ')}, not on a family trace)` : '';
  return {
    points,
    note: points.size
      ? `ClearML's real autoscaler (\`npm run bench:clearml -- --trace <family>-<seed>\`): ${[...points.values()].reduce((n, l) => n + l.length, 0)} runs from ${path.basename(file)}, one trace each: ${[...points.values()].flatMap((l) => l.map((p) => `${p.family}-${p.seed}`)).join(', ')}. Each was run on the seed where the ClearML model's cost ÷ bound was the median of the 20 seeds when the run was made (the model does not depend on this app's policy, so the choice does not either); its row above is that one seed, not a distribution. Its settings and compression are in its own section below.`
      : `${path.basename(file)} has no run on a family trace (named <family>-<seed>)${ran}: ClearML's real autoscaler is not in the charts or the tables above; see its own section below.`,
  };
}

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

/**
 * Where each real run's seed stands now among its family's seeds by the model's cost ÷ bound (1st: the cheapest):
 * the seeds were picked as the model's median, and re-run rows (another draw of the world) can move that.
 */
export function realSeedRanks(points: ReadonlyMap<string, RealPoint[]>, rows: readonly FamilyRow[]): string {
  const ranks = [...points.values()].flat().flatMap((p) => {
    const order = rows
      .filter((r) => r.family === p.family && r.runs.baseline)
      .sort((a, b) => a.runs.baseline!.cost / a.clairvoyant.cost - b.runs.baseline!.cost / b.clairvoyant.cost);
    const at = order.findIndex((r) => r.seed === p.seed);
    return at < 0 ? [] : [`${p.family}-${p.seed} ${ordinal(at + 1)} of ${order.length}`];
  });
  return ranks.length ? `In these rows the model's cost ÷ bound on those seeds ranks ${ranks.join(', ')}.` : '';
}

const LABEL: Record<Variant | 'clairvoyant' | 'clearml-real', string> = {
  clairvoyant: 'clairvoyant bound',
  cost: 'ours: cost',
  balanced: 'ours: balanced (default)',
  latency: 'ours: latency',
  baseline: 'ClearML model (baseline.ts)',
  'clearml-real': "ClearML's real autoscaler",
};

export interface DistRow {
  family: string;
  who: string;
  seeds: number;
  costRatio: Spread;
  p50: Spread;
  p95: Spread;
  mean: Spread;
}

/** Per family and per run kind: ratios to the clairvoyant cost and waits, median and worst over seeds. */
export function distributions(rows: readonly FamilyRow[], real: Map<string, RealPoint[]>): DistRow[] {
  const out: DistRow[] = [];
  for (const family of [...new Set(rows.map((r) => r.family))]) {
    const fr = rows.filter((r) => r.family === family);
    const bound = new Map(fr.map((r) => [r.trace, r.clairvoyant.cost]));
    out.push({
      family,
      who: 'clairvoyant',
      seeds: fr.length,
      costRatio: spread(fr.map(() => 1)),
      p50: spread(fr.map((r) => r.clairvoyant.p50)),
      p95: spread(fr.map((r) => r.clairvoyant.p95)),
      mean: spread(fr.map((r) => r.clairvoyant.mean)),
    });
    for (const v of [...PREFERENCES, 'baseline'] as Variant[]) {
      const got = fr.flatMap((r) => (r.runs[v] ? [{ r, f: r.runs[v] }] : []));
      if (!got.length) continue;
      out.push({
        family,
        who: v,
        seeds: got.length,
        costRatio: spread(got.map((g) => g.f.cost / g.r.clairvoyant.cost)),
        p50: spread(got.map((g) => g.f.p50)),
        p95: spread(got.map((g) => g.f.p95)),
        mean: spread(got.map((g) => g.f.mean)),
      });
    }
    const rp = (real.get(family) ?? []).flatMap((p) => {
      // The bound of the same trace (family and seed) the real run replayed.
      const b = bound.get(`${family}-${p.seed}`);
      return b ? [{ ...p, ratio: p.cost / b }] : [];
    });
    if (rp.length) {
      out.push({
        family,
        who: 'clearml-real',
        seeds: rp.length,
        costRatio: spread(rp.map((p) => p.ratio)),
        p50: spread(rp.map((p) => p.p50)),
        p95: spread(rp.map((p) => p.p95)),
        mean: spread(rp.map((p) => p.mean)),
      });
    }
  }
  return out;
}

export function distributionTable(d: readonly DistRow[]): string {
  const sp = (s: Spread, f: (n: number) => string) => `${f(s.median)} / ${f(s.worst)}`;
  return table(
    ['family', 'run', 'seeds', 'cost ÷ clairvoyant', 'p50 wait', 'p95 wait', 'mean wait'],
    d.map((r) => [
      r.family,
      LABEL[r.who as keyof typeof LABEL] ?? r.who,
      r.seeds,
      sp(r.costRatio, f2),
      sp(r.p50, s0),
      sp(r.p95, s0),
      sp(r.mean, s0),
    ]),
  );
}

/** One SVG per family: cost ÷ clairvoyant against p50 and p95 wait (medians over seeds), a point per run kind. */
export async function renderCharts(d: readonly DistRow[], dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const family of [...new Set(d.map((r) => r.family))]) {
    const values = d
      .filter((r) => r.family === family)
      .flatMap((r) =>
        (['p50', 'p95'] as const).map((k) => ({
          who: LABEL[r.who as keyof typeof LABEL] ?? r.who,
          metric: `${k} wait (s)`,
          wait: Math.round(r[k].median * 10) / 10,
          cost: Math.round(r.costRatio.median * 1000) / 1000,
        })),
      );
    const spec: vl.TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${family}: cost vs wait (median over seeds)`, anchor: 'start' },
      data: { values },
      facet: { column: { field: 'metric', type: 'nominal', title: null } },
      spec: {
        width: 300,
        height: 240,
        layer: [
          {
            mark: { type: 'point', filled: true, size: 90 },
            encoding: {
              x: { field: 'wait', type: 'quantitative', title: 'wait (s)', scale: { zero: true } },
              y: { field: 'cost', type: 'quantitative', title: 'cost ÷ clairvoyant', scale: { zero: false } },
              color: { field: 'who', type: 'nominal', title: null, sort: Object.values(LABEL) },
              shape: { field: 'who', type: 'nominal', title: null, sort: Object.values(LABEL) },
            },
          },
        ],
      },
      resolve: { scale: { x: 'independent' } },
      config: { font: 'sans-serif', legend: { orient: 'bottom', columns: 3, labelLimit: 320 } },
    };
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const file = path.join(dir, `${family}.svg`);
    writeFileSync(file, `${svg}\n`);
    written.push(file);
  }
  return written;
}

export type { Family };
