/**
 * The generalisation bench: every trace family (gen-traces.ts) over many seeds, each trace run by this app's
 * engine at each `scaling.preference`, by the ClearML baseline model, and priced by the clairvoyant bound. The
 * rows are plain figures; families-report.ts turns them into distributions, targets and charts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PREFERENCES, type Config, type Preference } from '../shared/config.js';
import { clairvoyantBound } from '../electron/engine/sim/clairvoyant.js';
import { loadSimConfig } from '../electron/engine/sim/config.js';
import { makePriceFn, resolveBaselinePoll, simulate, type RunFigures } from '../electron/engine/sim/simulate.js';
import { DEFAULT_BOOT_SEC, formatTraceIssues, TraceSchema, traceIssues } from '../electron/engine/sim/trace.js';
import { FAMILIES, FAMILY_CONFIG, generateFamilyTrace, type Family } from './gen-traces.js';
import { WAIT_SLACK_SEC } from './suite.js';

export { PREFERENCES, type Preference };
export const DEFAULT_PREFERENCE: Preference = 'balanced';
export type Variant = Preference | 'baseline';

export interface Figures {
  cost: number;
  /** Cost per hour of completed task work (fair when runs complete different numbers of tasks). */
  costPerTaskHour: number;
  completed: number;
  /** Tasks that found a worker ready (READY_WAIT_SEC); absent from rows written before it was counted. */
  startedReady?: number;
  p50: number;
  p95: number;
  mean: number;
  idleShare: number;
  launches: number;
}

export interface FamilyRow {
  family: Family;
  seed: number;
  trace: string;
  tasks: number;
  taskHours: number;
  /** Boot p95 + our polling interval + 10 s. */
  waitTargetSec: number;
  bootSec: { min: number; max: number };
  clairvoyant: { cost: number; p50: number; p95: number; mean: number; capWaited: number; launches: number };
  runs: Partial<Record<Variant, Figures>>;
}

const num = z.number().finite();
const FiguresSchema = z.strictObject({
  cost: num,
  costPerTaskHour: num,
  completed: num,
  startedReady: num.optional(),
  p50: num,
  p95: num,
  mean: num,
  idleShare: num,
  launches: num,
});
/** A shard's rows file, as `--families --out` writes it; `--render` reads it back. */
const FamilyRowsSchema: z.ZodType<FamilyRow[]> = z.array(
  z.strictObject({
    family: z.enum(FAMILIES),
    seed: z.number().int().min(0),
    trace: z.string(),
    tasks: num,
    taskHours: num,
    waitTargetSec: num,
    bootSec: z.strictObject({ min: num, max: num }),
    clairvoyant: z.strictObject({ cost: num, p50: num, p95: num, mean: num, capWaited: num, launches: num }),
    runs: z.strictObject({
      cost: FiguresSchema.optional(),
      balanced: FiguresSchema.optional(),
      latency: FiguresSchema.optional(),
      baseline: FiguresSchema.optional(),
    }),
  }),
);

/** A rows file's text → rows, or what is wrong with it (JSON syntax or shape, each at its path). */
export function parseFamilyRows(text: string): { ok: true; rows: FamilyRow[] } | { ok: false; issues: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: `  (file): not valid JSON: ${(e as Error).message}` };
  }
  const r = FamilyRowsSchema.safeParse(value);
  return r.success ? { ok: true, rows: r.data } : { ok: false, issues: formatTraceIssues(traceIssues(r.error)) };
}

function figures(r: RunFigures): Figures {
  return {
    cost: r.cost.total,
    costPerTaskHour: r.costPerCompletedTaskHour,
    completed: r.tasks.completed,
    startedReady: r.tasks.startedReady,
    p50: r.waitSec.p50,
    p95: r.waitSec.p95,
    mean: r.waitSec.mean,
    idleShare: r.cost.idleShare,
    launches: r.launches,
  };
}

const configCache = new Map<string, Config>();
export function familyConfig(benchDir: string, family: Family): Config {
  const file = FAMILY_CONFIG[family];
  let c = configCache.get(file);
  if (!c) {
    c = loadSimConfig(readFileSync(path.join(benchDir, 'configs', file), 'utf8'), file).config;
    configCache.set(file, c);
  }
  return c;
}

export async function runFamilyTrace(
  benchDir: string,
  family: Family,
  seed: number,
  preferences: readonly Preference[],
  /** The simulated world's seed (boot draws, agent poll phases); default `seed`, the trace's. */
  worldSeed = seed,
): Promise<FamilyRow> {
  const trace = TraceSchema.parse(generateFamilyTrace(family, seed));
  const config = familyConfig(benchDir, family);
  const boot = trace.bootSec ?? DEFAULT_BOOT_SEC;
  const bound = clairvoyantBound({
    trace,
    config,
    price: makePriceFn(trace, config.aws.region),
    bootSec: boot.min,
  });
  const row: FamilyRow = {
    family,
    seed,
    trace: trace.name,
    tasks: trace.tasks.length,
    taskHours: trace.tasks.reduce((s, t) => s + t.durationSec, 0) / 3600,
    waitTargetSec: boot.min + 0.95 * (boot.max - boot.min) + config.scaling.pollingIntervalSec + WAIT_SLACK_SEC,
    bootSec: { min: boot.min, max: boot.max },
    clairvoyant: {
      cost: bound.total,
      p50: bound.waitSec.p50,
      p95: bound.waitSec.p95,
      mean: bound.waitSec.mean,
      capWaited: bound.capWaited,
      launches: bound.launches,
    },
    runs: {},
  };
  for (const pref of preferences) {
    const withBaseline = pref === DEFAULT_PREFERENCE;
    const r = await simulate({
      config: { ...config, scaling: { ...config.scaling, preference: pref } },
      trace,
      seed: worldSeed,
      baselinePoll: resolveBaselinePoll(trace),
      loops: withBaseline ? ['ours', 'baseline'] : ['ours'],
    });
    row.runs[pref] = figures(r.ours!);
    if (r.baseline) row.runs.baseline = figures(r.baseline);
  }
  return row;
}

export interface FamilyRunOptions {
  families: readonly Family[];
  seeds: readonly number[];
  /** Preferences beyond the default run on the first `otherPreferenceSeeds` seeds only (runtime). */
  otherPreferenceSeeds: number;
  onRow?: (row: FamilyRow, elapsedSec: number) => void;
}

export async function runFamilies(benchDir: string, o: FamilyRunOptions): Promise<FamilyRow[]> {
  const started = performance.now();
  const rows: FamilyRow[] = [];
  for (const [i, seed] of o.seeds.entries()) {
    for (const family of o.families) {
      const prefs = i < o.otherPreferenceSeeds ? PREFERENCES : [DEFAULT_PREFERENCE];
      const row = await runFamilyTrace(benchDir, family, seed, prefs);
      rows.push(row);
      o.onRow?.(row, (performance.now() - started) / 1000);
    }
  }
  return rows;
}

export { FAMILIES };
