/**
 * The numbers ClearML's autoscaler does arithmetic on (a queue's max instances, the three minutes settings), written
 * negative, 0, fractional, as text or as true: imported as ClearML's autoscaler used them where that is safe, each
 * with a warning that says what it did, what this app does and what to write; refused otherwise, saying why.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import { loadConfigText } from '../../electron/engine/config/index.js';
import { NUMBER_CASES, numberCaseFile, type NumberField } from './clearml-number-cases.js';

const HOST = { clearmlApiHost: 'https://api.clear.ml' };

const PATH: Record<NumberField, string> = {
  max_instances: 'configurations.queues.aws_gpu.0.1',
  max_idle_time_min: 'hyper_params.max_idle_time_min',
  max_spin_up_time_min: 'hyper_params.max_spin_up_time_min',
  polling_interval_time_min: 'hyper_params.polling_interval_time_min',
};

/** The imported value, in the file's unit. */
const READ: Record<NumberField, (c: Config) => number> = {
  max_instances: (c) => c.queues['aws_gpu']![0]!.maxInstances,
  max_idle_time_min: (c) => c.scaling.maxIdleMin,
  max_spin_up_time_min: (c) => c.scaling.maxSpinUpMin,
  polling_interval_time_min: (c) => c.scaling.pollingIntervalSec / 60,
};

describe("numbers ClearML's autoscaler did arithmetic on", () => {
  it.each(NUMBER_CASES.map((c) => [`${c.field}: ${c.yaml}`, c] as const))('%s', (_name, c) => {
    const r = loadConfigText(numberCaseFile(c), HOST);
    const path = PATH[c.field];
    if (c.issue) {
      expect(r.config).toBeNull();
      expect(r.issues).toEqual([{ path, message: expect.stringMatching(c.issue) as unknown }]);
      return;
    }
    expect(r.issues).toEqual([]);
    expect(READ[c.field](r.config!)).toBeCloseTo(c.imported!, 9);
    // The one warning about this setting, or none: the file is otherwise ClearML's defaults.
    const about = r.warnings.filter((w) => w.startsWith(path));
    expect(about).toEqual(c.warning ? [expect.stringMatching(c.warning) as unknown] : []);
  });

  it('a converted cap is imported as what ClearML launched, and the global cap is their sum', () => {
    // Where ClearML's poll ran (the conformance suite checks `clearml` against its code), the import caps the
    // resource at what it launched: the same number, below the waiting tasks.
    for (const c of NUMBER_CASES.filter((x) => x.field === 'max_instances' && !x.issue && x.imported! < 5)) {
      expect(c.imported, c.yaml).toBe(c.clearml);
    }
    const r = loadConfigText(
      numberCaseFile({ field: 'max_instances', yaml: '2.7', clearml: 2 })
        .replace('aws_gpu: [[gpu_t4, 2.7]]', 'aws_gpu: [[gpu_t4, 2.7]]\n    cpu_q: [[cpu, -1]]')
        .replace(
          '  queues:',
          '    cpu:\n      instance_type: m6i.large\n      is_spot: false\n      availability_zone: us-east-1b\n      ami_id: ami-0123456789abcdef0\n  queues:',
        ),
      HOST,
    );
    expect(r.issues).toEqual([]);
    expect(r.config!.queues).toEqual({
      aws_gpu: [{ resource: 'gpu_t4', maxInstances: 2 }],
      cpu_q: [{ resource: 'cpu', maxInstances: 0 }],
    });
    expect(r.config!.scaling.maxTotalInstances).toBe(2);
  });
});
