import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSimConfig, SimConfigError } from '../../electron/engine/sim/config.js';
import { resolveBaselinePoll } from '../../electron/engine/sim/simulate.js';
import { TraceSchema } from '../../electron/engine/sim/trace.js';

const configs = path.join(import.meta.dirname, '../../bench/configs');
const read = (f: string) => readFileSync(path.join(configs, f), 'utf8');
const trace = (extra: Record<string, unknown> = {}) =>
  TraceSchema.parse({ name: 't', tasks: [{ id: 'a', queue: 'gpu', enqueueAtSec: 0, durationSec: 1 }], ...extra });

describe('simulator config loading', () => {
  it('loads the bundled configs at default scaling settings', () => {
    for (const f of ['gpu.yaml', 'mixed.yaml']) {
      const c = loadSimConfig(read(f), f);
      expect(c.format).toBe('ours');
      expect(c.config.scaling).toMatchObject({ pollingIntervalSec: 15, maxIdleMin: 15 });
      expect(c.clearmlPollSec).toBeNull();
    }
    const mixed = loadSimConfig(read('mixed.yaml')).config;
    for (const entries of Object.values(mixed.queues)) expect(entries).toHaveLength(2);
  });

  it('takes a ClearML autoscaler YAML as it is, and reads its polling interval for the baseline', () => {
    const c = loadSimConfig(read('clearml-example.yaml'));
    expect(c.format).toBe('clearml');
    expect(c.config.queues['gpu']).toEqual([{ resource: 'gpu_t4', maxInstances: 48 }]);
    expect(c.clearmlPollSec).toBe(300);
  });

  it('names the file and the field when the config is unusable', () => {
    expect(() => loadSimConfig('resources: {}\nqueues: {}\n', 'my.yaml')).toThrow(SimConfigError);
    expect(() => loadSimConfig('resources: {}\nqueues: {}\n', 'my.yaml')).toThrow(/my\.yaml[\s\S]*clearml/);
  });
});

describe("the baseline's polling interval", () => {
  it('defaults to ClearML’s 5 minutes and says so', () => {
    const poll = resolveBaselinePoll(trace());
    expect(poll.sec).toBe(300);
    expect(poll.source).toMatch(/default/);
  });

  it('prefers the flag, then the trace, then a ClearML config', () => {
    expect(resolveBaselinePoll(trace(), { clearmlConfigPollSec: 120 }).sec).toBe(120);
    expect(resolveBaselinePoll(trace({ baselinePollSec: 60 }), { clearmlConfigPollSec: 120 }).sec).toBe(60);
    expect(resolveBaselinePoll(trace({ baselinePollSec: 60 }), { flagSec: 30, clearmlConfigPollSec: 120 }).sec).toBe(
      30,
    );
  });
});
