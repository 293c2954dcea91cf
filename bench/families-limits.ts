/**
 * Where a family misses the clairvoyant target, how much of the gap is the bound's own optimism about boots: the
 * same bound with every boot taking the world's mean boot instead of its fastest. The bound must stay a lower
 * bound, so it keeps the fastest; this figure only says how much of "ours ÷ bound" no policy that draws real
 * boots could close. The per-family reasons are written from the traces' shapes (bench/gen-traces.ts).
 */
import { clairvoyantBound } from '../electron/engine/sim/clairvoyant.js';
import { distribution } from '../electron/engine/sim/metrics.js';
import { makePriceFn, READY_WAIT_SEC } from '../electron/engine/sim/simulate.js';
import { TraceSchema, type Trace } from '../electron/engine/sim/trace.js';
import { AGENT_DEFAULT_QUEUE_POLL_SEC, type Config } from '../shared/config.js';
import { DEFAULT_PREFERENCE, familyConfig, runFamilyTrace, type FamilyRow, type Figures } from './families.js';
import { CLAIRVOYANT_COST_TARGET, costVsBaseline, WAIT_TOLERANCE_SEC } from './families-report.js';
import {
  median,
  signedSec,
  spreadFigures,
  WORLD_SEEDS,
  worldSeedOf,
  worldSeedsPhrase,
  worldSpreadFigures,
} from './suite.js';
import { generateFamilyTrace, TRICKLE, type Family } from './gen-traces.js';
import { mulberry32 } from '../electron/engine/sim/prng.js';
import { MIN_FORECAST_BATCHES } from '../electron/engine/policy/keep-warm.js';
import {
  leadForRatio,
  leadPoint,
  runKeepIdle,
  runPool,
  slotTraceWaits,
  type PoolRun,
  type PoolTask,
  type SlotWorld,
} from './online-bound.js';

/** A family row's trace, drawn again from its family and seed. */
const familyTraceOf = (row: FamilyRow): Trace => TraceSchema.parse(generateFamilyTrace(row.family, row.seed));

/** The clairvoyant cost of a row's trace with every boot at the mean of the world's boot range. */
export function boundAtMeanBoot(benchDir: string, row: FamilyRow): number {
  const trace = familyTraceOf(row);
  const config = familyConfig(benchDir, row.family);
  return clairvoyantBound({
    trace,
    config,
    price: makePriceFn(trace, config.aws.region),
    bootSec: (row.bootSec.min + row.bootSec.max) / 2,
  }).total;
}

/** Why a family's median seed misses the clairvoyant target, in words, for the families where it is understood. */
const WHY: Partial<Record<Family, string>> = {
  trickle:
    'One task every 10 min ± 1 min (uniform), 1–4 min long, boots drawn from 60–150 s. The bound launches each task’s machine exactly a 60 s boot ahead and stops it at the end. A policy that does not know the future learns nothing about a task’s arrival until it comes, nor about a boot until the worker registers, so all it can choose is how long before the slot to launch; the table (`bench/online-bound.ts`, computed from these distributions; polls, ticks and termination delays only add to it) gives what each choice costs at best. Ours launches the slowest recent boot + a poll + two deviations of where a task lands around its predicted slot ahead (about 250 s; the slot is fitted from the recent tasks, so the deviation is the jitter’s and the fit’s): the agent’s poll and the engine’s 15 s ticks at both ends make up the rest.',
  heavytail:
    'Pareto task durations (shape 1.2, most 30–60 s) at 60 tasks per hour, Poisson. The bound knows every task’s duration and arrival, so it never keeps a machine that will not be used and lets each task take exactly the machine that frees first; an online policy must keep a pool for arrivals it cannot foresee (or make tasks wait a boot: the baseline’s p50 is a few seconds, so most tasks must find a machine ready). Ours keeps what a burst within two boots needs often enough to pay for (in more than 2 such windows in 13 at balanced), less the busy workers likely to finish by then, and lets a kept worker go once it has idled twice as long as its task was expected (workers freed by their own tasks take most arrivals), below the two freshest counting how long the queue has had that many idle (a task goes to whichever idle agent polls first, so the kept workers share the arrivals).',
  onoff:
    'GPU bursts (20 min on, 40 min off, Poisson within) with 15-min tasks: the bound starts each burst’s machines a boot ahead of their tasks; an online policy learns of a burst from its first tasks, which wait a boot (p50 about 90 s; the ClearML model’s is over 300 s), and keeps machines idle at the end of a burst for tasks that might still come. Keeping none would cut the idle tail but make more tasks wait.',
  team: 'A GPU + CPU team (Poisson, 6-min CPU and 30-min GPU medians): as onoff, the gap beyond the boot draw is the idle pool kept for Poisson arrivals the bound knows in advance.',
};

/**
 * Why a family's worst seed can lose to the ClearML model on a target its median seed passes, where understood:
 * the per-seed figures are computed from the rows; the reasons are written from the traces' shapes and from
 * per-task waits read off single seeds (`--family NAME --seeds 1 --first-seed N`).
 */
const WORST_WHY: Partial<Record<Family, Partial<Record<BaselineTarget, string>>>> = {
  trickle: {
    p50: 'Nearly every task finds a warm worker in both runs (ours pre-warms one ahead of each slot, the model keeps its one worker; the ready counts), so a typical wait is the time to that idle agent’s next queue poll: a draw from 0–2 s on ours (its agents poll every 2 s, `agent.queuePollSec`) and from 0–5 s on the model (clearml-agent’s default), set by when the worker registered. The p50 of 15 to 18 such draws differs between two runs by a second or two either way, whichever policy is better; the median seed shows no difference. (Aligning every agent’s polls on one shared grid would remove this noise, but it also hands each task to the first idle worker in launch order and takes away the shorter wait that several idle workers give: it changed the ClearML model’s p50 on the bundled mixed trace from 4 s to 138 s, so the simulator keeps each agent’s own phase.)',
  },
  weekend: {
    p50: 'The model keeps every idle worker for maxIdleMin (15 min); ours keeps as many as the arrival rate says will be taken before that limit ends, at 6 tasks an hour one (the second is expected in 20 min). With 20-min tasks arriving as Poisson clumps about half of the tasks then wait a boot (ours: p50 about a boot on most seeds), while the model’s p50 depends on whether spare workers from earlier in a clump happen to be up: minutes on most seeds, seconds on a few. No price put on a wait changes that count (the second worker is expected only after the limit); keeping every spare worker for the whole limit, as the model does, is what the latency preference does, and the figures after this say what it costs.',
  },
  team: {
    p50: 'Most tasks of both runs find a warm worker, so the p50 is mostly the time to the next queue poll of an idle agent (every 2 s on ours, every 5 s on the model: clearml-agent’s default), a draw set by when each worker registered or last finished, as on trickle. With n idle agents polling every T s the first poll comes after T/(n + 1) s on average; the model keeps every idle worker for 15 min and ours fewer, so the model’s warm pickups are quicker only where it keeps two and a half times as many idle workers.',
  },
  heavytail: {
    cost: 'On these seeds the model (polling every 5 min) served the stream with fewer machines up and let tasks queue for them. Both runs’ machines are idle about half the time there. Ours keeps as many idle workers as a burst within two boots needs often enough to pay for (in more than 2 such windows in 13 at balanced), less the busy ones about to finish, and lets a kept one go once it has idled twice as long as its task was expected, counting how long the queue has had that many idle below its two freshest workers; a burst after the pool has shrunk is met with launches, each billing a boot (the launch counts above).',
    mean: 'Ours lets kept workers go between bursts and meets the next burst with launches, so more of its tasks wait for a boot there (the ready counts).',
  },
};

type BaselineTarget = 'cost' | 'p50' | 'p95' | 'mean';

/** Ours against the model on one run, per target: cost ours/model, waits ours − model (s). */
function versusModel(o: Figures, b: Figures): Record<BaselineTarget, number> {
  return { cost: costVsBaseline(o, b), p50: o.p50 - b.p50, p95: o.p95 - b.p95, mean: o.mean - b.mean };
}

/** Over this, a target is missed: cost ours/model over 1, a wait more than the tolerance over the model's. */
const MISS_OVER: Record<BaselineTarget, number> = {
  cost: 1,
  p50: WAIT_TOLERANCE_SEC,
  p95: WAIT_TOLERANCE_SEC,
  mean: WAIT_TOLERANCE_SEC,
};
const BASELINE_TARGETS: readonly BaselineTarget[] = ['cost', 'p50', 'p95', 'mean'];
/** How each target's figure is named in the report. */
const SHOW: Record<BaselineTarget, string> = {
  cost: 'cost ours/model',
  p50: 'p50 ours − model',
  p95: 'p95 ours − model',
  mean: 'mean wait ours − model',
};

/** One family's seeds for one target, where its median seed passes and some seeds miss: those, worst first. */
interface WorstSeedMiss {
  family: Family;
  k: BaselineTarget;
  seeds: number;
  missed: { row: FamilyRow; o: Figures; b: Figures; v: number }[];
}

function worstSeedMisses(rows: readonly FamilyRow[]): WorstSeedMiss[] {
  const out: WorstSeedMiss[] = [];
  for (const family of [...new Set(rows.map((r) => r.family))]) {
    const pairs = rows.flatMap((row) => {
      const o = row.runs[DEFAULT_PREFERENCE];
      const b = row.runs.baseline;
      return row.family === family && o && b ? [{ row, o, b, vs: versusModel(o, b) }] : [];
    });
    for (const k of BASELINE_TARGETS) {
      const missed = pairs
        .filter((p) => p.vs[k] > MISS_OVER[k])
        .map((p) => ({ row: p.row, o: p.o, b: p.b, v: p.vs[k] }))
        .sort((x, y) => y.v - x.v);
      if (missed.length && !(median(pairs.map((p) => p.vs[k])) > MISS_OVER[k]))
        out.push({ family, k, seeds: pairs.length, missed });
    }
  }
  return out;
}

/** Per target, ours against the model under each world seed (cost ours/model, waits ours − model), its own first. */
export type WorldSpread = Record<BaselineTarget, number[]>;

/**
 * For each seed that misses a target its family's median seed passes: ours against the model under WORLD_SEEDS
 * world seeds, the bench's own first (the row's figures: the same seed gives the same run), then the trace re-run
 * (ours at the default preference and the model) under the others. A miss that holds under most draws is the
 * trace's; one that holds under few, the draw's. Keyed by trace name.
 */
export async function worldSeedSpreads(
  benchDir: string,
  rows: readonly FamilyRow[],
  worldSeeds = WORLD_SEEDS,
): Promise<Map<string, WorldSpread>> {
  const out = new Map<string, WorldSpread>();
  for (const miss of worstSeedMisses(rows)) {
    for (const { row, o, b } of miss.missed) {
      if (out.has(row.trace)) continue;
      const runs = [versusModel(o, b)];
      for (let k = 1; k < worldSeeds; k++) {
        const again = await runFamilyTrace(
          benchDir,
          row.family,
          row.seed,
          [DEFAULT_PREFERENCE],
          worldSeedOf(row.seed, k),
        );
        runs.push(versusModel(again.runs[DEFAULT_PREFERENCE]!, again.runs.baseline!));
      }
      out.set(row.trace, {
        cost: runs.map((r) => r.cost),
        p50: runs.map((r) => r.p50),
        p95: runs.map((r) => r.p95),
        mean: runs.map((r) => r.mean),
      });
    }
  }
  return out;
}

/** ", ready 12 vs 17 of 30": the tasks of each run that found a worker ready, where the row counted them. */
function readyOf(row: FamilyRow, ours: Figures, model: Figures): string {
  return ours.startedReady === undefined || model.startedReady === undefined
    ? ''
    : `, ready ${ours.startedReady} vs ${model.startedReady} of ${row.tasks}`;
}

/** How a target's miss moves over world seeds, for the seeds of a miss that have a spread. */
function spreadText(spreads: ReadonlyMap<string, WorldSpread>, traces: readonly string[], k: BaselineTarget): string {
  const shown = traces.flatMap((t) => {
    const d = spreads.get(t)?.[k];
    if (!d?.length) return [];
    return [
      `${t} ${k === 'cost' ? spreadFigures(d, (x) => x.toFixed(2), MISS_OVER.cost, String(MISS_OVER.cost)) : worldSpreadFigures(d)}`,
    ];
  });
  const n = Math.max(0, ...traces.map((t) => spreads.get(t)?.[k].length ?? 0));
  return shown.length ? `The same traces re-run ${worldSeedsPhrase(n, SHOW[k])}: ${shown.join('; ')}.` : '';
}

/**
 * Worst-seed misses against the ClearML model (cost, p50, p95, mean wait) where the median seed passes, each with
 * its seeds and, where understood, a reason. With `benchDir`, heavytail's cost misses also say what the idealised
 * spare-machine policy pays on those seeds, and its cost and mean-wait misses what the idealised keep-idle one does;
 * with `spreads` (worldSeedSpreads), each miss says how it moves with the world's draws.
 */
export function worstSeedLines(
  rows: readonly FamilyRow[],
  benchDir?: string,
  spreads: ReadonlyMap<string, WorldSpread> = new Map(),
): string[] {
  const out: string[] = [];
  for (const { family, k, seeds, missed } of worstSeedMisses(rows)) {
    const fmt = (x: (typeof missed)[number]) =>
      k === 'cost'
        ? `${x.row.trace} ${x.v.toFixed(2)} (launches ${x.o.launches} vs ${x.b.launches})`
        : `${x.row.trace} ${signedSec(x.v)} (${x.o[k].toFixed(1)} vs ${x.b[k].toFixed(1)} s${readyOf(x.row, x.o, x.b)}${k === 'mean' ? `; p95 ${Math.round(x.o.p95)} vs ${Math.round(x.b.p95)} s` : ''})`;
    // What the model's waits were where it did better, counted rather than assumed.
    const modelWaits =
      k === 'cost'
        ? `The model's mean wait is longer than ours on ${missed.filter((x) => x.b.mean > x.o.mean).length} of these ${missed.length} seeds.`
        : k === 'mean' && missed.every((x) => x.b.p95 > x.o.p95)
          ? `The model's p95 is the longer on ${missed.length === 1 ? 'it' : `all ${missed.length}`}: its waits are fewer and longer.`
          : '';
    const spread = spreadText(
      spreads,
      missed.map((x) => x.row.trace),
      k,
    );
    const alt =
      k === 'p50'
        ? latencyAlternative(
            rows,
            family,
            missed.map((x) => x.row.seed),
          )
        : family === 'heavytail' && benchDir
          ? `${
              k === 'cost'
                ? poolAlternative(
                    benchDir,
                    missed.map((x) => x.row),
                  )
                : ''
            } ${keepIdleAlternative(
              benchDir,
              missed.map((x) => x.row),
            )}`
          : '';
    const beyondPoll = missed.filter((x) => x.v > AGENT_DEFAULT_QUEUE_POLL_SEC).map((x) => x.row);
    out.push(
      `- **${family}**, ${SHOW[k]}: ${missed.length} of ${seeds} seeds over ${k === 'cost' ? '1' : `+${WAIT_TOLERANCE_SEC} s`}: ${missed.map(fmt).join(', ')}. ${WORST_WHY[family]?.[k] ?? ''} ${modelWaits} ${spread} ${alt}`
        .replace(/ {2,}/g, ' ')
        .trimEnd(),
    );
    if (k === 'p50' && benchDir && beyondPoll.length)
      out.push(
        ...keepIdleFrontier(
          benchDir,
          rows.filter((r) => r.family === family),
          beyondPoll,
        ),
      );
  }
  return out;
}

/** How many idle machines, and for how many minutes, the keep-idle frontier tries (Infinity: every one). */
const KEEP_COUNTS = [1, 2, Infinity];
const KEEP_IDLE_MIN = [2, 5, 10, 15];

/**
 * For p50 misses beyond one agent poll: the keep-idle frontier (`runKeepIdle`, idealised "keep up to k idle
 * machines for at most m minutes") on every seed of the family, against each trace's bound in machine-seconds:
 * the median cost ratio and share of tasks that found a machine ready, and on each missed seed the p50 against
 * the model's. Then whether any rule of the grid meets both the clairvoyant target and the model's p50 there.
 */
/** A keep-idle rule: up to `keep` idle machines (Infinity: every one), each for at most `idleMin` minutes. */
interface KeepIdleRule {
  keep: number;
  idleMin: number;
}

/** "up to 2 for 5 min", "every idle machine for 15 min"; `long` names the machines ("up to 2 idle machines …"). */
function keepIdleLabel(p: KeepIdleRule, long = false): string {
  return `${p.keep === Infinity ? 'every idle machine' : `up to ${p.keep}${long ? ` idle machine${p.keep > 1 ? 's' : ''}` : ''}`} for ${p.idleMin} min`;
}

/**
 * Every rule of `counts` × `minutes` run with `runKeepIdle` on each row's trace, against its bound in
 * machine-seconds: the rules, and per row (in order) the figures of each rule. The boot draws of rule i on a row
 * come from `mulberry32(row.seed × seedStride + i)`.
 */
function keepIdleRuns(
  benchDir: string,
  rows: readonly FamilyRow[],
  counts: readonly number[],
  minutes: readonly number[],
  seedStride: number,
): { grid: KeepIdleRule[]; perRow: Omit<PoolPoint, 'spare'>[][] } {
  const grid = counts.flatMap((keep) => minutes.map((idleMin) => ({ keep, idleMin })));
  const perRow = rows.map((row) => {
    const { tasks, boundSec } = rowInMachineSeconds(benchDir, row);
    return grid.map(({ keep, idleMin }, i) =>
      figuresOfRun(
        runKeepIdle(tasks, keep, idleMin * 60, row.bootSec, mulberry32(row.seed * seedStride + i)),
        boundSec,
      ),
    );
  });
  return { grid, perRow };
}

export function keepIdleFrontier(benchDir: string, rows: readonly FamilyRow[], missed: readonly FamilyRow[]): string[] {
  const { grid, perRow: seeds } = keepIdleRuns(benchDir, rows, KEEP_COUNTS, KEEP_IDLE_MIN, 100);
  const perSeed = new Map(rows.map((row, k) => [row.trace, seeds[k]!] as const));
  const points = grid.map((g, i) => {
    const behind = missed.map((r) => perSeed.get(r.trace)![i]!.p50 - r.runs.baseline!.p50);
    return {
      ...g,
      ratio: median(seeds.map((x) => x[i]!.ratio)),
      ready: median(seeds.map((x) => x[i]!.ready)),
      behind,
      worst: Math.max(...behind),
    };
  });
  const within = points.filter((p) => p.ratio <= CLAIRVOYANT_COST_TARGET);
  const both = within.filter((p) => p.worst <= WAIT_TOLERANCE_SEC);
  const closest = [...within].sort((a, b) => a.worst - b.worst)[0];
  const maxIdleMin = familyConfig(benchDir, rows[0]!.family).scaling.maxIdleMin;
  const clearml = points.find((p) => p.keep === Infinity && p.idleMin === maxIdleMin);
  const names = missed.map((r) => r.trace);
  const conclusion = both.length
    ? `Within ${CLAIRVOYANT_COST_TARGET} × the bound (median seed), keeping ${keepIdleLabel(both[0]!, true)} also reaches the model's p50 on ${names.join(', ')}: that rule meets both targets here.`
    : [
        closest
          ? `Within ${CLAIRVOYANT_COST_TARGET} × the bound (median seed) the closest of these to the model's p50 on ${names.join(', ')} keeps ${keepIdleLabel(closest, true)} and is still ${signedSec(closest.worst)} behind it${names.length > 1 ? ' on one of them' : ''}`
          : `No rule here stays within ${CLAIRVOYANT_COST_TARGET} × the bound`,
        clearml
          ? `; ClearML's own rule (every idle machine for ${maxIdleMin} min), launching at once, costs ${clearml.ratio.toFixed(2)} × the bound and is over the model's p50 on ${clearml.behind.filter((d) => d > WAIT_TOLERANCE_SEC).length} of these ${names.length} seeds`
          : '',
        `: none of these rules meets both the clairvoyant target and the model's p50 on these seeds.`,
      ].join('');
  return [
    '',
    `  What keeping idle machines can do here, simulated on the same ${rows.length} traces (\`runKeepIdle\` in \`bench/online-bound.ts\`): keep up to k machines idle, each for at most m minutes after it went idle, and launch at once for a task that finds none (ClearML's rule is every idle machine for maxIdleMin), with advantages no engine has: it sees each arrival the instant it happens (no polling, no agent poll) and stops a machine the instant its limit ends; boots drawn from the world's range. Cost and ready share are medians over the seeds; the p50 is on the seeds that miss:`,
    '',
    `  | idle machines kept | cost ÷ bound | tasks that find a machine ready | p50 − model: ${names.join(', ')} |`,
    '  | --- | --- | --- | --- |',
    ...points.map(
      (p) =>
        `  | ${keepIdleLabel(p)} | ${p.ratio.toFixed(3)} | ${Math.round(p.ready * 100)} % | ${p.behind.map((d) => signedSec(d)).join(', ')} |`,
    ),
    '',
    `  ${conclusion}`,
  ];
}

/** The keep-idle rules the heavytail frontier tries: up to k idle machines, each for at most m minutes. */
const ALL_SEEDS_KEEP = [1, 2, 3, Infinity];
const ALL_SEEDS_IDLE_MIN = [2, 3, 5, 10];

/** The waits the family targets compare with the model's, as the keep-idle table names them. */
const WAIT_MEASURES = [
  ['p50', 'p50'],
  ['p95', 'p95'],
  ['mean', 'mean wait'],
] as const;
type WaitKey = (typeof WAIT_MEASURES)[number][0];

/** A keep-idle rule over a family's seeds: its median cost ratio, and each wait − the model's on the median and the worst seed. */
export interface KeepIdlePoint extends KeepIdleRule {
  ratio: number;
  waits: Record<WaitKey, { median: number; worst: number }>;
}

/**
 * The keep-idle frontier (`runKeepIdle`) over every seed of a family whose median seed misses the clairvoyant
 * target, held to the wait targets: per rule, the median cost ratio and its p50, p95 and mean wait against the
 * model's on the median and the worst seed, then what `keepIdleConclusion` draws from them. A policy of this kind
 * stops a surplus machine only once it has idled its limit, so workers freed by their tasks serve arrivals, where
 * `runPool` replaces each spare taken.
 */
export function keepIdleAllSeeds(benchDir: string, rows: readonly FamilyRow[]): string[] {
  const withModel = rows.filter((r) => r.runs.baseline);
  if (!withModel.length) return [];
  const runs = keepIdleRuns(benchDir, withModel, ALL_SEEDS_KEEP, ALL_SEEDS_IDLE_MIN, 1000);
  const points: KeepIdlePoint[] = runs.grid.map((g, i) => {
    const against = (key: WaitKey) => {
      const behind = runs.perRow.map((figures, k) => figures[i]![key] - withModel[k]!.runs.baseline![key]);
      return { median: median(behind), worst: Math.max(...behind) };
    };
    return {
      ...g,
      ratio: median(runs.perRow.map((x) => x[i]!.ratio)),
      waits: { p50: against('p50'), p95: against('p95'), mean: against('mean') },
    };
  });
  const ours = median(withModel.map((r) => r.runs[DEFAULT_PREFERENCE]!.cost / r.clairvoyant.cost));
  return [
    '',
    `  Keeping idle machines instead of replacing every spare taken, on the same ${withModel.length} traces (\`runKeepIdle\` in \`bench/online-bound.ts\`, with the same advantages): keep up to k machines idle, each for at most m minutes after it went idle, and launch at once for a task that finds none. A machine freed by its task then serves the next arrival. Cost is the median over seeds; each wait is this policy's minus the model's, on the median seed / on the worst seed:`,
    '',
    `  | idle machines kept | cost ÷ bound | ${WAIT_MEASURES.map(([, name]) => `${name} − model`).join(' | ')} |`,
    `  | --- | --- | ${WAIT_MEASURES.map(() => '---').join(' | ')} |`,
    ...points.map(
      (p) =>
        `  | ${keepIdleLabel(p)} | ${p.ratio.toFixed(3)} | ${WAIT_MEASURES.map(([key]) => `${signedSec(p.waits[key].median)} / ${signedSec(p.waits[key].worst)}`).join(' | ')} |`,
    ),
    '',
    `  ${keepIdleConclusion(points, ours)}`,
  ];
}

/**
 * What the keep-idle frontier says of the targets: the cheapest rule within the clairvoyant target that matches
 * the model's p50 on the median seed, whether one also does on the worst seed, and the cheapest rule that meets
 * every wait target (p50, p95, mean) on every seed, within the clairvoyant target or not. `ours`: our median ratio.
 */
export function keepIdleConclusion(points: readonly KeepIdlePoint[], ours: number): string {
  const byCost = (a: KeepIdlePoint, b: KeepIdlePoint) => a.ratio - b.ratio;
  const meets = (p: KeepIdlePoint, key: WaitKey, seed: 'median' | 'worst') => p.waits[key][seed] <= WAIT_TOLERANCE_SEC;
  const fits = points.filter((p) => p.ratio <= CLAIRVOYANT_COST_TARGET && meets(p, 'p50', 'median')).sort(byCost);
  const all = fits.filter((p) => meets(p, 'p50', 'worst'));
  const bothP50 = points.filter((p) => meets(p, 'p50', 'median') && meets(p, 'p50', 'worst')).sort(byCost)[0];
  // The worst seed is the worst of each measure: a rule within the tolerance there is within it on every seed.
  const everyWait = points.filter((p) => WAIT_MEASURES.every(([key]) => meets(p, key, 'worst'))).sort(byCost)[0];
  const p50 = !fits.length
    ? `No rule here is within ${CLAIRVOYANT_COST_TARGET} × the bound with the model's p50 on the median seed.`
    : `Within ${CLAIRVOYANT_COST_TARGET} × the bound, keeping ${keepIdleLabel(fits[0]!)} matches the model's p50 on the median seed (${fits[0]!.ratio.toFixed(2)} × the bound, p50 ${signedSec(fits[0]!.waits.p50.median)}), ${
        all.length
          ? `and ${keepIdleLabel(all[0]!)} on the worst seed too.`
          : `but on the worst seed it is ${signedSec(fits[0]!.waits.p50.worst)} behind the model, and no rule within the target is within ${WAIT_TOLERANCE_SEC} s of it there${bothP50 ? ` (the cheapest that is, keeping ${keepIdleLabel(bothP50)}, costs ${bothP50.ratio.toFixed(3)} × the bound)` : ''}.`
      }`;
  const every = `p50, p95 and mean wait no more than ${WAIT_TOLERANCE_SEC} s over the model's on every seed`;
  const held = !everyWait
    ? `No rule here meets every wait target (${every}).`
    : `Held to every wait target (${every}), the cheapest rule here keeps ${keepIdleLabel(everyWait)}, at ${everyWait.ratio.toFixed(3)} × the bound: ${
        everyWait.ratio <= CLAIRVOYANT_COST_TARGET
          ? 'a policy of this kind meets the clairvoyant target and every wait target together here, with the advantages above.'
          : 'even with the advantages above, no rule here meets the clairvoyant target and every wait target together.'
      }`;
  return `${p50} ${held} Ours, an engine that polls every 15 s and learns the rate, is at ${ours.toFixed(2)}.`;
}

/**
 * On the seeds where ours costs more than the model, the cheapest rule of the keep-idle table (`keepIdleAllSeeds`,
 * the same runs) whose p50, p95 and mean wait are all within the tolerance of the model's on that seed, against
 * the model's cost: where it is cheaper, an online policy of that kind beats the model on cost and every wait there.
 */
function keepIdleAlternative(benchDir: string, rows: readonly FamilyRow[]): string {
  const withModel = rows.filter((r) => r.runs.baseline);
  if (!withModel.length) return '';
  const { grid, perRow } = keepIdleRuns(benchDir, withModel, ALL_SEEDS_KEEP, ALL_SEEDS_IDLE_MIN, 1000);
  const seeds = withModel.map((row, k) => {
    const model = row.runs.baseline!;
    const fit = grid
      .map((rule, i) => ({ rule, ...perRow[k]![i]! }))
      .filter((f) => WAIT_MEASURES.every(([key]) => f[key] - model[key] <= WAIT_TOLERANCE_SEC))
      .sort((a, b) => a.ratio - b.ratio)[0];
    return { row, fit, vsModel: fit ? fit.ratio / (model.cost / row.clairvoyant.cost) : null };
  });
  const cheaper = seeds.filter((x) => x.vsModel !== null && x.vsModel < 1);
  const keeping = (rules: KeepIdleRule[]) => {
    const most = Math.max(...rules.map((r) => r.keep));
    return most === Infinity
      ? `keeping idle machines for at most ${Math.max(...rules.map((r) => r.idleMin))} min`
      : `keeping at most ${most} idle machine${most > 1 ? 's' : ''}`;
  };
  const shown = (x: (typeof seeds)[number]) =>
    x.fit
      ? `${x.row.trace} ${x.vsModel!.toFixed(2)} × the model’s cost (${keepIdleLabel(x.fit.rule)})`
      : `${x.row.trace}: no rule of the table`;
  return `Keeping idle machines instead (the rules of the keep-idle table above, the same runs), the cheapest rule whose p50, p95 and mean wait are all within ${WAIT_TOLERANCE_SEC} s of the model’s on each seed: ${seeds.map(shown).join(', ')}. It costs less than the model on ${cheaper.length} of these ${seeds.length} seeds${cheaper.length ? `: there an online policy with the advantages above beats the model on cost and every wait, ${keeping(cheaper.map((x) => x.fit!.rule))} where ours keeps up to what a burst could use` : ''}.`;
}

/**
 * What the latency preference (every idle worker kept while tasks keep coming, as the model keeps them) does on
 * the seeds where balanced's p50 loses: its p50 against the model's there, and what it costs over the family.
 * Empty when latency did not run on those seeds.
 */
function latencyAlternative(rows: readonly FamilyRow[], family: Family, seeds: readonly number[]): string {
  const fr = rows.filter((r) => r.family === family);
  const on = fr.filter((r) => seeds.includes(r.seed) && r.runs.latency && r.runs.baseline);
  if (!on.length) return '';
  const all = fr.flatMap((r) => (r.runs.latency && r.runs.baseline ? [r] : []));
  const vsBound = (v: 'latency' | 'balanced') => median(all.map((r) => r.runs[v]!.cost / r.clairvoyant.cost));
  const overModel = all.filter((r) => costVsBaseline(r.runs.latency!, r.runs.baseline!) > 1).length;
  return `At the latency preference the p50 ours − model on those seeds is ${on.map((r) => `${r.trace} ${signedSec(r.runs.latency!.p50 - r.runs.baseline!.p50)}`).join(', ')}; over the ${all.length} seeds it ran, latency costs a median ${vsBound('latency').toFixed(2)} × the bound (balanced ${vsBound('balanced').toFixed(2)}, target ${CLAIRVOYANT_COST_TARGET}) and more than the model on ${overModel} of them: on this family the worst-seed p50 and the clairvoyant target pull in opposite directions.`;
}

export function limitsSection(
  benchDir: string,
  rows: readonly FamilyRow[],
  spreads: ReadonlyMap<string, WorldSpread> = new Map(),
): string {
  return [clairvoyantLimits(benchDir, rows), worstSeedSection(benchDir, rows, spreads)].filter(Boolean).join('\n\n');
}

function worstSeedSection(
  benchDir: string,
  rows: readonly FamilyRow[],
  spreads: ReadonlyMap<string, WorldSpread>,
): string {
  const lines = worstSeedLines(rows, benchDir, spreads);
  if (!lines.length) return '';
  const ready = rows.some((r) => r.runs.baseline?.startedReady !== undefined)
    ? ` "Ready": the tasks of ours and of the model that found a worker ready (waited at most ${READY_WAIT_SEC} s, one agent poll), of the trace's tasks.`
    : '';
  return [
    '### Where a worst seed loses to the ClearML model, and why',
    '',
    `The median seed passes these; the seeds listed do not (worst first). A wait within ${WAIT_TOLERANCE_SEC} s counts as equal.${ready}`,
    '',
    ...lines,
  ].join('\n');
}

/**
 * What the cost preference pays on the family's seeds where it ran: how near the bound a policy gets that lets tasks
 * wait for their boots, beside what that does to the p50.
 */
function atCostPreference(fr: readonly FamilyRow[], meanBound: ReadonlyMap<FamilyRow, number>): string {
  const rows = fr.filter((r) => r.runs.cost);
  if (!rows.length) return '';
  const ratio = median(rows.map((r) => r.runs.cost!.cost / r.clairvoyant.cost));
  const atMean = median(rows.map((r) => r.runs.cost!.cost / meanBound.get(r)!));
  const p50 = median(rows.map((r) => r.runs.cost!.p50));
  const model = median(rows.flatMap((r) => (r.runs.baseline ? [r.runs.baseline.p50] : [])));
  return `At the cost preference (${rows.length} seeds), which keeps an idle machine only for a task due within a boot and starts none ahead of a task, ours is at ${ratio.toFixed(2)} × the bound (${atMean.toFixed(2)} × the bound with mean boots) with a median p50 of ${Math.round(p50)} s, where the model's is ${Math.round(model)} s.`;
}

/**
 * On a queue whose first task must wait for a boot (nothing is up yet) and whose later ones a pre-warm serves: on how
 * many seeds every task but that first found a worker ready. Empty where the rows did not count ready starts.
 */
export function onlyFirstWaits(rows: readonly FamilyRow[]): string {
  const counted = rows.flatMap((r) => {
    const ready = r.runs[DEFAULT_PREFERENCE]?.startedReady;
    return ready === undefined ? [] : [r.tasks - ready <= 1];
  });
  if (!counted.length) return '';
  return `Every task but the first, which waits for a boot, found its worker ready on ${counted.filter(Boolean).length} of ${counted.length} seeds.`;
}

function clairvoyantLimits(benchDir: string, rows: readonly FamilyRow[]): string {
  const out: string[] = [];
  for (const family of [...new Set(rows.map((r) => r.family))]) {
    const fr = rows.filter((r) => r.family === family && r.runs[DEFAULT_PREFERENCE]);
    const ours = median(fr.map((r) => r.runs[DEFAULT_PREFERENCE]!.cost / r.clairvoyant.cost));
    if (!(ours > CLAIRVOYANT_COST_TARGET)) continue;
    // Each row's bound with mean boots, computed once: the default preference's line and the cost preference's read it.
    const meanBound = new Map(fr.map((r) => [r, boundAtMeanBoot(benchDir, r)]));
    const atMean = median(fr.map((r) => r.runs[DEFAULT_PREFERENCE]!.cost / meanBound.get(r)!));
    const base = median(fr.flatMap((r) => (r.runs.baseline ? [r.runs.baseline.cost / r.clairvoyant.cost] : [])));
    out.push(
      `- **${family}**: ours ÷ bound ${ours.toFixed(2)} (median seed), ÷ the bound with mean boots ${atMean.toFixed(2)}; the ClearML model ${base.toFixed(2)}. ${WHY[family] ?? ''} ${family === 'trickle' ? onlyFirstWaits(fr) : ''} ${atCostPreference(fr, meanBound)}`
        .replace(/ {2,}/g, ' ')
        .trimEnd(),
    );
    if (family === 'trickle') out.push(...trickleFrontier(fr[0]!.bootSec, trickleSeeds(fr)));
    if (family === 'heavytail') out.push(...poolFrontier(benchDir, fr), ...keepIdleAllSeeds(benchDir, fr));
  }
  if (!out.length) return '';
  return [
    '### Where the clairvoyant target is missed, and why',
    '',
    `The target is ours ≤ ${CLAIRVOYANT_COST_TARGET} × the bound on every family's median seed. The bound takes the fastest boot the world can draw (60 s) for every launch so that it stays a lower bound; "the bound with mean boots" is the same bound with every boot at the middle of the world's range, i.e. what knowing the future is worth once boots take as long as they do on average. What is left beyond that is what knowing the arrivals and durations in advance is worth.`,
    '',
    ...out,
  ].join('\n');
}

/** One trickle seed, as the per-trace p95 check needs it: where each task landed around its slot, and the model's p95. */
export interface TrickleSeed {
  seed: number;
  offsetsSec: number[];
  modelP95: number;
}

/** The trickle rows' seeds: offsets read off each seed's trace (task k belongs to slot k), the model's p95 off its row. */
export function trickleSeeds(rows: readonly FamilyRow[]): TrickleSeed[] {
  return rows.flatMap((r) => {
    const model = r.runs.baseline;
    if (!model) return [];
    const at = familyTraceOf(r)
      .tasks.map((t) => t.enqueueAtSec)
      .sort((a, b) => a - b);
    const offsetsSec = at.map((t, k) => t - (TRICKLE.firstSlotSec + k * TRICKLE.periodSec));
    return [{ seed: r.seed, offsetsSec, modelP95: model.p95 }];
  });
}

/**
 * Of the seeds, how many a fixed lead leaves with a p95 over the model's (beyond the 1 s counted as equal), in each
 * of WORLD_SEEDS draws of the boots (each seed's draws its own, the same for every lead).
 */
export function seedsOverModelP95(
  seeds: readonly TrickleSeed[],
  leadSec: number,
  bootSec: { min: number; max: number },
): number[] {
  return Array.from({ length: WORLD_SEEDS }, (_, k) => {
    return seeds.filter((s) => {
      const waits = slotTraceWaits(s.offsetsSec, leadSec, bootSec, mulberry32(worldSeedOf(s.seed, k)));
      return distribution(waits).p95 > s.modelP95 + WAIT_TOLERANCE_SEC;
    }).length;
  });
}

/** "2–4 of 20" (the fewest and the most over the draws), or "3 of 20" when every draw agrees. */
function overText(counts: readonly number[], of: number): string {
  const [fewest, most] = [Math.min(...counts), Math.max(...counts)];
  return `${fewest === most ? fewest : `${fewest}–${most}`} of ${of}`;
}

/**
 * The trickle family's online frontier: for launch leads from pure reaction to "ready for the earliest arrival
 * under the slowest boot", the share of tasks that wait, their mean wait and the least cost ÷ bound; then the
 * longest lead within the clairvoyant target and what it makes tasks wait. With `seeds`, each lead's cost against the
 * bound with mean boots too and the seeds whose p95 it would put over the model's, and what that bound allows.
 */
export function trickleFrontier(bootSec: { min: number; max: number }, seeds: readonly TrickleSeed[] = []): string[] {
  const w: SlotWorld = {
    jitterSec: TRICKLE.jitterSec,
    bootSec,
    durationSec: TRICKLE.durationSec,
    boundBootSec: bootSec.min,
  };
  // The same bound with every boot at the middle of the world's range.
  const wMean: SlotWorld = { ...w, boundBootSec: (bootSec.min + bootSec.max) / 2 };
  const safe = bootSec.max + w.jitterSec;
  const leads = [null, 90, 105, 150, 180, safe];
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  const withSeeds = seeds.length > 0;
  // Launching as each task arrives (no lead) is not a lead `slotTraceWaits` prices: that row shows none.
  const over = (lead: number | null) =>
    lead === null ? ' – |' : ` ${overText(seedsOverModelP95(seeds, lead, bootSec), seeds.length)} |`;
  const line = (p: ReturnType<typeof leadPoint>) =>
    `| ${p.leadSec === null ? 'none: launch when the task arrives' : `${Math.round(p.leadSec)} s`} | ${pct(p.waitShare)} | ${Math.round(p.meanWaitSec)} s | ${p.ratio.toFixed(2)} |` +
    (withSeeds ? ` ${leadPoint(wMean, p.leadSec).ratio.toFixed(2)} |${over(p.leadSec)}` : '');
  const at = leadForRatio(w, CLAIRVOYANT_COST_TARGET);
  const lines = [
    '',
    '  | launched before the slot | tasks that wait for their machine | mean wait for it | least cost ÷ bound |' +
      (withSeeds ? " least cost ÷ the bound with mean boots | seeds whose p95 would be over the model's |" : ''),
    '  | --- | --- | --- | --- |' + (withSeeds ? ' --- | --- |' : ''),
    ...leads.map((l) => `  ${line(leadPoint(w, l))}`),
    '',
    `  Within ${CLAIRVOYANT_COST_TARGET} × the bound a policy must launch at most ${Math.round(at.leadSec ?? 0)} s before the slot, and then ${pct(at.waitShare)} of tasks wait for their machine (mean ${Math.round(at.meanWaitSec)} s), where the baseline's p50 is a few seconds: on this family the clairvoyant target and the p50 target cannot both be met by any policy that does not know the arrivals in advance.`,
  ];
  if (!withSeeds) return lines;
  const atMean = leadForRatio(wMean, CLAIRVOYANT_COST_TARGET);
  // The shortest lead (to the second) that leaves no seed over in any draw: more lead never adds a wait.
  let lo = 0;
  let hi = safe;
  while (hi - lo > 1) {
    const mid = (lo + hi) / 2;
    if (seedsOverModelP95(seeds, mid, bootSec).every((n) => n === 0)) hi = mid;
    else lo = mid;
  }
  const enough = leadPoint(wMean, hi);
  lines.push(
    '',
    `  Against the bound with mean boots the same target allows launching ${Math.round(atMean.leadSec ?? 0)} s before the slot: ${pct(atMean.waitShare)} of tasks wait (mean ${Math.round(atMean.meanWaitSec)} s), which keeps the p50, and the p95 is at the edge. A trace has ${seeds[0]!.offsetsSec.length} tasks, so its p95 lies between its two longest waits, and on some seeds the model's is little more than its first task's boot: one more task that waits puts ours over it. With each seed's own slots and its model's p95, the boots drawn ${WORLD_SEEDS} times and the first task granted no wait (the last column: the fewest and the most seeds over in a draw), launching ${Math.round(atMean.leadSec ?? 0)} s ahead is over the model's p95 on ${overText(seedsOverModelP95(seeds, atMean.leadSec ?? 0, bootSec), seeds.length)} seeds; on none in any draw only from ${Math.round(hi)} s ahead, at ${enough.ratio.toFixed(2)} × the bound with mean boots. That policy knows the slot grid from the first task on; an engine has to learn it (ours serves the first ${MIN_FORECAST_BATCHES} tasks as ClearML does, keeping its worker, until it can forecast) and reads each slot from a fit: against the mean-boots bound the target is not ruled out in principle, only out of an engine's reach in practice.`,
  );
  return lines;
}

/** Spare-machine counts the heavytail frontier shows. */
const POOL_SPARES = [0, 1, 2, 3, 4];

interface PoolPoint {
  spare: number;
  /** Machine-seconds ÷ the bound's. */
  ratio: number;
  /** Waits (s), as the bench's rows measure them. */
  p50: number;
  p95: number;
  mean: number;
  /** Share of tasks that found a machine ready (waited under 1 s). */
  ready: number;
}

/**
 * An idealised policy's run against the trace's bound: cost ratio, wait percentiles and mean, share of tasks that
 * waited under 1 s.
 */
function figuresOfRun(run: PoolRun, boundSec: number): Omit<PoolPoint, 'spare'> {
  const waits = run.waitsSec;
  const d = distribution(waits);
  return {
    ratio: run.machineSec / boundSec,
    p50: d.p50,
    p95: d.p95,
    mean: d.mean,
    ready: waits.filter((w) => w < 1).length / waits.length,
  };
}

/** A trace as the idealised policies take it, and its clairvoyant bound in machine-seconds. */
function machineSecondsOf(trace: Trace, config: Config, bootMinSec: number): { tasks: PoolTask[]; boundSec: number } {
  const boundSec = clairvoyantBound({
    trace,
    config,
    // USD per hour = 3600: the bound's total comes out in machine-seconds.
    price: () => 3600,
    bootSec: bootMinSec,
  }).total;
  return { tasks: trace.tasks.map((t) => ({ atSec: t.enqueueAtSec, durationSec: t.durationSec })), boundSec };
}

/** A family row's trace and its bound in machine-seconds. */
function rowInMachineSeconds(benchDir: string, row: FamilyRow): { tasks: PoolTask[]; boundSec: number } {
  return machineSecondsOf(familyTraceOf(row), familyConfig(benchDir, row.family), row.bootSec.min);
}

/** `runPool` on a trace at each spare count, against that trace's bound in machine-seconds. */
export function poolPoints(
  trace: Trace,
  config: Config,
  bootSec: { min: number; max: number },
  seed: number,
): PoolPoint[] {
  const { tasks, boundSec } = machineSecondsOf(trace, config, bootSec.min);
  return POOL_SPARES.map((spare) => ({
    spare,
    ...figuresOfRun(runPool(tasks, spare, bootSec, mulberry32(seed * 100 + spare)), boundSec),
  }));
}

function poolOnSeed(benchDir: string, row: FamilyRow): PoolPoint[] {
  return poolPoints(familyTraceOf(row), familyConfig(benchDir, row.family), row.bootSec, row.seed);
}

/**
 * What the spare-machine frontier says about the two targets: the most spares within the clairvoyant target and
 * their p50, the fewest whose p50 is within the tolerance of the model's and their cost, and whether the two meet.
 * `where` names what the points are of ("this family", "this trace").
 */
export function poolConclusion(
  points: readonly Pick<PoolPoint, 'spare' | 'ratio' | 'p50'>[],
  modelP50: number,
  modelWhat: string,
  where: string,
): string {
  const within = points.filter((p) => p.ratio <= CLAIRVOYANT_COST_TARGET);
  const fastEnough = points.find((p) => p.p50 <= modelP50 + WAIT_TOLERANCE_SEC);
  const withinText = within.length
    ? `Within ${CLAIRVOYANT_COST_TARGET} × the bound it can keep at most ${within[within.length - 1]!.spare} spare (p50 ${Math.round(within[within.length - 1]!.p50)} s)`
    : `No spare count stays within ${CLAIRVOYANT_COST_TARGET} × the bound`;
  const fastText = fastEnough
    ? `a p50 within ${WAIT_TOLERANCE_SEC} s of the model's (${modelP50.toFixed(1)} s${modelWhat}) needs ${fastEnough.spare} spare, at ${fastEnough.ratio.toFixed(2)} × the bound`
    : `no spare count up to ${POOL_SPARES[POOL_SPARES.length - 1]} brings the p50 within ${WAIT_TOLERANCE_SEC} s of the model's (${modelP50.toFixed(1)} s)`;
  const conflict = !fastEnough || fastEnough.ratio > CLAIRVOYANT_COST_TARGET;
  return `${withinText}; ${fastText}${conflict ? `: for this kind of policy the clairvoyant target and the p50 target cannot both be met on ${where}` : ''}.`;
}

/**
 * The heavytail family's online frontier over its seeds: `runPool` (an idealised "keep k spare machines" policy)
 * for k = 0…4 on each seed's trace, against that trace's bound in machine-seconds; median over seeds of the share
 * of tasks that find a machine ready, the p50 wait and the cost ratio; then what the clairvoyant target allows
 * and what a p50 as low as the model's needs.
 */
export function poolFrontier(benchDir: string, rows: readonly FamilyRow[]): string[] {
  const seeds = rows.map((row) => poolOnSeed(benchDir, row));
  const perSpare = POOL_SPARES.map((spare, i) => ({
    spare,
    ratio: median(seeds.map((x) => x[i]!.ratio)),
    p50: median(seeds.map((x) => x[i]!.p50)),
    ready: median(seeds.map((x) => x[i]!.ready)),
  }));
  const modelP50 = median(rows.flatMap((r) => (r.runs.baseline ? [r.runs.baseline.p50] : [])));
  return [
    '',
    "  What an online policy can do here, simulated on the same 20 traces (`runPool` in `bench/online-bound.ts`): keep k machines idle or booting beyond the busy ones and launch at once for a task that finds none, with advantages no engine has: it sees each arrival the instant it happens (no polling, no agent poll), stops a surplus machine the moment it goes idle and each machine as its last task ends; boots drawn from the world's range. Median over seeds:",
    '',
    '  | spare machines kept | tasks that find a machine ready | p50 wait | cost ÷ bound |',
    '  | --- | --- | --- | --- |',
    ...perSpare.map(
      (p) => `  | ${p.spare} | ${Math.round(p.ready * 100)} % | ${p.p50.toFixed(1)} s | ${p.ratio.toFixed(2)} |`,
    ),
    '',
    `  ${poolConclusion(perSpare, modelP50, ', median seed', 'this family')}`,
  ];
}

/**
 * On the seeds where ours costs more than the model, what the idealised spare-machine policy (`runPool`) pays at
 * the fewest spares whose p50 is within the tolerance of the model's on that seed, against the model's cost: where
 * it pays more too, no policy of that kind beats the model on both cost and p50 there.
 */
function poolAlternative(benchDir: string, rows: readonly FamilyRow[]): string {
  const seeds = rows.flatMap((row) => {
    const model = row.runs.baseline;
    if (!model) return [];
    const fit = poolOnSeed(benchDir, row).find((p) => p.p50 <= model.p50 + WAIT_TOLERANCE_SEC);
    return [{ row, fit, model: model.cost / row.clairvoyant.cost }];
  });
  if (!seeds.length) return '';
  const dearer = seeds.filter((x) => !x.fit || x.fit.ratio > x.model);
  const shown = (x: (typeof seeds)[number]) =>
    x.fit
      ? `${x.row.trace} ${x.fit.ratio.toFixed(2)} vs the model's ${x.model.toFixed(2)} × the bound (${x.fit.spare} spare)`
      : `${x.row.trace}: no spare count up to ${POOL_SPARES[POOL_SPARES.length - 1]} reaches the model's p50`;
  return `The idealised spare-machine policy of the frontier above, at the fewest spares that bring its p50 within ${WAIT_TOLERANCE_SEC} s of the model's on each seed: ${seeds.map(shown).join(', ')}. It costs more than the model on ${dearer.length} of these ${seeds.length} seeds${dearer.length ? ': the model, launching only at its 5-min polls, runs fewer machines and reaches its p50 by letting the other tasks queue behind busy ones' : ''}.`;
}
