import { edit } from './draft.js';
import { describe, expect, it } from 'vitest';
import {
  buildConfig,
  draftFromConfig,
  emptyQueue,
  emptyResource,
  keptResourceSettings,
  validateDraft,
  type ConfigDraft,
} from '../../renderer/src/model/config-form.js';
import { credentialIssues, engineCredentialsProblem } from '../../renderer/src/model/credentials.js';
import type { z } from 'zod';
import {
  ConfigSchema,
  type ConfigInput,
  type LeaseSchema,
  type QueueResourceSchema,
  type ResourceSchema,
  type ScalingSchema,
} from '../../shared/config.js';
import type { BudgetCapsSchema, BudgetsSchema } from '../../shared/budget.js';
import type { TeamSchema } from '../../shared/team.js';

const valid: ConfigInput = {
  clearml: { apiHost: 'https://api.clear.ml' },
  aws: { region: 'us-east-1' },
  resources: {
    gpu_t4: {
      instanceType: 'g4dn.xlarge',
      market: 'spot',
      amiId: 'ami-0123456789abcdef0',
      subnetIds: ['subnet-0123abcd', 'subnet-0456abcd'],
      tags: { team: 'ml' },
      ebs: { volumeSizeGiB: 200, volumeType: 'gp3' },
    },
  },
  queues: { gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] },
  scaling: { pollingIntervalSec: 20, workersPrefix: 'mine' },
  agent: { agentVersion: '3.0.3' },
};

describe('config form', () => {
  it('round-trips a config, keeping the fields it does not edit', () => {
    const draft = draftFromConfig(ConfigSchema.parse(valid));
    const v = validateDraft(draft);
    expect(v.issues).toEqual({});
    expect(v.valid).toBe(true);
    expect(ConfigSchema.parse(v.config)).toEqual(ConfigSchema.parse(valid));
  });

  // Every field of a resource, a queue's entry, the scaling block, the budgets, the lease and team mode, each at a
  // value other than its default: a field added to one of these schemas does not compile here until it is given one,
  // and then a Settings save must keep it. Resources, queue entries and scaling keep what the form does not edit;
  // budgets, lease and team are rebuilt from their drafts (`limits-draft.ts`), so a new field there needs its draft
  // field, or this test fails.
  type Every<S extends z.ZodType> = Required<z.input<S>>;
  const everyResourceField: Every<typeof ResourceSchema> = {
    instanceType: 'g5.xlarge',
    market: 'spot',
    spotFallbackToOnDemand: false,
    amiId: 'ami-0123456789abcdef0',
    subnetIds: ['subnet-0123abcd'],
    availabilityZones: ['us-east-1b'],
    securityGroupIds: ['sg-0123abcd'],
    keyName: 'ops',
    iamInstanceProfile: { name: 'agents' },
    ebs: { deviceName: '/dev/xvda', volumeSizeGiB: 120, volumeType: 'gp3', snapshotId: 'snap-0123456789abcdef0' },
    tags: { team: 'ml' },
    cpuOnly: true,
    dockerImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04',
    enableMonitoring: true,
  };
  const everyQueueEntryField: Every<typeof QueueResourceSchema> = { resource: 'gpu_t4', maxInstances: 7 };
  const everyScalingField: Every<typeof ScalingSchema> = {
    pollingIntervalSec: 30,
    maxIdleMin: 20,
    surplusIdleMin: 3,
    preference: 'latency',
    maxSpinUpMin: 25,
    workersPrefix: 'team_a',
    maxTotalInstances: 9,
    dryRun: true,
  };
  const everyCapField: Every<typeof BudgetCapsSchema> = { hourlyUsd: 12.5, monthlyUsd: 900 };
  const everyBudgetsField: Every<typeof BudgetsSchema> = {
    mode: 'terminate-idle',
    nearCapPercent: 70,
    global: everyCapField,
    queues: { gpu: everyCapField },
  };
  const everyLeaseField: Every<typeof LeaseSchema> = {
    enabled: false,
    leaseMin: 30,
    graceMin: 5,
    maxLifetimeHours: 48,
  };
  const everyTeamField: Every<typeof TeamSchema> = {
    leaseTable: 'cta-leases',
    leaseRegion: 'eu-west-1',
    leaseSec: 90,
    graceSec: 40,
  };

  it('a save keeps every field of a resource, a queue entry, the scaling block, the budgets, the lease and team mode', () => {
    const config = ConfigSchema.parse({
      ...valid,
      resources: { gpu_t4: everyResourceField },
      queues: { gpu: [everyQueueEntryField] },
      scaling: everyScalingField,
      budgets: everyBudgetsField,
      lease: everyLeaseField,
      team: everyTeamField,
    });
    const v = validateDraft(draftFromConfig(config));
    expect(v.issues).toEqual({});
    expect(ConfigSchema.parse(v.config)).toEqual(config);
  });

  it("a queue entry's field the form does not edit is kept by a save, and by an edit of the entry", () => {
    const draft = draftFromConfig({ ...valid, queues: { gpu: [{ resource: 'gpu_t4', maxInstances: 3, minIdle: 1 }] } });
    const saved = buildConfig(draft).config as { queues: Record<string, Record<string, unknown>[]> };
    expect(saved.queues['gpu']).toEqual([{ resource: 'gpu_t4', maxInstances: 3, minIdle: 1 }]);
    const edited = buildConfig(edit(draft, (x) => (x.queues[0]!.entries[0]!.maxInstances = '5'))).config as {
      queues: Record<string, Record<string, unknown>[]>;
    };
    expect(edited.queues['gpu']).toEqual([{ resource: 'gpu_t4', maxInstances: 5, minIdle: 1 }]);
  });

  it('edits all three ClearML hosts: the files server is kept, changed, cleared and checked like the others', () => {
    const withHosts = {
      ...valid,
      clearml: {
        apiHost: 'https://api.example.com',
        webHost: 'https://app.example.com',
        filesHost: 'https://files.example.com',
      },
    };
    const d = draftFromConfig(withHosts);
    expect([d.apiHost, d.webHost, d.filesHost]).toEqual([
      'https://api.example.com',
      'https://app.example.com',
      'https://files.example.com',
    ]);
    const moved = validateDraft(edit(d, (x) => (x.filesHost = 'https://files2.example.com')));
    expect(moved.config).toMatchObject({ clearml: { filesHost: 'https://files2.example.com' } });
    const cleared = validateDraft(edit(d, (x) => (x.filesHost = '')));
    expect(cleared.config?.clearml).not.toHaveProperty('filesHost');
    expect(validateDraft(edit(d, (x) => (x.filesHost = 'files.example.com'))).issues['filesHost']).toBeDefined();
  });

  it('an invalid instance type is reported on that field, worded as what is valid', () => {
    const d = draftFromConfig(valid);
    const uid = d.resources[0]!.uid;
    const v = validateDraft(edit(d, (x) => (x.resources[0]!.instanceType = 'g4dn')));
    expect(v.valid).toBe(false);
    expect(v.issues).toEqual({
      [`resource:${uid}:instanceType`]: ['instance type must look like g4dn.xlarge (family.size, lower case)'],
    });
  });

  it.each([
    [
      'volume size text',
      (d: ConfigDraft) => (d.resources[0]!.volumeSizeGiB = 'big'),
      'volumeSizeGiB',
      'must be a number',
    ],
    [
      'volume size too small',
      (d: ConfigDraft) => (d.resources[0]!.volumeSizeGiB = '0'),
      'volumeSizeGiB',
      'must be at least 1',
    ],
    [
      'bad subnet in a list',
      (d: ConfigDraft) => (d.resources[0]!.subnetIds = 'subnet-0123abcd, sub-1'),
      'subnetIds',
      'subnet id must look like subnet-0123abcd',
    ],
    [
      'bad AMI',
      (d: ConfigDraft) => (d.resources[0]!.amiId = 'ami-xyz'),
      'amiId',
      'AMI id must look like ami-0123456789abcdef0',
    ],
    [
      'bad resource name',
      (d: ConfigDraft) => (d.resources[0]!.name = 'gpu:t4'),
      'name',
      "resource name may contain only letters, digits, '_', '-' and '.' (no ':' or '/')",
    ],
  ])('%s', (_n, change, field, message) => {
    const d = draftFromConfig(valid);
    const uid = d.resources[0]!.uid;
    const v = validateDraft(edit(d, change));
    expect(v.issues[`resource:${uid}:${field}`]).toContain(message);
  });

  it('queue entry messages land on the entry fields', () => {
    const d = draftFromConfig(valid);
    const e = d.queues[0]!.entries[0]!;
    const v = validateDraft(edit(d, (x) => (x.queues[0]!.entries[0]!.maxInstances = '2.5')));
    expect(v.issues[`entry:${e.uid}:maxInstances`]).toEqual(['max instances must be a whole number']);
    const w = validateDraft(edit(d, (x) => (x.queues[0]!.entries[0]!.maxInstances = '-1')));
    expect(w.issues[`entry:${e.uid}:maxInstances`]).toEqual(['must be at least 0']);
  });

  it('a fraction in Max instances in total says so in words, not as a type error', () => {
    const v = validateDraft(edit(draftFromConfig(valid), (x) => (x.scaling.maxTotalInstances = '1.5')));
    expect(v.issues['scaling.maxTotalInstances']).toEqual(['max instances in total must be a whole number']);
  });

  it('scaling numbers are checked', () => {
    const d = draftFromConfig(valid);
    const v = validateDraft(edit(d, (x) => (x.scaling.pollingIntervalSec = '1')));
    expect(v.issues['scaling.pollingIntervalSec']).toEqual(['polling interval must be at least 2 s']);
  });

  it("the agent's queue poll: shown at its default, saved as a number, checked, and left out when cleared", () => {
    const d = draftFromConfig(valid);
    expect(d.agent.queuePollSec).toBe('2');
    const faster = validateDraft(edit(d, (x) => (x.agent.queuePollSec = '1.5')));
    expect(faster.valid).toBe(true);
    expect(faster.config?.agent?.queuePollSec).toBe(1.5);
    const bad = validateDraft(edit(d, (x) => (x.agent.queuePollSec = '0.5')));
    expect(bad.issues['agent.queuePollSec']).toEqual(['the agent queue poll must be at least 1 second']);
    expect(validateDraft(edit(d, (x) => (x.agent.queuePollSec = 'often'))).issues['agent.queuePollSec']).toBeDefined();
    const cleared = validateDraft(edit(d, (x) => (x.agent.queuePollSec = ' ')));
    expect(cleared.config?.agent).not.toHaveProperty('queuePollSec');
    expect(ConfigSchema.parse(cleared.config).agent.queuePollSec).toBe(2);
  });

  it('renaming a resource that a queue uses is caught as an unknown resource on the entry', () => {
    const d = draftFromConfig(valid);
    const e = d.queues[0]!.entries[0]!;
    const v = validateDraft(edit(d, (x) => (x.resources[0]!.name = 'gpu_a10')));
    expect(v.issues[`entry:${e.uid}:resource`]).toEqual(["unknown resource 'gpu_t4'; defined resources: gpu_a10"]);
  });

  it('duplicate resource and queue names are reported on the second one', () => {
    const d = draftFromConfig(valid);
    const dupR = { ...emptyResource('gpu_t4'), instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' };
    const dupQ = emptyQueue('gpu', 'gpu_t4');
    const v = validateDraft(edit(d, (x) => (x.resources.push(dupR), x.queues.push(dupQ))));
    expect(v.issues[`resource:${dupR.uid}:name`]).toEqual([
      "resource name 'gpu_t4' is already used; names must be unique",
    ]);
    expect(v.issues[`queue:${dupQ.uid}:name`]).toEqual(["queue 'gpu' is already listed; each queue appears once"]);
  });

  it('a queue with no resources says it needs one', () => {
    const d = draftFromConfig(valid);
    const q = d.queues[0]!;
    const v = validateDraft(edit(d, (x) => (x.queues[0]!.entries = [])));
    expect(v.issues[`queue:${q.uid}:entries`]).toEqual(['a queue needs at least one resource']);
  });

  it('an empty draft (first setup) asks for resources and queues', () => {
    const v = validateDraft(draftFromConfig(null));
    expect(v.issues['form']).toEqual([
      'add at least one resource (an EC2 instance type to launch)',
      'add at least one queue for the autoscaler to watch',
    ]);
    expect(v.issues['apiHost']).toEqual(['API host must be an http(s) URL like https://api.clear.ml']);
    expect(v.issues['region']).toEqual(['region must look like us-east-1']);
  });

  it('lists accept commas and spaces; empty optional text stays absent', () => {
    const d = draftFromConfig(valid);
    const built = buildConfig(
      edit(d, (x) => {
        x.resources[0]!.securityGroupIds = ' sg-0123abcd,sg-0456abcd  sg-0789abcd ';
        x.resources[0]!.keyName = '  ';
      }),
    );
    const r = (built.config.resources as Record<string, Record<string, unknown>>)['gpu_t4']!;
    expect(r['securityGroupIds']).toEqual(['sg-0123abcd', 'sg-0456abcd', 'sg-0789abcd']);
    expect('keyName' in r).toBe(false);
  });

  it('a queue named __proto__ typed in the form is kept (a plain object would have dropped it)', () => {
    const d = edit(draftFromConfig(valid), (x) => {
      x.queues[0]!.name = '__proto__';
    });
    const v = validateDraft(d);
    expect(v.issues).toEqual({});
    expect(Object.keys(v.config.queues as object)).toEqual(['__proto__']);
    const parsed = ConfigSchema.parse(v.config);
    expect(Object.keys(parsed.queues)).toEqual(['__proto__']);
  });
});

describe('credential form messages', () => {
  it('are taken from the contract schema', () => {
    expect(credentialIssues({ kind: 'clearml', accessKey: '', secretKey: 'x' })).toEqual({ accessKey: ['required'] });
    expect(credentialIssues({ kind: 'aws', accessKeyId: 'akia123', secretAccessKey: 'short' })).toEqual({
      accessKeyId: ['access key id must look like AKIA…'],
      secretAccessKey: ['must be at least 16 characters'],
    });
    expect(
      credentialIssues({ kind: 'aws', accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'x'.repeat(40) }),
    ).toEqual({});
  });
});

describe('engineCredentialsProblem', () => {
  const reason = 'No ClearML credentials are set: add an access key and secret key in the Credentials tab';
  it.each([
    ['stopped on the credentials', { status: 'error', statusReason: reason, statusFix: ['credentials'] }, reason],
    ['stopped on both', { status: 'error', statusReason: reason, statusFix: ['settings', 'credentials'] }, reason],
    ['stopped on the settings', { status: 'error', statusReason: 'x', statusFix: ['settings'] }, null],
    ['an error with nowhere to fix it', { status: 'error', statusReason: 'x', statusFix: [] }, null],
    ['running', { status: 'watching', statusReason: null, statusFix: ['credentials'] }, null],
  ] as const)('%s', (_, s, want) => {
    expect(engineCredentialsProblem({ ...s, statusFix: [...s.statusFix] })).toBe(want);
  });
  it('no snapshot yet', () => expect(engineCredentialsProblem(null)).toBeNull());
});

describe('keptResourceSettings', () => {
  it.each([
    ['nothing beyond the form', {}, []],
    [
      'an IAM profile by name and ARN, tags, a disk from a snapshot, detailed monitoring',
      {
        iamInstanceProfile: { name: 'clearml-agent', arn: 'arn:aws:iam::123456789012:instance-profile/clearml-agent' },
        tags: { team: 'ml', owner: 'alice' },
        ebs: { deviceName: '/dev/sda1', volumeType: 'gp3', snapshotId: 'snap-0123456789abcdef0' },
        enableMonitoring: true,
      },
      [
        {
          label: 'IAM instance profile',
          value: 'clearml-agent, arn:aws:iam::123456789012:instance-profile/clearml-agent',
        },
        { label: 'Tags', value: 'team=ml, owner=alice' },
        { label: 'Disk', value: 'type gp3, from snapshot snap-0123456789abcdef0, on /dev/sda1' },
        { label: 'Detailed monitoring', value: 'on' },
      ],
    ],
    ['empty tags and monitoring off say nothing', { tags: {}, enableMonitoring: false }, []],
    [
      'a profile by ARN only',
      { iamInstanceProfile: { arn: 'arn:aws:iam::1:instance-profile/x' } },
      [{ label: 'IAM instance profile', value: 'arn:aws:iam::1:instance-profile/x' }],
    ],
  ])('%s', (_, rest, want) => {
    expect(keptResourceSettings(rest)).toEqual(want);
  });
});
