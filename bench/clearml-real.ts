/**
 * The command line of the ClearML bench: ClearML's own autoscaler (the real `AutoScaler` + `AWSDriver`) replayed
 * on the bench traces in compressed real time, next to the simulator on the same replay. The run itself (world,
 * process, shared clock) is clearml-real-run.ts, what is replayed clearml-real-replay.ts, the figures
 * clearml-real-figures.ts; the results.md section clearml-real-report.ts.
 *
 *   npm run bench:clearml                                  steady, bursty, diurnal, longtail at 120×
 *   npm run bench:clearml -- --trace bursty [--factor N] [--hours H] [--seed N]
 *
 * Writes bench/clearml-real-results.json (one entry per trace) and prints a table.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clearmlRealSection, RESULTS_JSON, withSection } from './clearml-real-report.js';
import type { RealRunFigures } from './clearml-real-figures.js';
import { replayTrace, simulateSummary } from './clearml-real-replay.js';
import { runClearmlReal, StalledRunError, type RealRunInput } from './clearml-real-run.js';
import { DEFAULT_SEED } from './suite.js';

export type { ClearmlSettings, RealRunFigures } from './clearml-real-figures.js';
export { firstHours, trimLeadingQuiet } from './clearml-real-replay.js';
export {
  clearmlAutoscalerConfig,
  DRIVER_PY,
  DEFAULT_STALL_SEC,
  runClearmlReal,
  StalledRunError,
  venvPython,
  type RealRunInput,
} from './clearml-real-run.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The traces the bundled run replays (mixed needs spot capacity errors through spot requests: see results.md). */
export const DEFAULT_TRACES = ['steady', 'bursty', 'diurnal', 'longtail'] as const;
export const DEFAULT_FACTOR = 120;

/**
 * Re-runs the simulated columns (this app's engine and the model) of every stored real run with the code as it is
 * now, in place in clearml-real-results.json; the measured columns stay as they are. `npm run bench` calls it
 * before it renders results.md, so a change to the engine never leaves stale columns beside the real ones.
 * Returns how many runs it re-simulated.
 */
export async function refreshStoredSimulations(
  onRun: (trace: string, sim: NonNullable<RealRunFigures['sim']>) => void = () => {},
  file: string = RESULTS_JSON,
): Promise<number> {
  if (!existsSync(file)) return 0;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { results?: RealRunFigures[] };
  const results = stored.results ?? [];
  // A run and its as-shipped twin replay the same trace with the same seed: simulate that once.
  const done = new Map<string, NonNullable<RealRunFigures['sim']>>();
  for (const r of results) {
    const key = JSON.stringify([r.trace, r.replayHours ?? null, r.seed]);
    const sim =
      done.get(key) ?? (await simulateSummary({ ...replayTrace(r.trace, r.replayHours ?? null), seed: r.seed }));
    done.set(key, sim);
    r.sim = sim;
    onRun(r.trace, sim);
  }
  writeFileSync(file, `${JSON.stringify({ ...stored, results }, null, 2)}\n`);
  return results.length;
}

/**
 * A run whose Python side stalls (see StalledRunError) is run again once, after printing what its threads were
 * doing, so a rare stall costs one run's time instead of the whole bench; a second stall in a row fails the run.
 */
export async function runOnceRetryingAStall(
  input: RealRunInput,
  run: (input: RealRunInput) => Promise<RealRunFigures> = runClearmlReal,
  report: (message: string) => void = (m) => console.error(m),
): Promise<RealRunFigures> {
  try {
    return await run(input);
  } catch (e) {
    if (!(e instanceof StalledRunError)) throw e;
    report(`${e.message}\n${input.trace.name}: running it again once`);
    return run(input);
  }
}

const USAGE = `usage: npm run bench:clearml [-- options]
  --trace NAME     a bundled trace, or a family trace <family>-<seed> run with that seed (repeatable;
                   default: ${DEFAULT_TRACES.join(', ')})
  --factor N       world seconds per wall second (default ${DEFAULT_FACTOR})
  --hours H        replay only the tasks enqueued in the first H hours
  --seed N         random seed of the world (default ${DEFAULT_SEED}, as npm run bench)
  --as-shipped     run clearml 2.1.12 exactly as shipped (every launch fails: issue #1669), stored as '<trace>/as-shipped'
  --stop-after H   stop after H world hours, finished or not (for --as-shipped, which never finishes)
  --resimulate     only re-run the simulated columns for the stored real runs (after a change to the model)
  --verbose        print ClearML's log lines`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string', multiple: true },
      factor: { type: 'string' },
      hours: { type: 'string' },
      seed: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'as-shipped': { type: 'boolean', default: false },
      resimulate: { type: 'boolean', default: false },
      'stop-after': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const factor = values.factor === undefined ? DEFAULT_FACTOR : Number(values.factor);
  if (!(factor >= 1 && factor <= 1000)) throw new Error(`--factor needs a number between 1 and 1000\n${USAGE}`);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  const hours = values.hours === undefined ? null : Number(values.hours);
  if (hours !== null && !(hours > 0)) throw new Error(`--hours needs a positive number\n${USAGE}`);
  const stopAfter = values['stop-after'] === undefined ? null : Number(values['stop-after']);
  if (stopAfter !== null && !(stopAfter > 0)) throw new Error(`--stop-after needs a positive number\n${USAGE}`);
  const names = values.trace ?? [...DEFAULT_TRACES];
  const previous: RealRunFigures[] = existsSync(RESULTS_JSON)
    ? ((JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as { results?: RealRunFigures[] }).results ?? [])
    : [];
  const key = (r: RealRunFigures) => (r.asShipped ? `${r.trace}/as-shipped` : r.trace);
  const results = new Map(previous.map((r) => [key(r), r]));
  const save = () =>
    writeFileSync(
      RESULTS_JSON,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, results: [...results.values()] }, null, 2)}\n`,
    );
  if (values.resimulate) {
    await refreshStoredSimulations((trace, sim) =>
      console.log(`${trace}: model cost $${sim.model.cost.toFixed(2)}, p95 ${sim.model.waitSec.p95.toFixed(0)} s`),
    );
  }
  for (const name of values.resimulate ? [] : names) {
    const replay = replayTrace(name, hours);
    // A family trace runs with its own seed, as in the family bench, unless --seed says otherwise.
    const runSeed = values.seed === undefined ? (replay.seed ?? seed) : seed;
    console.log(`${name}: ${replay.trace.tasks.length} tasks at ${factor}× ...`);
    const r = await runOnceRetryingAStall({
      trace: replay.trace,
      config: replay.config,
      configName: replay.configName,
      seed: runSeed,
      factor,
      pollSec: replay.pollSec,
      shortened: replay.notes.length ? replay.notes.join('; ') : null,
      asShipped: values['as-shipped'],
      ...(stopAfter !== null ? { maxWorldSec: stopAfter * 3600 } : {}),
      onLog: values.verbose ? (l) => console.log(`  ${l}`) : undefined,
    });
    r.replayHours = hours;
    r.sim = await simulateSummary({ ...replay, seed: runSeed });
    results.set(key(r), r);
    console.log(
      `${name.padEnd(9)} model: cost $${r.sim.model.cost.toFixed(2)}, p50 ${r.sim.model.waitSec.p50.toFixed(0)} s, p95 ${r.sim.model.waitSec.p95.toFixed(0)} s\n` +
        `${name.padEnd(9)} real:  cost $${r.cost.total.toFixed(2)} (ideal $${r.ideal.toFixed(2)}), wait p50 ${r.waitSec.p50.toFixed(0)} s, ` +
        `p95 ${r.waitSec.p95.toFixed(0)} s, mean ${r.waitSec.mean.toFixed(0)} s; ${r.tasks.completed}/${r.tasks.total} done, ` +
        `${r.launches} launches, ${r.launchFailures} failed; ${r.simulatedHours.toFixed(1)} h in ${r.wallSec} s (clock lag ≤ ${r.maxClockLagSec} s)`,
    );
    save();
  }
  const md = path.join(BENCH_DIR, 'results.md');
  if (existsSync(md)) writeFileSync(md, withSection(readFileSync(md, 'utf8'), clearmlRealSection()));
  console.log(`wrote ${path.relative(process.cwd(), RESULTS_JSON)} and the section of bench/results.md`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
