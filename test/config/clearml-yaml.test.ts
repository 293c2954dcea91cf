/**
 * A ClearML autoscaler file is read by PyYAML (`yaml.load(f, Loader=yaml.SafeLoader)`): these tables pin what our
 * loader makes of the YAML features where PyYAML and a YAML 1.2 parser could disagree.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText, type LoadedConfig } from '../../electron/engine/config/index.js';

const HOST = { clearmlApiHost: 'https://api.clear.ml' };

/** A small valid ClearML file; `resources` is the body of resource_configurations, indented by four. */
function clearmlFile(resources: string, queues = 'aws_gpu: [[gpu_t4, 3]]', hyper = ''): string {
  return [
    'hyper_params:',
    '  cloud_credentials_region: us-east-1',
    ...(hyper ? hyper.split('\n').map((l) => `  ${l}`) : []),
    'configurations:',
    '  resource_configurations:',
    ...resources.split('\n').map((l) => `    ${l}`),
    '  queues:',
    `    ${queues}`,
    '',
  ].join('\n');
}

const GPU_T4 = [
  'gpu_t4:',
  '  instance_type: g4dn.xlarge',
  '  is_spot: false',
  '  availability_zone: us-east-1b',
  '  ami_id: ami-0123456789abcdef0',
].join('\n');

function loaded(r: LoadedConfig) {
  expect(r.issues).toEqual([]);
  expect(r.config).not.toBeNull();
  return r.config!;
}

describe('merge keys (<<: *base), expanded as PyYAML expands them', () => {
  const base = [
    'base: &base',
    '  instance_type: g4dn.xlarge',
    '  is_spot: true',
    '  availability_zone: us-east-1b',
    '  ami_id: ami-0123456789abcdef0',
  ].join('\n');
  it.each([
    {
      name: 'a key written beside the merge wins over the merged one',
      resources: `${base}\nbig:\n  <<: *base\n  instance_type: g4dn.12xlarge`,
      want: { instanceType: 'g4dn.12xlarge', market: 'spot', availabilityZones: ['us-east-1b'] },
    },
    {
      name: 'even when written before the merge key',
      resources: `${base}\nbig:\n  instance_type: g4dn.12xlarge\n  <<: *base`,
      want: { instanceType: 'g4dn.12xlarge', market: 'spot' },
    },
    {
      name: 'a list of merges: the first that has the key wins',
      resources: `${base}\nbig:\n  <<: [{is_spot: false, key_name: k}, *base]`,
      want: { instanceType: 'g4dn.xlarge', market: 'on-demand', keyName: 'k' },
    },
    {
      name: 'two merge keys in one map are not a repeated key; the first wins',
      resources: `${base}\nbig:\n  <<: {is_spot: false, key_name: k}\n  <<: *base`,
      want: { instanceType: 'g4dn.xlarge', market: 'on-demand', keyName: 'k' },
    },
  ])('$name', ({ resources, want }) => {
    const r = loadConfigText(clearmlFile(resources, 'aws_gpu: [[big, 3]]'), HOST);
    const c = loaded(r);
    expect(c.resources['big']).toMatchObject({ amiId: 'ami-0123456789abcdef0', ...want });
    expect(r.warnings.filter((w) => w.includes('<<') || w.includes('.big'))).toEqual([]);
  });

  it('a merge of something other than a mapping is refused, as PyYAML refuses it', () => {
    const r = loadConfigText(clearmlFile(`${GPU_T4}\nbig:\n  <<: 3`), HOST);
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([{ path: '(file)', message: expect.stringMatching(/[Mm]erge/) as unknown }]);
  });
});

describe("YAML 1.1 scalars, as PyYAML reads them in ClearML's file", () => {
  const file = (extraResource: string, hyper = '', queues?: string) =>
    clearmlFile(`${GPU_T4}\n  ${extraResource}`, queues, hyper);
  const res = (r: LoadedConfig) => loaded(r).resources['gpu_t4']!;
  /** Warnings other than the import's usual ones, with the path they start with. */
  const yamlWarnings = (r: LoadedConfig) => r.warnings.filter((w) => /is read as/.test(w));
  it.each([
    {
      name: 'key_name: no is false, so no key pair (ClearML sends none)',
      text: file('key_name: no'),
      check: (r: LoadedConfig) => expect(res(r).keyName).toBeUndefined(),
      warns: [/^configurations\.resource_configurations\.gpu_t4\.key_name: no is read as false.*quote it \('no'\)/],
    },
    {
      name: "key_name: 'no' quoted is the key pair called no",
      text: file("key_name: 'no'"),
      check: (r: LoadedConfig) => expect(res(r).keyName).toBe('no'),
      warns: [],
    },
    {
      name: 'ebs_volume_size: 0100 is octal, 64 GiB',
      text: file('ebs_device_name: /dev/sda1\n  ebs_volume_size: 0100'),
      check: (r: LoadedConfig) => expect(res(r).ebs?.volumeSizeGiB).toBe(64),
      warns: [/ebs_volume_size: 0100 is read as 64, .*leading 0 as octal/],
    },
    {
      name: 'max_idle_time_min: 1:30 is base 60, 90 minutes',
      text: file('', 'max_idle_time_min: 1:30'),
      check: (r: LoadedConfig) => expect(loaded(r).scaling.maxIdleMin).toBe(90),
      warns: [/^hyper_params\.max_idle_time_min: 1:30 is read as 90/],
    },
    {
      name: 'max_idle_time_min: 1_000 is 1000, with nothing to say',
      text: file('', 'max_idle_time_min: 1_000'),
      check: (r: LoadedConfig) => expect(loaded(r).scaling.maxIdleMin).toBe(1000),
      warns: [],
    },
    {
      name: 'key_name: 1e3 is the text 1e3 (PyYAML floats need a dot)',
      text: file('key_name: 1e3'),
      check: (r: LoadedConfig) => expect(res(r).keyName).toBe('1e3'),
      warns: [],
    },
    {
      name: 'git_user: 0123 is 83, as ClearML wrote it into clearml.conf',
      text: file('', 'git_user: 0123'),
      check: (r: LoadedConfig) => expect(loaded(r).agent.gitUser).toBe('83'),
      warns: [/^hyper_params\.git_user: 0123 is read as 83/],
    },
    {
      name: 'git_pass: 0123 is read as ClearML reads it, and never quoted in a warning',
      text: file('', 'git_pass: 0123'),
      check: (r: LoadedConfig) => {
        expect(r.secrets.gitPassword).toBe('83');
        expect(r.warnings.join('\n')).not.toMatch(/0123|83/);
      },
      warns: [],
    },
    {
      name: 'is_spot: yes is spot, with nothing to say (a true/false setting)',
      text: clearmlFile(GPU_T4.replace('is_spot: false', 'is_spot: yes')),
      check: (r: LoadedConfig) => expect(res(r).market).toBe('spot'),
      warns: [],
    },
    {
      name: 'a queue named on is the name true, as ClearML read it',
      text: file('', '', 'on: [[gpu_t4, 3]]'),
      check: (r: LoadedConfig) => expect(Object.keys(loaded(r).queues)).toEqual(['true']),
      warns: [/^configurations\.queues: the name on is read as true.*quote it \('on'\)/],
    },
    {
      name: 'a resource named 0100 is the same name where a queue uses it',
      text: clearmlFile(GPU_T4.replace('gpu_t4:', '0100:'), 'aws_gpu: [[0100, 3]]'),
      check: (r: LoadedConfig) => expect(loaded(r).queues['aws_gpu']).toEqual([{ resource: '64', maxInstances: 3 }]),
      warns: [/^configurations\.resource_configurations: the name 0100 is read as 64/, /aws_gpu\.0\.0: 0100/],
    },
  ])('$name', ({ text, check, warns }) => {
    const r = loadConfigText(text, HOST);
    check(r);
    expect(yamlWarnings(r)).toEqual(warns.map((w) => expect.stringMatching(w) as unknown));
  });

  it('our own format stays YAML 1.2: keyName: no is the key pair called no', () => {
    const ours = [
      'clearml: {apiHost: https://api.example.com}',
      'aws: {region: us-east-1}',
      'resources:',
      '  gpu: {instanceType: g4dn.xlarge, amiId: ami-0123456789abcdef0, keyName: no}',
      'queues: {q: [{resource: gpu, maxInstances: 0100}]}',
    ].join('\n');
    const c = loaded(loadConfigText(ours));
    expect(c.resources['gpu']!.keyName).toBe('no');
    expect(c.queues['q']![0]!.maxInstances).toBe(100);
  });
});

describe('a repeated key: the last value, as PyYAML keeps it, with a warning naming the key and the lines', () => {
  it.each([
    {
      name: 'a resource setting',
      text: clearmlFile(`${GPU_T4}\n  ebs_device_name: /dev/sda1\n  ebs_volume_size: 50\n  ebs_volume_size: 100`),
      check: (c: ReturnType<typeof loaded>) => expect(c.resources['gpu_t4']!.ebs?.volumeSizeGiB).toBe(100),
      warns: [
        "configurations.resource_configurations.gpu_t4.ebs_volume_size: written twice, on lines 11 and 12; the last value (100) is used, as ClearML's autoscaler did. Delete the other one",
      ],
    },
    {
      name: 'a secret: its value is never repeated',
      text: clearmlFile(GPU_T4, undefined, 'git_user: me\ngit_pass: first-secret\ngit_pass: second-secret'),
      check: (c: ReturnType<typeof loaded>) => expect(c.agent.gitUser).toBe('me'),
      warns: [
        "hyper_params.git_pass: written twice, on lines 4 and 5; the last value is used, as ClearML's autoscaler did. Delete the other one",
      ],
    },
    {
      name: 'two queue names that YAML 1.1 reads as the same (on, yes: both true)',
      text: clearmlFile(GPU_T4, 'on: [[gpu_t4, 1]]\n    yes: [[gpu_t4, 2]]'),
      check: (c: ReturnType<typeof loaded>) =>
        expect(c.queues).toEqual({ true: [{ resource: 'gpu_t4', maxInstances: 2 }] }),
      warns: [
        "configurations.queues.yes: written twice, on lines 11 and 12; the last value is used, as ClearML's autoscaler did. Delete the other one",
      ],
    },
  ])('$name', ({ text, check, warns }) => {
    const r = loadConfigText(text, HOST);
    check(loaded(r));
    expect(r.warnings.filter((w) => w.includes('written twice'))).toEqual(warns);
    if (text.includes('secret')) expect(r.warnings.join('\n')).not.toMatch(/first-secret|second-secret/);
  });

  it('our own format is still refused for it', () => {
    const r = loadConfigText('clearml: {apiHost: https://api.example.com}\naws: {region: us-east-1}\naws: {}\n');
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([
      { path: '(file)', message: "not valid YAML or JSON (line 3, column 1): map keys must be unique ('aws' repeats)" },
    ]);
  });
});
