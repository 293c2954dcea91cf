/**
 * ClearML's own autoscaler as a peer in the bench: the real `AutoScaler` + `AWSDriver` from the `clearml` Python
 * package (bench/clearml-real/driver.py) runs, unmodified, against the same simulated world the other two loops
 * run in (ClearML and EC2 emulators, clearml-agent simulated on each instance, the trace fed in at its times),
 * but on a compressed wall clock instead of virtual time: world time runs `factor` times faster than the wall
 * clock while ClearML's loop sleeps, and at wall speed while it works (driver.py's WorldClock; both processes
 * compute the same clock). The figures are computed exactly as the simulator computes them.
 *
 *   npm run bench:clearml                                  steady, bursty, diurnal, longtail at 120×
 *   npm run bench:clearml -- --trace bursty [--factor N] [--hours H] [--seed N]
 *
 * Writes bench/clearml-real-results.json (one entry per trace) and prints a table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Config } from '../shared/config.js';
import { loadSimConfig } from '../electron/engine/sim/config.js';
import {
  costFigures,
  distribution,
  idealCost,
  type CostFigures,
  type Distribution,
} from '../electron/engine/sim/metrics.js';
import { DRAINED_GRACE_MS } from '../electron/engine/sim/driver.js';
import {
  horizonSec,
  makePriceFn,
  resolveBaselinePoll,
  simulate,
  type RunFigures,
} from '../electron/engine/sim/simulate.js';
import { formatTraceIssues, parseTraceText, TraceSchema, type Trace } from '../electron/engine/sim/trace.js';
import { FAMILIES, FAMILY_CONFIG, generateFamilyTrace, type Family } from './gen-traces.js';
import { AWS_KEYS, CLEARML_KEYS, SimWorld } from '../electron/engine/sim/world.js';
import {
  clearmlRealSection,
  RESULTS_JSON,
  withSection,
  type LoopSummary,
  type RealEntry,
} from './clearml-real-report.js';
import { DEFAULT_SEED, SUITE } from './suite.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DRIVER_PY = path.join(BENCH_DIR, 'clearml-real', 'driver.py');
/** The traces the bundled run replays (mixed needs spot capacity errors through spot requests: see results.md). */
export const DEFAULT_TRACES = ['steady', 'bursty', 'diurnal', 'longtail'] as const;
export const DEFAULT_FACTOR = 120;
/** How often the world's clock is brought up to the wall clock (and the agents stepped). */
const STEP_MS = 20;

export interface ClearmlSettings {
  pollingIntervalMin: number;
  maxIdleMin: number;
  maxSpinUpMin: number;
  workersPrefix: string;
}

export interface RealRunFigures {
  trace: string;
  config: string;
  seed: number;
  /** Wall-clock compression: world seconds per wall second. */
  factor: number;
  /** What was replayed, when it is not the whole trace as bundled. */
  shortened: string | null;
  /** True: clearml exactly as shipped (no launch succeeds in 2.1.12); false: with the one-keyword fix. */
  asShipped: boolean;
  settings: ClearmlSettings;
  clearmlPackage: string;
  finished: boolean;
  simulatedHours: number;
  wallSec: number;
  tasks: { total: number; completed: number; neverStarted: number };
  cost: CostFigures;
  ideal: number;
  costRatio: number;
  waitSec: Distribution;
  launches: number;
  terminations: number;
  launchFailures: number;
  restarts: number;
  /** Requests the emulators received from ClearML's code, by endpoint/action. */
  calls: { clearml: Record<string, number>; ec2: Record<string, number> };
  /** The simulator on the same trace and seed (filled in by the command line). */
  sim?: RealEntry['sim'];
  /** `--hours` of the replay, null for the whole trace. */
  replayHours?: number | null;
  /**
   * How far the world fell behind the shared clock's target at worst (timer granularity, load on the machine).
   * ClearML's side waits for the world, so a lag slows the replay down rather than skewing it.
   */
  maxClockLagSec: number;
}

export interface RealRunInput {
  trace: Trace;
  config: Config;
  configName: string;
  seed: number;
  factor: number;
  pollSec: number;
  shortened?: string | null;
  /** Run clearml exactly as shipped, without renaming spin_up_worker's keyword (see driver.py). */
  asShipped?: boolean;
  /** Stop (unfinished) after this much world time; default the simulator's horizon. */
  maxWorldSec?: number;
  /** Called with each line the Python side logs. */
  onLog?: (line: string) => void;
}

export function venvPython(): string {
  const venv = process.env.CTA_VENV ?? path.resolve(BENCH_DIR, '..', '.venv');
  const py = path.join(venv, 'bin', 'python');
  if (!existsSync(py)) throw new Error(`no Python test tooling at ${venv}: run 'bash scripts/python-env.sh' first`);
  return py;
}

/** Our config in ClearML's own autoscaler format (the dict its example script builds from aws_autoscaler.yaml). */
export function clearmlAutoscalerConfig(config: Config, s: ClearmlSettings): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(config.resources)) {
    const placement = r.subnetIds[0]
      ? { subnet_id: r.subnetIds[0] }
      : // ClearML refuses a resource with neither; the first zone of the region stands in for "any".
        { availability_zone: r.availabilityZones[0] ?? `${config.aws.region}a` };
    resources[name] = {
      instance_type: r.instanceType,
      is_spot: r.market === 'spot',
      ami_id: r.amiId,
      ...placement,
      ...(r.keyName ? { key_name: r.keyName } : {}),
      ...(r.securityGroupIds.length ? { security_group_ids: r.securityGroupIds } : {}),
      ...(Object.keys(r.tags).length
        ? {
            tags: Object.entries(r.tags)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
          }
        : {}),
    };
  }
  const queues: Record<string, [string, number][]> = {};
  for (const [q, list] of Object.entries(config.queues)) queues[q] = list.map((e) => [e.resource, e.maxInstances]);
  return {
    hyper_params: {
      cloud_credentials_key: AWS_KEYS.accessKeyId,
      cloud_credentials_secret: AWS_KEYS.secretAccessKey,
      cloud_credentials_region: config.aws.region,
      default_docker_image: '',
      git_user: '',
      git_pass: '',
      max_idle_time_min: s.maxIdleMin,
      polling_interval_time_min: s.pollingIntervalMin,
      max_spin_up_time_min: s.maxSpinUpMin,
      workers_prefix: s.workersPrefix,
    },
    configurations: {
      resource_configurations: resources,
      queues,
      extra_clearml_conf: '',
      extra_vm_bash_script: '',
    },
  };
}

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

function clearmlVersion(py: string): string {
  const r = spawnSync(py, ['-c', 'import clearml; print(clearml.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? `clearml ${r.stdout.trim()}` : 'clearml (version unknown)';
}

/** One trace, real ClearML autoscaler, compressed real time. */
export async function runClearmlReal(input: RealRunInput): Promise<RealRunFigures> {
  const { trace, config, factor } = input;
  const py = venvPython();
  const settings: ClearmlSettings = {
    pollingIntervalMin: input.pollSec / 60,
    maxIdleMin: config.scaling.maxIdleMin,
    maxSpinUpMin: config.scaling.maxSpinUpMin,
    workersPrefix: config.scaling.workersPrefix,
  };
  const price = makePriceFn(trace, config.aws.region);
  const ideal = idealCost(trace, config, price);
  const world = await SimWorld.start({ trace, config, seed: input.seed, price });
  const dir = mkdtempSync(path.join(tmpdir(), 'clearml-real-'));
  const settingsFile = path.join(dir, 'settings.json');
  const clearmlConf = path.join(dir, 'clearml.conf');
  writeFileSync(clearmlConf, '# empty: everything comes from the environment\n');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      config: clearmlAutoscalerConfig(config, settings),
      clock: { virtualStartMs: world.epoch, factor },
      fixKeyword: !input.asShipped,
    }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    CLEARML_CONFIG_FILE: clearmlConf,
    CLEARML_API_HOST: world.clearml.url,
    CLEARML_WEB_HOST: world.clearml.url,
    CLEARML_FILES_HOST: world.clearml.url,
    CLEARML_API_ACCESS_KEY: CLEARML_KEYS.accessKey,
    CLEARML_API_SECRET_KEY: CLEARML_KEYS.secretKey,
    CLEARML_LOG_LEVEL: 'INFO',
    AWS_ENDPOINT_URL_EC2: world.ec2.url,
    AWS_ACCESS_KEY_ID: AWS_KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_KEYS.secretAccessKey,
    AWS_DEFAULT_REGION: config.aws.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONUNBUFFERED: '1',
  };
  const started = performance.now();
  const clearmlCalls0 = { ...world.clearml.calls } as Record<string, number>;
  let proc: ChildProcess | null = null;
  let timer: NodeJS.Timeout | null = null;
  let launchFailures = 0;
  let restarts = 0;
  let tail: string[] = [];
  try {
    proc = spawn(py, [DRIVER_PY, settingsFile], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const child = proc;
    // Writes after the process has gone fail with EPIPE: the exit is handled below, not here.
    child.stdin!.on('error', () => undefined);
    const onLine = (line: string) => {
      if (!line) return;
      if (line.includes('Failed to start new instance')) launchFailures++;
      if (/Error: .*retrying in 15 seconds/.test(line)) restarts++;
      tail.push(line);
      if (tail.length > 200) tail = tail.slice(-100);
      input.onLog?.(line);
    };
    lines(child.stderr!, onLine);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The world's clock, as driver.py's WorldClock computes it: fast from V to VT from wall R, then wall speed.
    let segment = { r: 0, v: world.epoch, vt: world.epoch };
    const worldAt = () => {
      const real = Date.now();
      const fastEnd = segment.r + (segment.vt - segment.v) / factor;
      return real <= fastEnd ? segment.v + (real - segment.r) * factor : segment.vt + (real - fastEnd);
    };
    // Wait for the imports to finish, then start both clocks at the same wall instant.
    await new Promise<void>((resolve, reject) => {
      lines(child.stdout!, (l) => {
        const m = /^clock (\S+) (\S+) (\S+)$/.exec(l.trim());
        if (m) segment = { r: Number(m[1]), v: Number(m[2]), vt: Number(m[3]) };
        else if (l.trim() === 'ready') resolve();
        else onLine(l);
      });
      void exited.then((code) =>
        reject(new Error(`ClearML's autoscaler exited (${code}) before it started:\n${tail.join('\n')}`)),
      );
    });
    const realStart = Date.now() + 50;
    segment = { r: realStart, v: world.epoch, vt: world.epoch };
    child.stdin!.write(`${realStart}\n`);
    const horizonAt = world.epoch + (input.maxWorldSec ?? horizonSec(trace)) * 1000;
    let maxLagMs = 0;
    const outcome = await new Promise<{ finished: boolean }>((resolve, reject) => {
      let drainedSince: number | null = null;
      let stepping = false;
      timer = setInterval(() => {
        if (stepping) return;
        stepping = true;
        try {
          const target = worldAt();
          maxLagMs = Math.max(maxLagMs, target - world.now);
          world.advanceTo(target);
          // The Python side never reads a time past this, so a world that falls behind slows the replay down.
          if (child.stdin!.writable) child.stdin!.write(`world ${world.now}\n`);
          const drained = world.allEnqueued && world.queuedCount() === 0 && world.liveInstanceCount() === 0;
          if (drained && world.allCompleted) return resolve({ finished: true });
          drainedSince = drained ? (drainedSince ?? world.now) : null;
          if (drainedSince !== null && world.now - drainedSince >= DRAINED_GRACE_MS) return resolve({ finished: true });
          if (world.now >= horizonAt) resolve({ finished: false });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        } finally {
          stepping = false;
        }
      }, STEP_MS);
      void exited.then((code) =>
        reject(new Error(`ClearML's autoscaler exited (${code}) during the run:\n${tail.join('\n')}`)),
      );
    });
    const end = world.now;
    const cost = costFigures(world.costInputs(), end);
    const records = [...world.tasks.values()];
    const waits = records.map((t) => ((t.firstStartAt ?? Math.max(end, t.enqueueAt)) - t.enqueueAt) / 1000);
    const instances = world.ec2.instances();
    const clearmlCalls: Record<string, number> = {};
    for (const [k, v] of Object.entries(world.clearml.calls as Record<string, number>)) {
      const d = v - (clearmlCalls0[k] ?? 0);
      if (d > 0 && k !== 'total') clearmlCalls[k] = d;
    }
    return {
      trace: trace.name,
      config: input.configName,
      seed: input.seed,
      factor,
      shortened: input.shortened ?? null,
      asShipped: input.asShipped ?? false,
      settings,
      clearmlPackage: clearmlVersion(py),
      finished: outcome.finished,
      simulatedHours: (end - world.epoch) / 3_600_000,
      wallSec: Number(((performance.now() - started) / 1000).toFixed(1)),
      tasks: {
        total: records.length,
        completed: records.filter((t) => t.completedAt !== null).length,
        neverStarted: records.filter((t) => t.firstStartAt === null).length,
      },
      cost,
      ideal: ideal.total,
      costRatio: ideal.total > 0 ? cost.total / ideal.total : Number.NaN,
      waitSec: distribution(waits),
      launches: instances.length,
      terminations: instances.filter((i) => i.stateReasonCode === 'Client.UserInitiatedShutdown').length,
      launchFailures,
      restarts,
      calls: { clearml: clearmlCalls, ec2: { ...world.ec2.calls.byAction } },
      maxClockLagSec: Number((maxLagMs / 1000).toFixed(1)),
    };
  } finally {
    if (timer) clearInterval(timer);
    if (proc && proc.exitCode === null) {
      const p = proc;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

// ---------------------------------------------------------------- command line

interface Replay {
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
function replayTrace(name: string, hours: number | null): Replay {
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
async function simulateSummary(r: Replay): Promise<RealEntry['sim']> {
  const sim = await simulate({
    config: r.config,
    trace: r.trace,
    seed: r.seed ?? DEFAULT_SEED,
    baselinePoll: { sec: r.pollSec, source: 'the replay' },
  });
  // The model again with every arrival moved by 1–4 min: how much its figures owe to where the arrivals fall on
  // the 5-minute polling grid, which the real loop shifts by its own working time every iteration.
  const phases: LoopSummary[] = [summary(sim.baseline!)];
  for (const shift of PHASE_SHIFTS_SEC) {
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
      shiftsSec: [0, ...PHASE_SHIFTS_SEC],
      cost: range((l) => l.cost),
      p95: range((l) => l.waitSec.p95),
    },
  };
}

const PHASE_SHIFTS_SEC = [60, 120, 180, 240];

function summary(f: RunFigures): LoopSummary {
  return { cost: f.cost.total, waitSec: f.waitSec, launches: f.launches, completed: f.tasks.completed };
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
    // Only the simulator's columns, again, for the stored real runs (after a change to the model).
    for (const r of results.values()) {
      const replay = replayTrace(r.trace, r.replayHours ?? null);
      r.sim = await simulateSummary(replay);
      console.log(
        `${r.trace}: model cost $${r.sim.model.cost.toFixed(2)}, p95 ${r.sim.model.waitSec.p95.toFixed(0)} s`,
      );
    }
    save();
  }
  for (const name of values.resimulate ? [] : names) {
    const replay = replayTrace(name, hours);
    // A family trace runs with its own seed, as in the family bench, unless --seed says otherwise.
    const runSeed = values.seed === undefined ? (replay.seed ?? seed) : seed;
    console.log(`${name}: ${replay.trace.tasks.length} tasks at ${factor}× ...`);
    const r = await runClearmlReal({
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
