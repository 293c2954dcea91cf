/**
 * What the ClearML bench replays: a bundled or family trace, optionally cut to its first hours and without its
 * quiet start, and the simulator run on exactly that replay so the columns compare like with like.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../shared/config.js';
import { loadSimConfig } from '../electron/engine/sim/config.js';
import { resolveBaselinePoll, simulate, type RunFigures } from '../electron/engine/sim/simulate.js';
import { formatTraceIssues, parseTraceText, TraceSchema, type Trace } from '../electron/engine/sim/trace.js';
import { FAMILIES, FAMILY_CONFIG, generateFamilyTrace, type Family } from './gen-traces.js';
import type { LoopSummary, RealEntry } from './clearml-real-report.js';
import { DEFAULT_SEED, SUITE } from './suite.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Moves a trace's quiet start (nights) out of the replay: every time shifts by whole polling intervals. */
export function trimLeadingQuiet(trace: Trace, pollSec: number): { trace: Trace; shiftSec: number } {
  const first = Math.min(...trace.tasks.map((t) => t.enqueueAtSec));
  const shiftSec = Math.max(0, Math.floor((first - 60) / pollSec) * pollSec);
  if (shiftSec === 0) return { trace, shiftSec };
  return {
    shiftSec,
    trace: {
      ...trace,
      tasks: trace.tasks.map((t) => ({ ...t, enqueueAtSec: t.enqueueAtSec - shiftSec })),
      ...(trace.capacityErrors
        ? {
            capacityErrors: trace.capacityErrors.map((w) => ({
              ...w,
              fromSec: Math.max(0, w.fromSec - shiftSec),
              toSec: Math.max(0, w.toSec - shiftSec),
            })),
          }
        : {}),
    },
  };
}

/** Keeps the tasks enqueued in the first `hours` of a trace. */
export function firstHours(trace: Trace, hours: number): Trace {
  return { ...trace, tasks: trace.tasks.filter((t) => t.enqueueAtSec < hours * 3600) };
}

export interface Replay {
  trace: Trace;
  config: Config;
  configName: string;
  pollSec: number;
  notes: string[];
  seed?: number;
}

/**
 * A bundled trace, or a family trace named `<family>-<seed>` (generated as the family bench does, run with that
 * seed), as replayed: optionally its first hours only, its quiet start cut.
 */
export function replayTrace(name: string, hours: number | null): Replay {
  const fam = /^([a-z]+)-(\d+)$/.exec(name);
  const family = fam && (FAMILIES as readonly string[]).includes(fam[1]!) ? (fam[1] as Family) : null;
  const entry = family ? { trace: name, config: FAMILY_CONFIG[family] } : SUITE.find((e) => e.trace === `${name}.json`);
  if (!entry)
    throw new Error(
      `no bundled trace '${name}' (bundled: ${SUITE.map((e) => e.trace).join(', ')}; or a family trace <family>-<seed>, families ${FAMILIES.join(', ')})`,
    );
  const parsed = family
    ? { ok: true as const, trace: TraceSchema.parse(generateFamilyTrace(family, Number(fam![2]))) }
    : parseTraceText(readFileSync(path.join(BENCH_DIR, 'traces', entry.trace), 'utf8'));
  if (!parsed.ok) throw new Error(`bench/traces/${entry.trace}:\n${formatTraceIssues(parsed.issues)}`);
  const cfg = loadSimConfig(readFileSync(path.join(BENCH_DIR, 'configs', entry.config), 'utf8'));
  const poll = resolveBaselinePoll(parsed.trace, { clearmlConfigPollSec: cfg.clearmlPollSec });
  let trace = parsed.trace;
  const notes: string[] = [];
  if (hours !== null) {
    trace = firstHours(trace, hours);
    notes.push(`the tasks enqueued in the first ${hours} h (${trace.tasks.length} of ${parsed.trace.tasks.length})`);
  }
  const trimmed = trimLeadingQuiet(trace, poll.sec);
  if (trimmed.shiftSec > 0) {
    trace = trimmed.trace;
    notes.push(`the quiet first ${(trimmed.shiftSec / 3600).toFixed(2)} h cut (whole polling intervals)`);
  }
  return {
    trace,
    config: cfg.config,
    configName: entry.config,
    pollSec: poll.sec,
    notes,
    ...(family ? { seed: Number(fam![2]) } : {}),
  };
}

/** This app's engine and the model, simulated on exactly the replayed trace, so the columns compare like with like. */
export async function simulateSummary(r: Replay): Promise<RealEntry['sim']> {
  const sim = await simulate({
    config: r.config,
    trace: r.trace,
    seed: r.seed ?? DEFAULT_SEED,
    baselinePoll: { sec: r.pollSec, source: 'the replay' },
  });
  // The model again with every arrival moved by each tenth of the polling interval: how much its figures owe to
  // where the arrivals fall on the polling grid, which the real loop shifts by its own working time every
  // iteration, by a different amount before each burst.
  const shifts = phaseShiftsSec(r.pollSec);
  const phases: LoopSummary[] = [summary(sim.baseline!)];
  for (const shift of shifts.slice(1)) {
    const shifted = { ...r.trace, tasks: r.trace.tasks.map((t) => ({ ...t, enqueueAtSec: t.enqueueAtSec + shift })) };
    const p = await simulate({
      config: r.config,
      trace: shifted,
      seed: r.seed ?? DEFAULT_SEED,
      baselinePoll: { sec: r.pollSec, source: 'the replay' },
      loops: ['baseline'],
    });
    phases.push(summary(p.baseline!));
  }
  const range = (f: (l: LoopSummary) => number): [number, number] => [
    Math.min(...phases.map(f)),
    Math.max(...phases.map(f)),
  ];
  return {
    ours: summary(sim.ours!),
    model: summary(sim.baseline!),
    modelPhaseRange: {
      shiftsSec: shifts,
      cost: range((l) => l.cost),
      p95: range((l) => l.waitSec.p95),
    },
  };
}

/**
 * 0 and every tenth of the polling interval after it. Whole-minute shifts of a 5-minute grid undersold the spread:
 * on longtail they gave the model a p95 of 115–146 s, where shifts in 20 s steps reach 97 s and 197 s.
 */
export function phaseShiftsSec(pollSec: number): number[] {
  return Array.from({ length: PHASES }, (_, i) => Math.round((i * pollSec) / PHASES));
}

const PHASES = 10;

function summary(f: RunFigures): LoopSummary {
  return { cost: f.cost.total, waitSec: f.waitSec, launches: f.launches, completed: f.tasks.completed };
}
