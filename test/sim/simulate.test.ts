// The simulator end to end: the real engine and the ClearML baseline, each in its own world of emulators, in
// virtual time. Small traces, so each test runs in a few seconds.
import { GPU_OVER_TWO_RESOURCES } from '../fixtures/index.js';
import { describe, expect, it } from 'vitest';
import { AGENT_DEFAULT_QUEUE_POLL_SEC, ConfigSchema, type ConfigInput } from '../../shared/config.js';
import { READY_WAIT_SEC, simulate, type RunFigures, type SimResult } from '../../electron/engine/sim/simulate.js';
import { TraceSchema, type TraceInput } from '../../electron/engine/sim/trace.js';
import { clearmlScriptConfig } from '../../electron/engine/sim/baseline.js';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import { SIMULATED_AGENT_KEYS, userDataBuilder } from '../../electron/engine/userdata/userdata.js';

function config(patch: Partial<ConfigInput> = {}) {
  return ConfigSchema.parse({
    clearml: { apiHost: 'https://clearml-api.example.com' },
    aws: { region: 'us-east-1' },
    resources: {
      gpu_a: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
      gpu_b: { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' },
    },
    queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }] },
    scaling: { maxIdleMin: 2, maxTotalInstances: 20 },
    ...patch,
  });
}

const trace = (t: Partial<TraceInput>) =>
  TraceSchema.parse({ name: 'small', tasks: [{ id: 'only', queue: 'gpu', enqueueAtSec: 0, durationSec: 60 }], ...t });

/** Everything but the wall-clock time, which is the one thing allowed to differ between identical runs. */
function figures(r: SimResult) {
  const strip = (f: RunFigures | undefined) => (f ? { ...f, wallMs: 0 } : f);
  return { ...r, ours: strip(r.ours), baseline: strip(r.baseline) };
}

describe('simulator', () => {
  it('gives identical figures for the same trace and seed, and other figures for another seed', async () => {
    const t = trace({
      tasks: [
        { id: 'a', queue: 'gpu', enqueueAtSec: 0, durationSec: 300 },
        { id: 'b', queue: 'gpu', enqueueAtSec: 20, durationSec: 240 },
        { id: 'c', queue: 'gpu', enqueueAtSec: 400, durationSec: 120 },
        { id: 'd', queue: 'gpu', enqueueAtSec: 410, durationSec: 200 },
      ],
      spotInterruptionsPerHour: 2,
    });
    const input = { config: config(), trace: t, baselinePoll: { sec: 120, source: 'test' } };
    const first = await simulate({ ...input, seed: 7 });
    const second = await simulate({ ...input, seed: 7 });
    expect(figures(second)).toEqual(figures(first));
    expect(first.ours!.tasks.completed).toBe(4);

    const other = await simulate({ ...input, seed: 8 });
    expect(other.ours!.waitSec).not.toEqual(first.ours!.waitSec);
  }, 60_000);

  it('counts the tasks that found a worker ready: the first waits for a boot, the next finds the idle worker', async () => {
    // 'a' waits a 60 s boot and ends by about 150 s; with maxIdleMin 2 its worker is still idle when 'b' comes at 200 s.
    const t = trace({
      tasks: [
        { id: 'a', queue: 'gpu', enqueueAtSec: 0, durationSec: 60 },
        { id: 'b', queue: 'gpu', enqueueAtSec: 200, durationSec: 60 },
      ],
      bootSec: { min: 60, max: 60 },
    });
    const r = await simulate({ config: config(), trace: t, seed: 1, loops: ['ours'] });
    expect(r.ours!.waitSec.max).toBeGreaterThan(READY_WAIT_SEC);
    expect(r.ours!.tasks.startedReady).toBe(1);
    expect(r.ours!.tasks.total).toBe(2);
  }, 60_000);

  it('a periodic queue that falls silent: each slot pre-warmed once, two slots after the last task, then none', async () => {
    // A task every 10 min for 70 min, then one an hour later. With a 2-min idle limit a pre-warmed worker that
    // waits through its slot's late window goes at the limit, and must not be started again for the same slot;
    // once two slots have passed with nothing, no more are pre-warmed.
    const t = trace({
      tasks: [
        ...Array.from({ length: 8 }, (_, i) => ({
          id: `p${i}`,
          queue: 'gpu',
          enqueueAtSec: i * 600,
          durationSec: 120,
        })),
        { id: 'late', queue: 'gpu', enqueueAtSec: 7 * 600 + 3600, durationSec: 120 },
      ],
      bootSec: { min: 60, max: 60 },
    });
    const r = await simulate({ config: config(), trace: t, seed: 1, loops: ['ours'] });
    expect(r.ours!.tasks.completed).toBe(9);
    // The four tasks after the period was learned found a pre-warmed worker.
    expect(r.ours!.tasks.startedReady).toBe(4);
    // One launch per task, plus the pre-warms for the two slots after the last periodic task.
    expect(r.ours!.launches).toBe(9 + 2);
  }, 60_000);

  it('at the cost preference an idle worker the forecast does not keep goes at once, not after the surplus limit', async () => {
    // A task every 20 min: the next is always due long after a 60 s boot, so cost keeps no idle worker. Until two
    // tasks have been seen there is no forecast and the first worker waits out surplusIdleMin (2 min); after that
    // each worker goes at the first tick that sees it idle.
    const t = trace({
      tasks: Array.from({ length: 8 }, (_, i) => ({
        id: `t${i}`,
        queue: 'gpu',
        enqueueAtSec: i * 1200,
        durationSec: 120,
      })),
      bootSec: { min: 60, max: 60 },
    });
    const cfg = config({ scaling: { maxIdleMin: 15, surplusIdleMin: 2, preference: 'cost', maxTotalInstances: 20 } });
    const r = await simulate({ config: cfg, trace: t, seed: 1, loops: ['ours'] });
    expect(r.ours!.tasks.completed).toBe(8);
    // Idle seconds, read through the price: every instance is the same type and market, so idle $ / task $ is
    // idle seconds / task seconds.
    const idleSec = (r.ours!.cost.idle / r.ours!.cost.tasks) * 8 * 120;
    expect(idleSec).toBeGreaterThan(100); // the first worker's surplus wait
    expect(idleSec).toBeLessThan(120 + 7 * 20);
  }, 60_000);

  it("the model's instances run ClearML's script: no lease watchdog, the agent's own 5 s queue poll; ours the configured one", () => {
    const cfg = config({ agent: { queuePollSec: 2 } });
    const script = (c: typeof cfg) =>
      userDataBuilder(c, { clearml: SIMULATED_AGENT_KEYS })({ queue: 'gpu', resource: 'gpu_a' });
    const model = script(clearmlScriptConfig(cfg));
    expect(parseUserDataMarkers(model)?.queuePollSec).toBe(AGENT_DEFAULT_QUEUE_POLL_SEC);
    expect(AGENT_DEFAULT_QUEUE_POLL_SEC).toBe(5);
    expect(model).not.toContain('clearml-autoscaler-watchdog');
    const ours = script(cfg);
    expect(parseUserDataMarkers(ours)?.queuePollSec).toBe(2);
    expect(ours).toContain('clearml-autoscaler-watchdog');
  });

  it('the baseline over-launches on a queue with two resources where the engine does not', async () => {
    const cfg = config({
      queues: GPU_OVER_TWO_RESOURCES,
    });
    const t = trace({
      tasks: [0, 1, 2].map((i) => ({ id: `t${i}`, queue: 'gpu', enqueueAtSec: 0, durationSec: 600 })),
    });
    const r = await simulate({ config: cfg, trace: t, seed: 1 });
    // Need 3: ClearML adds min(3, 2) of gpu_a and then min(3, 5) of gpu_b.
    expect(r.baseline!.launches).toBe(5);
    expect(r.baseline!.baselineLog?.overLaunched).toBe(2);
    expect(r.ours!.launches).toBe(3);
    expect(r.baseline!.tasks.completed).toBe(3);
    expect(r.ours!.tasks.completed).toBe(3);
    expect(r.ours!.cost.total).toBeLessThan(r.baseline!.cost.total);
  }, 60_000);

  it('a reclaimed spot instance: the engine requeues its task, the baseline leaves it stranded', async () => {
    // Spot instances live 2 min on average here, the task needs 10: its first instance is reclaimed under it.
    const t = trace({
      tasks: [{ id: 'long', queue: 'gpu', enqueueAtSec: 0, durationSec: 600 }],
      spotInterruptionsPerHour: 30,
      baselinePollSec: 60,
    });
    const r = await simulate({ config: config(), trace: t, seed: 3 });
    expect(r.baseline!.spotInterruptions).toBeGreaterThan(0);
    expect(r.baseline!.tasks.completed).toBe(0);
    expect(r.baseline!.tasks.restarted).toBe(0);
    expect(r.ours!.spotInterruptions).toBeGreaterThan(0);
    expect(r.ours!.tasks.restarted).toBe(1);
    expect(r.ours!.tasks.completed).toBe(1);
    expect(r.ours!.events?.['requeue']).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it.each([
    // Boots drawn from 60–150 s, no reclaims: the GPU queue's only random draws are its boot delays.
    { draws: 'boot delays', bootSec: { min: 60, max: 150 }, spotInterruptionsPerHour: 0 },
    // Fixed boots, spot instances living 10 min on average under 15-min tasks: only its reclaim times.
    { draws: 'spot reclaims', bootSec: { min: 60, max: 60 }, spotInterruptionsPerHour: 6 },
  ])(
    "draws a queue's $draws from its own stream: another queue's launches do not move them",
    async (c) => {
      // The CPU tasks launch CPU instances between the GPU ones; with one stream for every queue they would take the
      // draws the GPU instances got without them.
      const cfg = config({
        resources: {
          gpu_a: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
          cpu_a: { instanceType: 'm5.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
        },
        queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }], cpu: [{ resource: 'cpu_a', maxInstances: 4 }] },
      });
      const gpu = [0, 20, 400, 410, 900].map((at, i) => ({
        id: `g${i}`,
        queue: 'gpu',
        enqueueAtSec: at,
        durationSec: 900,
      }));
      const cpu = [0, 10, 30, 390, 405, 890].map((at, i) => ({
        id: `c${i}`,
        queue: 'cpu',
        enqueueAtSec: at,
        durationSec: 600,
      }));
      const run = (tasks: TraceInput['tasks']) =>
        simulate({
          config: cfg,
          trace: trace({ tasks, spotInterruptionsPerHour: c.spotInterruptionsPerHour, bootSec: c.bootSec }),
          seed: 5,
          loops: ['ours'],
        });
      const alone = await run(gpu);
      const beside = await run([...gpu, ...cpu]);
      if (c.spotInterruptionsPerHour > 0) {
        expect(alone.ours!.spotInterruptions).toBeGreaterThan(0);
        expect(beside.ours!.spotInterruptions).toBeGreaterThan(alone.ours!.spotInterruptions);
      }
      expect(beside.ours!.cost.byQueue['gpu']).toBeGreaterThan(0);
      expect(beside.ours!.cost.byQueue['gpu']).toBe(alone.ours!.cost.byQueue['gpu']);
    },
    60_000,
  );

  it('counts the ClearML calls per iteration: 2 + Q for the baseline, 2 for the engine', async () => {
    const cfg = config({
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }], cpu: [{ resource: 'gpu_b', maxInstances: 1 }] },
    });
    const t = trace({ tasks: [{ id: 'x', queue: 'gpu', enqueueAtSec: 0, durationSec: 30 }] });
    const r = await simulate({ config: cfg, trace: t, seed: 1, baselinePoll: { sec: 30, source: 'test' } });
    expect(r.ours!.calls.clearml.quietMean).toBeCloseTo(2, 1);
    // 2 + Q = 4 per quiet iteration (no idle candidate re-check).
    expect(r.baseline!.calls.clearml.quietMean).toBeGreaterThanOrEqual(4);
    expect(r.baseline!.calls.clearml.quietMean).toBeLessThan(4.5);
  }, 60_000);
});
