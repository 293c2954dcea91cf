/**
 * ClearML's own autoscaler as a peer in the bench: the real `AutoScaler` + `AWSDriver` from the `clearml` Python
 * package (bench/clearml-real/driver.py) runs, unmodified, against the same simulated world the other two loops
 * run in (ClearML and EC2 emulators, clearml-agent simulated on each instance, the trace fed in at its times),
 * but on a compressed wall clock instead of virtual time: world time runs `factor` times faster than the wall
 * clock while ClearML's loop sleeps, and at wall speed while it works (driver.py's WorldClock; both processes
 * compute the same clock). This module wires the world, the Python process and the shared clock for one run;
 * the figures are computed exactly as the simulator computes them (clearml-real-figures.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Config } from '../shared/config.js';
import { idealCost } from '../electron/engine/sim/metrics.js';
import { DRAINED_GRACE_MS } from '../electron/engine/sim/driver.js';
import { horizonSec, makePriceFn } from '../electron/engine/sim/simulate.js';
import type { Trace } from '../electron/engine/sim/trace.js';
import { AWS_KEYS, CLEARML_KEYS, SimWorld } from '../electron/engine/sim/world.js';
import { measureRun, type ClearmlSettings, type RealRunFigures } from './clearml-real-figures.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DRIVER_PY = path.join(BENCH_DIR, 'clearml-real', 'driver.py');
/** How often the world's clock is brought up to the wall clock (and the agents stepped). */
const STEP_MS = 20;
/**
 * How long ClearML's main thread may work without sleeping before the run counts as stalled. Between two of its
 * sleeps it only makes HTTP calls to the local emulators (well under a second each); a thread blocked for good
 * would otherwise let the world run on at wall speed, an hour of replay per wall hour, with nothing to say why.
 */
export const DEFAULT_STALL_SEC = 120;

/** ClearML's main thread did not sleep for `stallSec` of wall time: what its threads were doing is in `threads`. */
export class StalledRunError extends Error {
  constructor(
    readonly stallSec: number,
    readonly worldSec: number,
    readonly threads: string,
    logTail: string,
    /** Both sides' view of the shared clock when the stall was noticed. */
    readonly clocks = '',
  ) {
    super(
      `ClearML's autoscaler stalled: its main thread has not slept for ${stallSec} s of wall time ` +
        `(${worldSec.toFixed(0)} s into the replay). Its threads, as Python's faulthandler dumped them:\n` +
        `${threads || '(no dump: the process did not answer SIGUSR1)'}\n` +
        (clocks ? `The shared clock (ms epoch):\n${clocks}\n` : '') +
        `Last log lines:\n${logTail}`,
    );
    this.name = 'StalledRunError';
  }
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
  /** Wall seconds ClearML's main thread may work without sleeping before the run fails (default 120). */
  stallSec?: number;
  /** Called with the world before ClearML starts (tests inject emulator faults here). */
  beforeStart?: (world: SimWorld) => void;
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
  input.beforeStart?.(world);
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
  // Python's faulthandler dump (on SIGUSR1) goes to stderr: "Thread 0x… (most recent call first):" and its frames.
  let threadDump: string[] | null = null;
  // Its view of the shared clock (asked for on stdin), and what this side read and sent of it.
  let pythonClock: string | null = null;
  let clockLines = 0;
  let lastSent: number | null = null;
  try {
    // fd 3: driver.py's side of the clock protocol, on a pipe of its own (ClearML logs to stdout from several
    // threads, and a line there can be cut in two by theirs: a lost `clock` line stalled the replay).
    proc = spawn(py, [DRIVER_PY, settingsFile], { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const child = proc;
    // Writes after the process has gone fail with EPIPE: the exit is handled below, not here.
    child.stdin!.on('error', () => undefined);
    const onLine = (line: string) => {
      if (!line) return;
      if (line.startsWith('clock-state ')) {
        pythonClock = line;
        return;
      }
      if (threadDump && /^(Thread 0x|Current thread 0x| {2}File | {2}<)/.test(line)) {
        threadDump.push(line);
        return;
      }
      if (line.includes('Failed to start new instance')) launchFailures++;
      if (/Error: .*retrying in 15 seconds/.test(line)) restarts++;
      tail.push(line);
      if (tail.length > 200) tail = tail.slice(-100);
      input.onLog?.(line);
    };
    lines(child.stdout!, onLine);
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
      lines(child.stdio[3] as Readable, (l) => {
        const m = /^clock (\S+) (\S+) (\S+)$/.exec(l);
        if (m) {
          segment = { r: Number(m[1]), v: Number(m[2]), vt: Number(m[3]) };
          clockLines++;
        } else if (l === 'ready') resolve();
        else onLine(`(control pipe, not understood) ${l}`);
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
    const stallMs = (input.stallSec ?? DEFAULT_STALL_SEC) * 1000;
    // Wall time at which ClearML's main thread left its last sleep (the world reached that segment's end);
    // null while it sleeps. A new `clock` line means it began another.
    let workingSince: number | null = null;
    let segmentsSeen = segment;
    /** The error for a stalled run, with what each side knows of the shared clock and Python's stacks. */
    const stalled = async (): Promise<StalledRunError> => {
      const stdin = child.stdin!;
      const node =
        `this side: world ${world.now}, segment ${segment.r} ${segment.v} ${segment.vt}, ` +
        `${clockLines} clock lines read, last world sent ${lastSent ?? 'none'}, stdin ` +
        `${stdin.writable ? 'open' : 'closed'} with ${stdin.writableLength} bytes queued, wall ${Date.now()}`;
      // Answered by Python's clock thread, which reads stdin: no answer means it stopped reading. Asked before the
      // stack dump, which writes to the same stderr and would cut the answer's line.
      if (stdin.writable) stdin.write('report\n');
      for (let waited = 0; waited < 2000 && pythonClock === null; waited += 50) await delay(50);
      const dump = await dumpThreads(child, (d) => (threadDump = d));
      const python = pythonClock ?? '(no answer: its clock thread did not read the request on stdin)';
      return new StalledRunError(
        stallMs / 1000,
        (world.now - world.epoch) / 1000,
        dump,
        tail.slice(-20).join('\n'),
        `${node}\nPython: ${python}`,
      );
    };
    const outcome = await new Promise<{ finished: boolean }>((resolve, reject) => {
      let drainedSince: number | null = null;
      let stepping = false;
      timer = setInterval(() => {
        if (stepping) return;
        stepping = true;
        try {
          if (segment !== segmentsSeen) {
            segmentsSeen = segment;
            workingSince = null;
          }
          if (workingSince === null && world.now >= segment.vt) workingSince = Date.now();
          if (workingSince !== null && Date.now() - workingSince >= stallMs) {
            clearInterval(timer!);
            void stalled().then(reject);
            return;
          }
          const target = worldAt();
          maxLagMs = Math.max(maxLagMs, target - world.now);
          world.advanceTo(target);
          // The Python side never reads a time past this, so a world that falls behind slows the replay down.
          if (child.stdin!.writable) {
            child.stdin!.write(`world ${world.now}\n`);
            lastSent = world.now;
          }
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
    return measureRun(world, {
      trace,
      configName: input.configName,
      seed: input.seed,
      factor,
      shortened: input.shortened ?? null,
      asShipped: input.asShipped ?? false,
      settings,
      clearmlPackage: clearmlVersion(py),
      finished: outcome.finished,
      started,
      idealTotal: ideal.total,
      clearmlCalls0,
      launchFailures,
      restarts,
      maxLagMs,
    });
  } finally {
    if (timer) clearInterval(timer);
    if (proc && proc.exitCode === null) {
      const p = proc;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGTERM');
      await Promise.race([gone, delay(3000)]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Asks the Python side for every thread's stack (driver.py registers faulthandler on SIGUSR1) and collects the
 * dump from stderr until it has been quiet for a moment.
 */
async function dumpThreads(child: ChildProcess, collect: (into: string[]) => void): Promise<string> {
  const into: string[] = [];
  collect(into);
  if (child.exitCode !== null || !child.kill('SIGUSR1')) return '';
  let seen = -1;
  for (let waited = 0; waited < 5000 && (into.length === 0 || into.length !== seen); waited += 250) {
    seen = into.length;
    await delay(250);
  }
  return into.join('\n');
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
