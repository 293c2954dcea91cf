import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../shared/config.js';
import { queueNameProblem } from '../../shared/queue-name.js';
import { loadConfigText } from '../../electron/engine/config/index.js';

describe('queue names: what ClearML accepts, less what cannot be carried', () => {
  it.each([
    ["gpu queue+a'b", null],
    ['gpü_große', null],
    ['team/ml @ 4×A100 (spot)', null],
    ['q'.repeat(128), null],
    ['q2', null],
    ['0123456789abcdef0123456789abcde', /looks like a queue id/],
    ['0123456789abcdef-0123456789abcdef', /looks like a queue id/],
    ['0123456789abcdef0123456789abcdeg', null],
    ['', /must not be empty/],
    ['q'.repeat(129), /at most 128 characters/],
    ['gpu\nqueue', /control or invisible characters/],
    ['gpu\tqueue', /control or invisible characters/],
    ['gpu\u001b[31m', /control or invisible characters/],
    ['gpu\u202equeue', /control or invisible characters/],
    [' gpu', /must not start or end with a space: the ClearML server strips them/],
    ['gpu ', /must not start or end with a space/],
  ] as const)('%j → %s', (name, problem) => {
    const got = queueNameProblem(name);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it('the config schema, the budget caps and the importer apply the same rule', () => {
    const base = {
      clearml: { apiHost: 'https://api.example.com' },
      aws: { region: 'us-east-1' },
      resources: { gpu: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0' } },
    };
    const name = "gpu queue+a'b";
    const ok = ConfigSchema.safeParse({
      ...base,
      queues: { [name]: [{ resource: 'gpu', maxInstances: 1 }] },
      budgets: { queues: { [name]: { monthlyUsd: 100 } } },
    });
    expect(ok.error?.issues ?? []).toEqual([]);
    const bad = ConfigSchema.safeParse({ ...base, queues: { 'a\nb': [{ resource: 'gpu', maxInstances: 1 }] } });
    expect(bad.success).toBe(false);
  });

  it('imported from a ClearML file; a name the server cannot create is warned about, not refused', () => {
    const file = (queue: string) =>
      [
        'hyper_params: {cloud_credentials_region: us-east-1}',
        'configurations:',
        '  resource_configurations:',
        '    gpu_t4: {instance_type: g4dn.xlarge, is_spot: false, availability_zone: us-east-1b, ami_id: ami-0123456789abcdef0}',
        '  queues:',
        `    ${JSON.stringify(queue)}: [[gpu_t4, 1]]`,
      ].join('\n');
    const spaced = loadConfigText(file("gpu queue+a'b"), { clearmlApiHost: 'https://api.clear.ml' });
    expect(spaced.issues).toEqual([]);
    expect(Object.keys(spaced.config!.queues)).toEqual(["gpu queue+a'b"]);
    const short = loadConfigText(file('q2'), { clearmlApiHost: 'https://api.clear.ml' });
    expect(Object.keys(short.config!.queues)).toEqual(['q2']);
    expect(short.warnings.filter((w) => w.startsWith('configurations.queues.q2:'))).toEqual([
      "configurations.queues.q2: the ClearML server creates no queue named with fewer than 3 characters; unless 'q2' already exists there, neither this app nor ClearML's autoscaler can create it: rename it",
    ]);
  });
});
