/**
 * ClearML's own autoscaler (clearml's AutoScaler + AWSDriver, from the pinned Python package) against our
 * emulators, through the bench's runner: boto3 reaches the EC2 emulator through AWS_ENDPOINT_URL_EC2, ClearML's
 * APIClient the ClearML emulator, and the instances it launches boot simulated agents from ClearML's own startup
 * script. Tiny traces on a compressed clock: one task, one launch, one idle spin-down; and the stall a terminated
 * worker causes, which the model must show as the real code does and this app's engine must not.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DRIVER_PY, runClearmlReal, StalledRunError, venvPython } from '../../bench/clearml-real.js';
import { loadSimConfig } from '../../electron/engine/sim/config.js';
import { simulate } from '../../electron/engine/sim/simulate.js';
import type { Trace } from '../../electron/engine/sim/trace.js';

const CONFIG = `
clearml:
  apiHost: https://clearml-api.example.com
aws:
  region: us-east-1
resources:
  gpu_t4:
    instanceType: g4dn.xlarge
    market: spot
    amiId: ami-0123456789abcdef0
queues:
  gpu:
    - resource: gpu_t4
      maxInstances: 3
scaling:
  maxIdleMin: 2
`;

const TRACE: Trace = {
  name: 'tiny',
  tasks: [{ id: 'tiny-1', queue: 'gpu', enqueueAtSec: 20, durationSec: 120 }],
  bootSec: { min: 30, max: 40 },
};

/**
 * A terminated worker that still counts as idle. 'short' and 'long' start on two instances at the first poll;
 * short's instance goes idle and ClearML terminates it 2 min later, without `workers.unregister`, so the server
 * keeps listing the worker, idle, for 600 s after its last report. 'late' arrives inside that window.
 */
const STALL: Trace = {
  name: 'stall',
  tasks: [
    { id: 'long', queue: 'gpu', enqueueAtSec: 20, durationSec: 40 * 60 },
    { id: 'short', queue: 'gpu', enqueueAtSec: 20, durationSec: 60 },
    { id: 'late', queue: 'gpu', enqueueAtSec: 600, durationSec: 60 },
  ],
  bootSec: { min: 30, max: 40 },
};

/** A trace under ClearML's real autoscaler, polling every minute, 60× faster than the wall clock. */
const run = (o: {
  maxWorldSec: number;
  asShipped?: boolean;
  trace?: Trace;
  stallSec?: number;
  beforeStart?: Parameters<typeof runClearmlReal>[0]['beforeStart'];
}) =>
  runClearmlReal({
    ...o,
    config: loadSimConfig(CONFIG).config,
    configName: 'conformance',
    seed: 1,
    factor: 60,
    pollSec: 60,
    trace: o.trace ?? TRACE,
  });

describe("ClearML's AutoScaler against our emulators", () => {
  it('launches a spot instance for the pending task, its agent runs it, and the idle instance is terminated', async () => {
    const today = () => new Date().toISOString().slice(0, 10);
    const before = today();
    const r = await run({ maxWorldSec: 30 * 60 });
    expect(r.finished).toBe(true);
    expect(r.launchFailures).toBe(0);
    expect(r.launches).toBe(1);
    expect(r.tasks).toEqual({ total: 1, completed: 1, neverStarted: 0 });
    // Found at the first poll after the enqueue (60 s), then launch + boot (30–40 s).
    expect(r.waitSec.max).toBeGreaterThan(30);
    expect(r.waitSec.max).toBeLessThan(5 * 60);
    // Terminated by ClearML's idle spin-down, not by the instance itself.
    expect(r.terminations).toBe(1);
    expect([before, today()]).toContain(r.measuredOn);
    expect(r.calls.ec2['RequestSpotInstances']).toBe(1);
    expect(r.calls.ec2['DescribeSpotInstanceRequests']).toBeGreaterThanOrEqual(2);
    expect(r.calls.ec2['DescribeInstances']).toBeGreaterThanOrEqual(1);
    expect(r.calls.ec2['TerminateInstances']).toBeGreaterThanOrEqual(1);
    expect(r.calls.ec2['GetConsoleOutput']).toBeGreaterThanOrEqual(1);
    for (const endpoint of ['auth.login', 'queues.get_all', 'queues.get_by_id', 'workers.get_all'])
      expect(r.calls.clearml[endpoint], endpoint).toBeGreaterThanOrEqual(1);
  });

  it('as shipped (clearml 2.1.12), every launch fails on the spin_up_worker keyword mismatch (issue #1669)', async () => {
    const r = await run({ asShipped: true, maxWorldSec: 4 * 60 });
    expect(r.launches).toBe(0);
    expect(r.launchFailures).toBeGreaterThanOrEqual(2);
    expect(r.tasks.neverStarted).toBe(1);
  });

  it('a terminated worker still counts as idle: the next task waits for a busy one instead of a launch, as the model says', async () => {
    const r = await run({ trace: STALL, maxWorldSec: 60 * 60 });
    expect(r.finished).toBe(true);
    expect(r.tasks.completed).toBe(3);
    // Two launches at the first poll and none for 'late': the listed, terminated worker is counted as free capacity
    // (and kept from spin-down while a task waits), so 'late' starts only when 'long' ends, about half an hour after it arrived.
    expect(r.launches).toBe(2);
    expect(r.waitSec.max).toBeGreaterThan(25 * 60);
    // The model of ClearML's loop and this app's engine on the same trace and seed.
    const sim = await simulate({
      config: loadSimConfig(CONFIG).config,
      trace: STALL,
      seed: 1,
      baselinePoll: { sec: 60, source: 'the test' },
    });
    expect(sim.baseline!.launches).toBe(2);
    expect(sim.baseline!.waitSec.max).toBeGreaterThan(25 * 60);
    expect(Math.abs(sim.baseline!.waitSec.max - r.waitSec.max)).toBeLessThan(3 * 60);
    // The engine counts only workers whose instance EC2 still runs: 'late' gets an instance of its own.
    expect(sim.ours!.launches).toBe(3);
    expect(sim.ours!.waitSec.max).toBeLessThan(3 * 60);
  });

  it('a run whose main thread stops sleeping fails with what its threads were doing, not at wall speed for hours', async () => {
    // workers.get_all never answers: ClearML's session waits up to 5 min for each try, outside its loop's sleeps.
    const stalled = run({
      maxWorldSec: 30 * 60,
      stallSec: 5,
      beforeStart: (world) => world.clearml.faults.inject({ hang: true, count: 100, endpoint: 'workers.get_all' }),
    });
    const e = await stalled.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StalledRunError);
    const err = e as StalledRunError;
    expect(err.stallSec).toBe(5);
    // The main thread's stack, from the loop down to the socket read it is blocked in.
    expect(err.threads).toMatch(/auto_scaler\.py", line \d+ in /);
    expect(err.threads).toMatch(/socket\.py", line \d+ in readinto/);
    expect(err.message).toContain('has not slept for 5 s');
    // Both sides' view of the shared clock, to tell which side of it stopped.
    expect(err.clocks).toMatch(/^this side: world \d+, segment \d+ \d+ \d+, 0 clock lines read, .*stdin open/);
    expect(err.clocks).toMatch(/\nPython: clock-state world \d+\.\d+ segment [\d.]+ [\d.]+ [\d.]+ wall [\d.]+$/);
  });

  it("the clock lines reach the bench whole while ClearML's threads log to stdout", async () => {
    // driver.py's clock, its main thread sleeping 0 s (a clock line each) 3,000 times while four threads log
    // through a stdout handler as ClearML's console-log threads do. On stdout, print()'s line and its newline are
    // two writes, and another thread's line often landed between them (in 12–15 % of the lines when measured
    // with print(); a lost clock line stalled a replay); the control pipe (fd 3) carries them alone.
    const script = [
      'import importlib.util, logging, sys, threading, time',
      `spec = importlib.util.spec_from_file_location("driver", ${JSON.stringify(DRIVER_PY)})`,
      'driver = importlib.util.module_from_spec(spec); spec.loader.exec_module(driver)',
      'h = logging.StreamHandler(sys.stdout); log = logging.getLogger("spam"); log.addHandler(h); log.setLevel(20)',
      'stop = False',
      'logged = [0]',
      'def spam():',
      '    while not stop:',
      '        log.info("i-0123 STARTUP LOG: [    7.101555] cloud-init[790]: starting")',
      '        logged[0] += 1',
      'threads = [threading.Thread(target=spam) for _ in range(4)]',
      '[t.start() for t in threads]',
      'clock = driver.WorldClock(1000.0, 120.0)',
      'for i in range(3000):',
      '    clock.sleep(0)',
      // Every 100 clock lines the loggers get in at least 5 lines, so they write while the clock does however the
      // threads are scheduled (on a loaded machine they had logged only 88 lines in all).
      '    if i % 100 == 0:',
      '        seen = logged[0]',
      '        while logged[0] < seen + 5: time.sleep(0.001)',
      'stop = True',
      '[t.join() for t in threads]',
    ].join('\n');
    const child = spawn(venvPython(), ['-c', script], {
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const read = (stream: Readable) => {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      return () => text.split('\n').filter(Boolean);
    };
    const [stdout, stderr, control] = [read(child.stdout!), read(child.stderr!), read(child.stdio[3] as Readable)];
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr()).toEqual([]);
    expect(code).toBe(0);
    expect(control()).toHaveLength(3000);
    expect(control().filter((l) => !/^clock \d+\.\d{3} \d+\.\d{3} \d+\.\d{3}$/.test(l))).toEqual([]);
    // The other threads did log meanwhile, and no clock line went to stdout.
    expect(stdout().length).toBeGreaterThan(100);
    expect(stdout().filter((l) => l.includes('clock'))).toEqual([]);
  });
});
