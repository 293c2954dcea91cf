/**
 * ClearML's own autoscaler (clearml's AutoScaler + AWSDriver, from the pinned Python package) against our
 * emulators, through the bench's runner: boto3 reaches the EC2 emulator through AWS_ENDPOINT_URL_EC2, ClearML's
 * APIClient the ClearML emulator, and the instances it launches boot simulated agents from ClearML's own startup
 * script. A tiny trace on a compressed clock: one task, one launch, one idle spin-down.
 */
import { describe, expect, it } from 'vitest';
import { runClearmlReal } from '../../bench/clearml-real.js';
import { loadSimConfig } from '../../electron/engine/sim/config.js';
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
      maxInstances: 2
scaling:
  maxIdleMin: 2
`;

const TRACE: Trace = {
  name: 'tiny',
  tasks: [{ id: 'tiny-1', queue: 'gpu', enqueueAtSec: 20, durationSec: 120 }],
  bootSec: { min: 30, max: 40 },
};

/** The tiny trace under ClearML's real autoscaler, polling every minute, 60× faster than the wall clock. */
const run = (o: { maxWorldSec: number; asShipped?: boolean }) =>
  runClearmlReal({
    trace: TRACE,
    config: loadSimConfig(CONFIG).config,
    configName: 'conformance',
    seed: 1,
    factor: 60,
    pollSec: 60,
    ...o,
  });

describe("ClearML's AutoScaler against our emulators", () => {
  it('launches a spot instance for the pending task, its agent runs it, and the idle instance is terminated', async () => {
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
});
