import { parseConfig } from '../../shared/config.js';
import { clearmlDifferences, differenceText } from '../../electron/engine/config/clearml-differences.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  API_HOST_PATH,
  awsRegionFromEnv,
  detectFormat,
  importClearmlConfig,
  type ClearmlImport,
} from '../../electron/engine/config/index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/config');
const fixture = (name: string): unknown => parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
const HOST = { clearmlApiHost: 'https://api.clear.ml' };

/** A minimal valid ClearML document; `patch` edits a deep copy. */
function doc(
  patch: (d: { hyper_params: Record<string, unknown>; configurations: Record<string, unknown> }) => void = () => {},
) {
  const d = {
    hyper_params: { cloud_credentials_region: 'us-east-1' } as Record<string, unknown>,
    configurations: {
      resource_configurations: {
        gpu_t4: {
          instance_type: 'g4dn.xlarge',
          is_spot: true,
          availability_zone: 'us-east-1b',
          ami_id: 'ami-0123456789abcdef0',
        } as Record<string, unknown>,
      },
      queues: { aws_gpu: [['gpu_t4', 3]] },
    } as Record<string, unknown>,
  };
  patch(d);
  return d;
}
const res = (d: ReturnType<typeof doc>) =>
  (d.configurations['resource_configurations'] as Record<string, Record<string, unknown>>)['gpu_t4']!;
const RC = 'configurations.resource_configurations.gpu_t4';

function ok(r: ClearmlImport) {
  expect(r.issues).toEqual([]);
  expect(r.config).not.toBeNull();
  return r.config!;
}

describe('detectFormat', () => {
  it.each([
    [{ hyper_params: {}, configurations: {} }, 'clearml'],
    [{ hyper_params: { workers_prefix: 'x' } }, 'clearml'],
    [{ configurations: { queues: {} } }, 'clearml'],
    [{ clearml: { apiHost: 'https://x' }, aws: {}, resources: {}, queues: {} }, 'ours'],
    [{ version: 1 }, 'ours'],
    [{ resources: {} }, 'ours'],
    [{}, 'unknown'],
    [{ foo: 1 }, 'unknown'],
    [[], 'unknown'],
    ['hyper_params', 'unknown'],
    [null, 'unknown'],
    [42, 'unknown'],
  ] as const)('%j is %s', (input, format) => {
    expect(detectFormat(input)).toBe(format);
  });
});

describe("the example aws_autoscaler.yaml (ClearML's documented format)", () => {
  const r = importClearmlConfig(fixture('clearml-reference.yaml'), HOST);

  it('imports and validates, every field where it belongs', () => {
    const c = ok(r);
    expect(c.clearml).toEqual({ apiHost: 'https://api.clear.ml' });
    expect(c.aws.region).toBe('us-east-1');
    expect(c.resources['gpu_t4']).toEqual({
      instanceType: 'g4dn.xlarge',
      market: 'spot',
      spotFallbackToOnDemand: false,
      amiId: 'ami-0123456789abcdef0',
      subnetIds: [],
      availabilityZones: ['us-east-1b'],
      securityGroupIds: ['sg-0123'],
      keyName: 'my-key',
      iamInstanceProfile: { name: 'clearml-agent-profile' },
      ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 100, volumeType: 'gp3' },
      tags: { team: 'ml', owner: 'alice' },
      cpuOnly: false,
      enableMonitoring: false,
    });
    expect(c.queues).toEqual({ aws_gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] });
    expect(c.scaling).toMatchObject({
      pollingIntervalSec: 300,
      maxIdleMin: 15,
      maxSpinUpMin: 30,
      workersPrefix: 'dynamic_aws',
    });
    expect(c.agent).toMatchObject({
      defaultDockerImage: 'nvidia/cuda:12.2.0-runtime-ubuntu22.04',
      extraClearmlConf: 'agent.docker_force_pull: true',
      initScript: '',
      gitUser: '',
    });
  });

  it('moves the AWS keys out of the config, with a warning that they belong in the keychain', () => {
    expect(r.secrets).toEqual({ awsAccessKeyId: 'AKIA...', awsSecretAccessKey: '...' });
    expect(r.warnings).toEqual([expect.stringMatching(/cloud_credentials_\*: .*OS keychain/)]);
    expect(JSON.stringify(r.config)).not.toContain('AKIA');
  });
});

describe('a realistic multi-queue config (strings for numbers, comma lists, legacy keys)', () => {
  const r = importClearmlConfig(fixture('clearml-multi-queue.yaml'), HOST);
  const c = ok(r);

  it('maps queues in order, coercing string numbers and booleans', () => {
    expect(c.queues).toEqual({
      gpu: [
        { resource: 'gpu_spot_t4', maxInstances: 4 },
        { resource: 'gpu_ondemand_a10', maxInstances: 2 },
      ],
      cpu: [{ resource: 'cpu_small', maxInstances: 8 }],
    });
    expect(c.resources['cpu_small']).toMatchObject({ market: 'spot', cpuOnly: true });
    expect(c.resources['gpu_ondemand_a10']!.market).toBe('on-demand');
  });

  it('converts minutes (fractions allowed, unlike ClearML) and keeps the prefix', () => {
    expect(c.scaling).toMatchObject({
      pollingIntervalSec: 30,
      maxIdleMin: 10,
      maxSpinUpMin: 20.5,
      workersPrefix: 'ml_aws',
    });
  });

  it('applies the IAM ARN and merges the global tags into every resource (resource tags win)', () => {
    for (const rc of Object.values(c.resources)) {
      expect(rc.iamInstanceProfile).toEqual({ arn: 'arn:aws:iam::123456789012:instance-profile/clearml-agent' });
      expect(rc.tags['cost-center']).toBe('1234');
    }
    expect(c.resources['gpu_spot_t4']!.tags).toEqual({ project: 'detection', 'cost-center': '1234', owner: 'alice' });
    expect(c.resources['cpu_small']!.tags).toEqual({ project: 'vision', 'cost-center': '1234' });
  });

  it('maps placement, storage, access and monitoring per resource', () => {
    expect(c.resources['gpu_spot_t4']).toMatchObject({
      subnetIds: ['subnet-0a1b2c3d4e5f60718'],
      availabilityZones: [],
      securityGroupIds: ['sg-0a1b2c3d', 'sg-0e0f1a2b'],
      keyName: 'ml-key',
      enableMonitoring: true,
      ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 200, volumeType: 'gp3' },
    });
    // A snapshot without a size or type: the volume is the snapshot's, as ClearML sends only its id.
    expect(c.resources['gpu_ondemand_a10']!.ebs).toEqual({
      deviceName: '/dev/sda1',
      snapshotId: 'snap-0123456789abcdef0',
    });
  });

  it('keeps conf and init script text; extra_trains_conf, which ClearML ignores, stays off the instances', () => {
    expect(c.agent.extraClearmlConf).toBe('agent.docker_force_pull: true\nsdk.aws.s3.region: "eu-west-1"\n');
    expect(c.agent.initScript).toBe('apt-get update\nexport CUDA_CACHE_DISABLE=1\n');
    expect(c.agent.gitUser).toBe('ml-bot');
  });

  it('returns every secret for the keychain and none in the config', () => {
    expect(r.secrets).toEqual({
      awsAccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      gitPassword: 'ghp_exampleexampleexampleexample0000',
    });
    const text = JSON.stringify(c);
    for (const s of Object.values(r.secrets)) expect(text).not.toContain(s);
  });

  it('warns about what it cannot honour, naming the ignored keys; unused ClearML fields pass silently', () => {
    expect(r.differences.filter((d) => d.code === 'not-carried')).toEqual(
      expect.arrayContaining([
        {
          code: 'not-carried',
          path: 'configurations.resource_configurations.gpu_ondemand_a10.extra_configurations.MetadataOptions',
          reason: 'launch-spec-override',
        },
        {
          code: 'not-carried',
          path: 'configurations.resource_configurations.gpu_ondemand_a10.extra_configurations.TagSpecifications',
          reason: 'launch-spec-override',
        },
        { code: 'not-carried', path: 'hyper_params.use_iam_instance_profile', reason: 'unused-by-clearml' },
      ]),
    );
    expect(r.warnings).toContainEqual(
      expect.stringMatching(/^configurations\.extra_trains_conf: ClearML's autoscaler ignores it/),
    );
    expect(r.warnings.join('\n')).not.toMatch(/ebs_volume_size|ebs_snapshot_id/);
    expect(r.warnings.join('\n')).not.toMatch(
      /cloud_provider|use_iam_instance_profile|not a ClearML autoscaler setting/,
    );
  });
});

describe('broken files: every issue at its path in the original file, saying what is valid', () => {
  it.each([
    ['clearml-bad-instance-type.yaml', `${RC}.instance_type`, /instance type must look like g4dn\.xlarge/],
    ['clearml-missing-ami.yaml', `${RC}.ami_id`, /missing: required, an AMI id such as ami-0123456789abcdef0/],
    [
      'clearml-queue-not-list.yaml',
      'configurations.queues.aws_gpu',
      /must be a list of \[resource, max instances\] pairs, e\.g\. \[\[gpu_t4, 3\]\]; got "gpu_t4"/,
    ],
    [
      'clearml-undefined-resource.yaml',
      'configurations.queues.aws_gpu.1.0',
      /unknown resource 'gpu_a100'; defined resources: gpu_t4/,
    ],
  ])('%s', (file, issuePath, message) => {
    const r = importClearmlConfig(fixture(file), HOST);
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([{ path: issuePath, message: expect.stringMatching(message) as unknown }]);
  });

  it.each<[string, (d: ReturnType<typeof doc>) => void, string, RegExp]>([
    [
      'region missing',
      (d) => delete d.hyper_params['cloud_credentials_region'],
      'hyper_params.cloud_credentials_region',
      /missing: required, an AWS region such as us-east-1/,
    ],
    [
      'region malformed',
      (d) => (d.hyper_params['cloud_credentials_region'] = 'Frankfurt'),
      'hyper_params.cloud_credentials_region',
      /region must look like us-east-1/,
    ],
    [
      'instance type missing',
      (d) => delete res(d)['instance_type'],
      `${RC}.instance_type`,
      /missing: required, an EC2 instance type/,
    ],
    [
      'idle minutes not a number',
      (d) => (d.hyper_params['max_idle_time_min'] = 'ten'),
      'hyper_params.max_idle_time_min',
      /must be a number of minutes, not "ten"/,
    ],
    [
      'polling far too fast',
      (d) => (d.hyper_params['polling_interval_time_min'] = 0.01),
      'hyper_params.polling_interval_time_min',
      /at least 2 s \(the file says 0\.01 min = 0\.6 s\)/,
    ],
    [
      'bad global tag string',
      (d) => (d.hyper_params['tags'] = 'team=ml, oops'),
      'hyper_params.tags',
      /tag 'oops' must be key=value; write tags as "team=ml, owner=alice"/,
    ],
    [
      'reserved global tag key',
      (d) => (d.hyper_params['tags'] = 'aws:owner=me'),
      'hyper_params.tags',
      /reserved by AWS/,
    ],
    [
      "a tag with the autoscaler's own prefix",
      (d) => (d.hyper_params['tags'] = 'clearml-autoscaler:queue=mine'),
      'hyper_params.tags',
      /'clearml-autoscaler:' are reserved for the autoscaler's own tags; choose another key/,
    ],
    ['bad resource tag string', (d) => (res(d)['tags'] = '=x'), `${RC}.tags`, /must be key=value/],
    [
      'resource name with a space',
      (d) => {
        const rcs = d.configurations['resource_configurations'] as Record<string, unknown>;
        rcs['gpu t4'] = rcs['gpu_t4'];
        delete rcs['gpu_t4'];
        d.configurations['queues'] = { aws_gpu: [['gpu t4', 1]] };
      },
      'configurations.resource_configurations.gpu t4',
      /invalid name 'gpu t4': resource name may contain only letters/,
    ],
    [
      'is_spot not boolean',
      (d) => (res(d)['is_spot'] = 'maybe'),
      `${RC}.is_spot`,
      /must be true or false, not "maybe"/,
    ],
    [
      'bad security group in a comma list',
      (d) => (res(d)['security_group_ids'] = 'sg-0123abcd, default'),
      `${RC}.security_group_ids.1`,
      /security group id must look like sg-0123abcd/,
    ],
    [
      'bad subnet',
      (d) => (res(d)['subnet_id'] = 'my-subnet'),
      `${RC}.subnet_id.0`,
      /subnet id must look like subnet-0123abcd/,
    ],
    [
      'EBS volume too small',
      (d) => Object.assign(res(d), { ebs_device_name: '/dev/sda1', ebs_volume_size: 100, ebs_volume_type: 'st1' }),
      `${RC}.ebs_volume_size`,
      /^must be at least 125 GiB for a st1 volume \(EC2's minimum\)$/,
    ],
    [
      'EBS volume type unknown',
      (d) => Object.assign(res(d), { ebs_device_name: '/dev/sda1', ebs_volume_type: 'gp9' }),
      `${RC}.ebs_volume_type`,
      /gp3/,
    ],
    [
      'IAM ARN malformed',
      (d) => (d.hyper_params['iam_arn'] = 'clearml-role'),
      'hyper_params.iam_arn',
      /must be an instance-profile ARN/,
    ],
    [
      'queue entry not a pair',
      (d) => (d.configurations['queues'] = { aws_gpu: [['gpu_t4']] }),
      'configurations.queues.aws_gpu.0',
      /must be a pair \[resource, max instances\]/,
    ],
    [
      'queue max fractional, as text',
      (d) => (d.configurations['queues'] = { aws_gpu: [['gpu_t4', '1.5']] }),
      'configurations.queues.aws_gpu.0.1',
      /^is the text "1\.5", which ClearML's autoscaler could not read as a whole number .* e\.g\. 1$/,
    ],
    [
      'queues missing',
      (d) => delete d.configurations['queues'],
      'configurations.queues',
      /missing: a map of queue name/,
    ],
    [
      'resource not a mapping',
      (d) => ((d.configurations['resource_configurations'] as Record<string, unknown>)['gpu_t4'] = 'g4dn'),
      RC,
      /must be a mapping of resource settings/,
    ],
    [
      'workers prefix with a colon',
      (d) => (d.hyper_params['workers_prefix'] = 'a:b'),
      'hyper_params.workers_prefix',
      /no ':' or '\/'/,
    ],
  ])('%s', (_name, patch, issuePath, message) => {
    const r = importClearmlConfig(doc(patch), HOST);
    expect(r.config).toBeNull();
    expect(r.issues).toContainEqual({ path: issuePath, message: expect.stringMatching(message) as unknown });
  });

  it('reports every problem at once, not just the first', () => {
    const r = importClearmlConfig(
      doc((d) => {
        d.hyper_params['max_idle_time_min'] = 'ten';
        res(d)['instance_type'] = 'huge';
        delete res(d)['ami_id'];
      }),
      HOST,
    );
    expect(r.issues.map((i) => i.path).sort()).toEqual(
      ['hyper_params.max_idle_time_min', `${RC}.ami_id`, `${RC}.instance_type`].sort(),
    );
  });

  it('a non-mapping document is refused', () => {
    expect(importClearmlConfig(['x'], HOST).issues).toEqual([
      {
        path: '(root)',
        message: expect.stringMatching(/expected a mapping with hyper_params and configurations/) as unknown,
      },
    ]);
  });
});

describe('the ClearML API host (not in the file)', () => {
  it.each([undefined, null, '', '  '])('missing (%j): a clear issue, other issues still reported', (host) => {
    const r = importClearmlConfig(
      doc((d) => (res(d)['instance_type'] = 'huge')),
      { clearmlApiHost: host },
    );
    expect(r.config).toBeNull();
    expect(r.issues).toContainEqual({
      path: API_HOST_PATH,
      message: expect.stringMatching(/CLEARML_API_HOST or api\.api_server in ~\/clearml\.conf/) as unknown,
    });
    expect(r.issues.map((i) => i.path)).toContain(`${RC}.instance_type`);
  });

  it('malformed: reported at the same place with what is valid', () => {
    const r = importClearmlConfig(doc(), { clearmlApiHost: 'ftp://files.example.com' });
    expect(r.issues).toEqual([{ path: API_HOST_PATH, message: expect.stringMatching(/http\(s\) URL/) as unknown }]);
  });

  it('web and files hosts are taken when given', () => {
    const c = ok(
      importClearmlConfig(doc(), {
        clearmlApiHost: 'https://api.example.com',
        clearmlWebHost: 'https://app.example.com',
        clearmlFilesHost: 'https://files.example.com',
      }),
    );
    expect(c.clearml).toEqual({
      apiHost: 'https://api.example.com',
      webHost: 'https://app.example.com',
      filesHost: 'https://files.example.com',
    });
  });
});

describe('field by field', () => {
  it('every documented ClearML key is understood: no "not a setting" warning for any of them', () => {
    const r = importClearmlConfig(
      {
        hyper_params: {
          cloud_credentials_key: 'AKIAEXAMPLEEXAMPLE01',
          cloud_credentials_secret: 'secret',
          cloud_credentials_token: 'token',
          cloud_credentials_region: 'us-east-2',
          use_credentials_chain: false,
          use_iam_instance_profile: true,
          iam_arn: '',
          iam_name: 'profile',
          git_user: 'me',
          git_pass: 'pw',
          default_docker_image: '',
          max_idle_time_min: 0.5,
          polling_interval_time_min: 1,
          max_spin_up_time_min: 7.5,
          workers_prefix: 'wp',
          cloud_provider: 'aws',
          tags: 'a=b',
        },
        configurations: {
          resource_configurations: {
            r1: {
              instance_type: 'm6i.large',
              is_spot: false,
              availability_zone: '',
              subnet_id: 'subnet-0123abcd',
              ami_id: 'ami-0123456789abcdef0',
              ebs_device_name: '/dev/xvda',
              ebs_volume_size: 50,
              ebs_volume_type: 'gp2',
              ebs_snapshot_id: 'snap-0123456789abcdef0',
              key_name: '',
              security_group_ids: [],
              tags: '',
              cpu_only: true,
              enable_monitoring: 'yes',
              extra_configurations: {},
            },
          },
          queues: { q_all: [['r1', 0]] },
          extra_clearml_conf: 'x: 1',
          extra_trains_conf: '',
          extra_vm_bash_script: 'echo hi',
        },
      },
      HOST,
    );
    const c = ok(r);
    expect(r.warnings).toEqual([
      expect.stringMatching(/cloud_credentials_\*: AWS keys were taken out/),
      expect.stringMatching(/git_pass/),
      expect.stringMatching(
        /^configurations\.resource_configurations\.r1\.ebs_snapshot_id: ClearML ignores ebs_volume_size and ebs_volume_type beside a snapshot/,
      ),
      // Fractions this app takes, where ClearML's autoscaler took only whole minutes.
      expect.stringMatching(/^hyper_params\.max_idle_time_min is 0\.5: ClearML's autoscaler refused to start with it/),
      expect.stringMatching(/^hyper_params\.max_spin_up_time_min is 7\.5: ClearML's autoscaler refused to start/),
    ]);
    expect(r.secrets).toEqual({
      awsAccessKeyId: 'AKIAEXAMPLEEXAMPLE01',
      awsSecretAccessKey: 'secret',
      awsSessionToken: 'token',
      gitPassword: 'pw',
    });
    expect(c.scaling).toMatchObject({
      maxIdleMin: 0.5,
      pollingIntervalSec: 60,
      maxSpinUpMin: 7.5,
      workersPrefix: 'wp',
    });
    expect(c.agent).toMatchObject({
      gitUser: 'me',
      defaultDockerImage: '',
      extraClearmlConf: 'x: 1',
      initScript: 'echo hi',
    });
    expect(c.resources['r1']).toEqual({
      instanceType: 'm6i.large',
      market: 'on-demand',
      spotFallbackToOnDemand: false,
      amiId: 'ami-0123456789abcdef0',
      subnetIds: ['subnet-0123abcd'],
      availabilityZones: [],
      securityGroupIds: [],
      iamInstanceProfile: { name: 'profile' },
      ebs: { deviceName: '/dev/xvda', volumeSizeGiB: 50, volumeType: 'gp2', snapshotId: 'snap-0123456789abcdef0' },
      tags: { a: 'b' },
      cpuOnly: true,
      enableMonitoring: true,
    });
    expect(c.queues).toEqual({ q_all: [{ resource: 'r1', maxInstances: 0 }] });
  });

  it("workers_prefix defaults to ClearML's own default, which decides which workers are ours", () => {
    expect(ok(importClearmlConfig(doc(), HOST)).scaling.workersPrefix).toBe('dynamic_worker');
  });

  it('a queue with an empty resource list is left out with a warning that says how to keep it shown', () => {
    const r = importClearmlConfig(
      doc((d) => (d.configurations['queues'] = { aws_gpu: [['gpu_t4', 3]], idle_q: [] })),
      HOST,
    );
    expect(Object.keys(ok(r).queues)).toEqual(['aws_gpu']);
    expect(r.warnings).toEqual([
      "configurations.queues.idle_q: no resources, so nothing is ever launched for it (ClearML's autoscaler created the queue and launched nothing for it either); left out. To have it shown here, give it a resource capped at 0: idle_q: [[gpu_t4, 0]]",
    ]);
  });

  it.each([
    ['us-east-1b', true],
    ['us-gov-west-1a', true],
    ['us-west-2-lax-1a', true],
    ['us-east-1-bos-1a', true],
    ['us-east-1-wl1-bos-wlz-1', true],
    ['ap-northeast-1-tpe-1a', true],
    ['us-east-1', false],
    ['us-east-1-', false],
    ['US-EAST-1B', false],
    ['use1-az1', false],
  ])('availability_zone %s accepted: %s', (zone, accepted) => {
    const r = importClearmlConfig(
      doc((d) => (res(d)['availability_zone'] = zone)),
      HOST,
    );
    if (accepted) expect(ok(r).resources['gpu_t4']!.availabilityZones).toEqual([zone]);
    else expect(r.issues).toEqual([{ path: `${RC}.availability_zone.0`, message: 'zone must look like us-east-1b' }]);
  });

  describe("bounds ClearML's autoscaler did not have: lifted where arbitrary, kept where they protect", () => {
    type D = Parameters<NonNullable<Parameters<typeof doc>[0]>>[0];
    const cases: Array<{
      name: string;
      patch: (d: D) => void;
      ok?: (c: NonNullable<ClearmlImport['config']>) => void;
      warns?: RegExp;
      issue?: { path: string; message: RegExp };
    }> = [
      {
        name: 'ebs_device_name: xvda gets /dev/, with a warning (EC2 takes both forms)',
        patch: (d) => Object.assign(res(d), { ebs_device_name: 'xvda' }),
        ok: (c) => expect(c.resources['gpu_t4']!.ebs?.deviceName).toBe('/dev/xvda'),
        warns:
          /^configurations\.resource_configurations\.gpu_t4\.ebs_device_name: xvda is written without \/dev\/; imported as \/dev\/xvda/,
      },
      {
        name: 'ebs_device_name: /dev/xvdba as written',
        patch: (d) => Object.assign(res(d), { ebs_device_name: '/dev/xvdba' }),
        ok: (c) => expect(c.resources['gpu_t4']!.ebs?.deviceName).toBe('/dev/xvdba'),
      },
      {
        name: 'a 4 GiB volume (lifted: EC2 decides, a data volume may be small)',
        patch: (d) => Object.assign(res(d), { ebs_device_name: '/dev/sdf', ebs_volume_size: 4 }),
        ok: (c) => expect(c.resources['gpu_t4']!.ebs?.volumeSizeGiB).toBe(4),
      },
      {
        name: 'an io1 volume under EC2 4 GiB minimum',
        patch: (d) =>
          Object.assign(res(d), { ebs_device_name: '/dev/sdf', ebs_volume_size: 3, ebs_volume_type: 'io1' }),
        issue: { path: `${RC}.ebs_volume_size`, message: /^must be at least 4 GiB for a io1 volume/ },
      },
      {
        name: 'a queue cap of 2000 (lifted to scaling.maxTotalInstances bound)',
        patch: (d) => (d.configurations['queues'] = { aws_gpu: [['gpu_t4', 2000]] }),
        ok: (c) => {
          expect(c.queues['aws_gpu']).toEqual([{ resource: 'gpu_t4', maxInstances: 2000 }]);
          expect(c.scaling.maxTotalInstances).toBe(2000);
        },
      },
      {
        name: 'a queue cap over 10000',
        patch: (d) => (d.configurations['queues'] = { aws_gpu: [['gpu_t4', 10001]] }),
        issue: { path: 'configurations.queues.aws_gpu.0.1', message: /^must be at most 10000$/ },
      },
      {
        name: 'a 60 min poll',
        patch: (d) => (d.hyper_params['polling_interval_time_min'] = 60),
        ok: (c) => expect(c.scaling.pollingIntervalSec).toBe(3600),
      },
      {
        name: 'a 120 min poll (kept: a queued task would wait that long), said in minutes',
        patch: (d) => (d.hyper_params['polling_interval_time_min'] = 120),
        issue: {
          path: 'hyper_params.polling_interval_time_min',
          message:
            /^120 min is more than this app's 60 min \(ClearML's autoscaler allowed it\)\..*write 60 or less \(ClearML's default is 5\)$/,
        },
      },
      {
        name: 'a spin-up time of 0 (kept: every booting instance would be stuck)',
        patch: (d) => (d.hyper_params['max_spin_up_time_min'] = 0),
        issue: {
          path: 'hyper_params.max_spin_up_time_min',
          message: /^must be more than 0 \(ClearML's autoscaler allowed 0, and then terminated as stuck .*e\.g\. 30/,
        },
      },
    ];
    it.each(cases)('$name', ({ patch, ok: check, warns, issue }) => {
      const r = importClearmlConfig(doc(patch), HOST);
      if (issue) {
        expect(r.issues).toEqual([{ path: issue.path, message: expect.stringMatching(issue.message) as unknown }]);
        return;
      }
      check!(ok(r));
      const extra = r.warnings.filter((w) => !/neither subnet_id/.test(w));
      expect(extra).toEqual(warns ? [expect.stringMatching(warns) as unknown] : []);
    });
  });

  it.each([
    {
      name: 'a flat pair (the outer list forgotten)',
      queues: { aws_gpu: ['gpu_t4', 3] },
      issues: [
        {
          path: 'configurations.queues.aws_gpu',
          message:
            'must be a list of [resource, max instances] pairs: write the pair inside a list, aws_gpu: [[gpu_t4, 3]]',
        },
      ],
    },
    {
      name: 'a triple',
      queues: { aws_gpu: [['gpu_t4', 3, 1]] },
      issues: [
        {
          path: 'configurations.queues.aws_gpu.0',
          message: 'must be a pair [resource, max instances], e.g. [gpu_t4, 3]; got ["gpu_t4",3,1]',
        },
      ],
    },
    {
      name: 'a pair and a bare name',
      queues: { aws_gpu: [['gpu_t4', 3], 'gpu_t4', ['gpu_t4', 1]] },
      issues: [
        {
          path: 'configurations.queues.aws_gpu.1',
          message: 'must be a pair [resource, max instances], e.g. [gpu_t4, 3]; got "gpu_t4"',
        },
      ],
    },
    {
      name: 'a fractional cap as text: at the entry, not on a setting the file does not have',
      queues: { aws_gpu: [['gpu_t4', '3.5']] },
      issues: [
        {
          path: 'configurations.queues.aws_gpu.0.1',
          message:
            'is the text "3.5", which ClearML\'s autoscaler could not read as a whole number (Python\'s int() fails on it): each poll stopped there while aws_gpu had tasks waiting, so nothing was launched or terminated for any queue. Write a whole number of instances, e.g. 3',
        },
      ],
    },
  ])('a queue entry of the wrong shape or cap: one issue, where it is written ($name)', ({ queues, issues }) => {
    const r = importClearmlConfig(
      doc((d) => (d.configurations['queues'] = queues)),
      HOST,
    );
    expect(r.config).toBeNull();
    expect(r.issues).toEqual(issues);
  });

  it.each([
    { name: 'text', trains: 'agent.package_manager.type: pip', warns: true },
    { name: 'a HOCON block', trains: 'agent {\n  git_user: x\n}\n', warns: true },
    {
      name: 'a map (ClearML never reads it, so its type is no issue)',
      trains: { agent: { git_user: 'x' } },
      warns: true,
    },
    { name: "empty, as ClearML's wizard writes it", trains: '', warns: false },
    { name: 'null', trains: null, warns: false },
  ])('extra_trains_conf ($name): left off the instances, as ClearML leaves it', ({ trains, warns }) => {
    const r = importClearmlConfig(
      doc((d) => Object.assign(d.configurations, { extra_clearml_conf: 'sdk.x: 1', extra_trains_conf: trains })),
      HOST,
    );
    // ClearML's CloudDriver writes only extra_clearml_conf into the instances' clearml.conf.
    expect(ok(r).agent.extraClearmlConf).toBe('sdk.x: 1');
    expect(r.warnings.filter((w) => w.includes('extra_trains_conf'))).toEqual(
      warns
        ? [
            "configurations.extra_trains_conf: ClearML's autoscaler ignores it (only extra_clearml_conf reaches the instances' clearml.conf), so it is not put on the instances here either. If its settings are meant for the agents, move them into extra_clearml_conf",
          ]
        : [],
    );
  });

  describe('a true/false setting written as text that says false', () => {
    // ClearML's autoscaler tests these by Python truthiness: any non-empty text was true there.
    const set = (field: string, value: unknown) =>
      doc((d) => {
        if (field === 'use_credentials_chain')
          Object.assign(d.hyper_params, {
            use_credentials_chain: value,
            cloud_credentials_key: 'AKIAX',
            cloud_credentials_secret: 's',
          });
        else res(d)[field] = value;
      });
    const read = (c: NonNullable<ClearmlImport['config']>, r: ClearmlImport, field: string) =>
      field === 'is_spot'
        ? c.resources['gpu_t4']!.market === 'spot'
        : field === 'cpu_only'
          ? c.resources['gpu_t4']!.cpuOnly
          : field === 'enable_monitoring'
            ? c.resources['gpu_t4']!.enableMonitoring
            : r.secrets.awsAccessKeyId === undefined;
    it.each([
      ['is_spot', 'false', `${RC}.is_spot`, /so it launched spot instances\. Imported as false \(on-demand/],
      ['is_spot', 'no', `${RC}.is_spot`, /launched spot instances/],
      ['is_spot', '0', `${RC}.is_spot`, /launched spot instances/],
      ['cpu_only', 'False', `${RC}.cpu_only`, /hid the GPUs from the agent .*Imported as false \(the agent uses/],
      ['enable_monitoring', 'off', `${RC}.enable_monitoring`, /turned on detailed CloudWatch monitoring/],
      [
        'use_credentials_chain',
        'false',
        'hyper_params.use_credentials_chain',
        /used the default AWS credential chain .*--remote.*Imported as false \(the AWS keys in this file are used/,
      ],
    ])('%s: %j is false as written, with a warning of what ClearML did', (field, text, path, effect) => {
      const r = importClearmlConfig(set(field, text), HOST);
      const c = ok(r);
      expect(read(c, r, field)).toBe(false);
      const w = r.warnings.filter((x) => x.startsWith(`${path} is the text`));
      expect(w).toEqual([expect.stringMatching(effect) as unknown]);
      expect(w[0]).toContain(`${JSON.stringify(text)}: ClearML's autoscaler treats any non-empty text as true`);
      expect(w[0]).toMatch(new RegExp(`write ${field}: true; to say false, write ${field}: false without quotes$`));
    });

    it.each([
      ['is_spot', false],
      ['is_spot', 'true'],
      ['is_spot', 'Yes'],
      ['cpu_only', ''],
      ['enable_monitoring', true],
      ['use_credentials_chain', false],
    ])('%s: %j reads the same in ClearML: nothing to say', (field, value) => {
      const r = importClearmlConfig(set(field, value), HOST);
      ok(r);
      expect(r.warnings.filter((x) => x.includes(' is the text '))).toEqual([]);
    });
  });

  it('use_credentials_chain: explicit keys are ignored, as ClearML does', () => {
    const r = importClearmlConfig(
      doc((d) =>
        Object.assign(d.hyper_params, {
          use_credentials_chain: 'True',
          cloud_credentials_key: 'AKIAX',
          cloud_credentials_secret: 's',
        }),
      ),
      HOST,
    );
    ok(r);
    expect(r.secrets).toEqual({});
    expect(r.warnings).toEqual([expect.stringMatching(/ignored because use_credentials_chain is true/)]);
  });

  it('half a key pair is not returned', () => {
    const r = importClearmlConfig(
      doc((d) => (d.hyper_params['cloud_credentials_key'] = 'AKIAX')),
      HOST,
    );
    expect(r.secrets).toEqual({});
    expect(r.warnings).toContainEqual(expect.stringMatching(/only one of the pair is set/));
  });

  it('iam_arn wins over iam_name, with a warning', () => {
    const r = importClearmlConfig(
      doc((d) =>
        Object.assign(d.hyper_params, { iam_arn: 'arn:aws:iam::123456789012:instance-profile/p', iam_name: 'n' }),
      ),
      HOST,
    );
    expect(ok(r).resources['gpu_t4']!.iamInstanceProfile).toEqual({
      arn: 'arn:aws:iam::123456789012:instance-profile/p',
    });
    expect(r.warnings).toContainEqual(expect.stringMatching(/iam_name: ignored because iam_arn is set/));
  });

  it.each<[string, (d: ReturnType<typeof doc>) => void, RegExp]>([
    [
      'subnet and zone both set',
      (d) => (res(d)['subnet_id'] = 'subnet-0123abcd'),
      /subnet decides the zone, so availability_zone is ignored/,
    ],
    ['neither subnet nor zone', (d) => delete res(d)['availability_zone'], /EC2 will pick a zone/],
    ['is_spot missing', (d) => delete res(d)['is_spot'], /is_spot: missing .*on-demand assumed/],
    ['EBS size without a device', (d) => (res(d)['ebs_volume_size'] = 200), /ignored without ebs_device_name/],
    [
      'unknown resource key',
      (d) => (res(d)['spot_price'] = 1),
      /gpu_t4\.spot_price: not a ClearML autoscaler setting; ignored/,
    ],
    [
      'a tag key EC2 refuses when tags are readable from instance metadata',
      (d) => (res(d)['tags'] = 'cost center=1, team/sub=x, ok=1'),
      /gpu_t4\.tags: keys 'cost center', 'team\/sub' cannot be used on instances that expose tags to instance metadata/,
    ],
    [
      'unknown top-level key',
      (d) => (d.hyper_params['colour'] = 'red'),
      /hyper_params\.colour: not a ClearML autoscaler setting/,
    ],
  ])('%s: imported with a warning', (_name, patch, warning) => {
    const r = importClearmlConfig(doc(patch), HOST);
    ok(r);
    expect(r.warnings).toContainEqual(expect.stringMatching(warning));
  });

  it('the global instance cap is the sum of the queue caps, so the import never scales less than ClearML did', () => {
    const c = ok(
      importClearmlConfig(
        doc(() => undefined),
        HOST,
      ),
    );
    expect(c.scaling.maxTotalInstances).toBe(3);
  });

  it('a budget cap for a queue that is not configured is refused with its path', () => {
    const r = parseConfig({
      ...ok(
        importClearmlConfig(
          doc(() => undefined),
          HOST,
        ),
      ),
      budgets: { queues: { nope: { hourlyUsd: 1 } } },
    });
    expect(r.ok ? [] : r.issues).toEqual([
      {
        path: 'budgets.queues.nope',
        message: "queue 'nope' is not configured (configured: aws_gpu); remove this cap or add the queue",
      },
    ]);
  });

  it('tag keys EC2 would refuse are left out, the rest kept', () => {
    const c = ok(
      importClearmlConfig(
        doc((d) => (res(d)['tags'] = 'cost center=1, team/sub=x, ok=1')),
        HOST,
      ),
    );
    expect(c.resources['gpu_t4']?.tags).toEqual({ ok: '1' });
  });

  it('subnet and zone both set: the zone is dropped', () => {
    const c = ok(
      importClearmlConfig(
        doc((d) => (res(d)['subnet_id'] = 'subnet-0123abcd')),
        HOST,
      ),
    );
    expect(c.resources['gpu_t4']).toMatchObject({ subnetIds: ['subnet-0123abcd'], availabilityZones: [] });
  });

  it('EBS settings without a device are not applied', () => {
    expect(
      ok(
        importClearmlConfig(
          doc((d) => (res(d)['ebs_volume_size'] = 200)),
          HOST,
        ),
      ).resources['gpu_t4']!.ebs,
    ).toBeUndefined();
  });

  it('tags given as a YAML map are accepted', () => {
    const c = ok(
      importClearmlConfig(
        doc((d) => (res(d)['tags'] = { team: 'ml', n: 3 })),
        HOST,
      ),
    );
    expect(c.resources['gpu_t4']!.tags).toEqual({ team: 'ml', n: '3' });
  });
});

describe('a file without cloud_credentials_region', () => {
  const noRegion = () => doc((d) => delete d.hyper_params['cloud_credentials_region']);

  it("takes the environment's region when the caller passes it, and says from which variable", () => {
    const r = importClearmlConfig(noRegion(), {
      ...HOST,
      awsRegion: { region: 'eu-west-1', from: 'AWS_REGION', variable: true },
    });
    expect(ok(r).aws.region).toBe('eu-west-1');
    expect(r.warnings).toContainEqual(
      expect.stringMatching(
        /^hyper_params\.cloud_credentials_region: not set; the region is eu-west-1, from AWS_REGION in this environment/,
      ),
    );
  });

  it("the file's own region wins over the environment's, with no warning", () => {
    const r = importClearmlConfig(doc(), {
      ...HOST,
      awsRegion: { region: 'eu-west-1', from: 'AWS_REGION', variable: true },
    });
    expect(ok(r).aws.region).toBe('us-east-1');
    expect(r.warnings.join('\n')).not.toMatch(/cloud_credentials_region/);
  });

  it('a malformed region from the environment is an issue that names the variable', () => {
    const r = importClearmlConfig(noRegion(), {
      ...HOST,
      awsRegion: { region: 'Frankfurt', from: 'AWS_DEFAULT_REGION' },
    });
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([
      {
        path: 'hyper_params.cloud_credentials_region',
        message: expect.stringMatching(
          /region must look like us-east-1.*\(it came from AWS_DEFAULT_REGION\)/,
        ) as unknown,
      },
    ]);
  });

  it('awsRegionFromEnv: AWS_REGION, then AWS_DEFAULT_REGION, else none', () => {
    expect(awsRegionFromEnv({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' })).toEqual({
      region: 'eu-west-1',
      from: 'AWS_REGION',
      variable: true,
    });
    expect(awsRegionFromEnv({ AWS_REGION: ' ', AWS_DEFAULT_REGION: 'us-east-2' })).toEqual({
      region: 'us-east-2',
      from: 'AWS_DEFAULT_REGION',
      variable: true,
    });
    expect(awsRegionFromEnv({})).toBeNull();
  });
});

describe('an init script that fits under ClearML but not here', () => {
  const withInit = (bytes: number) =>
    importClearmlConfig(
      doc((d) => (d.configurations['extra_vm_bash_script'] = 'x'.repeat(bytes))),
      HOST,
    );

  it("is an issue at extra_vm_bash_script, with the script's size, the limit and how much to cut", () => {
    // 12 KB fits in ClearML's 1 KB template (about 13 KB in all); ours is larger.
    const r = withInit(12_000);
    expect(r.config).toBeNull();
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]!.path).toBe('configurations.extra_vm_bash_script');
    const m =
      /is (\d+) bytes, over EC2's 16384-byte user-data limit.*the init script is 12000 bytes.*by at least (\d+) bytes/.exec(
        r.issues[0]!.message,
      );
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(Number(m![1]) - 16384);
    expect(r.issues[0]!.message).toMatch(/bake the setup into the AMI/);
  });

  it('a few KB import as before', () => {
    expect(withInit(3_000).config).not.toBeNull();
  });
});

describe("ClearML's example configs import without surprises", () => {
  const codes = (r: ClearmlImport) => r.differences.map((d) => d.code);

  it("the example wizard's file: ClearML's behaviour by default, every difference listed with its setting", () => {
    const r = importClearmlConfig(fixture('clearml-wizard.yaml'), HOST);
    const c = ok(r);
    // ClearML's behaviour where a setting allows it.
    expect(c.scaling).toMatchObject({ maxIdleMin: 15, surplusIdleMin: 15, pollingIntervalSec: 300, maxSpinUpMin: 30 });
    expect(c.resources['aws4gpu']).toMatchObject({ market: 'spot', spotFallbackToOnDemand: false });
    expect(c.agent.extraClearmlConfShellExpand).toBe(true);
    // Fields not carried over: the AWS keys (to the keychain). cloud_provider is empty, so nothing is lost.
    expect(r.differences.filter((d) => d.code === 'not-carried')).toEqual([
      { code: 'not-carried', path: 'hyper_params.cloud_credentials_key', reason: 'secret-to-keychain' },
      { code: 'not-carried', path: 'hyper_params.cloud_credentials_secret', reason: 'secret-to-keychain' },
    ]);
    expect(codes(r)).toEqual([
      'not-carried',
      'not-carried',
      'surplus-idle',
      'preference',
      'spot-fallback-off',
      'agent-pinned',
      'agent-queue-poll',
      'lease',
      'startup-script',
      'imds-v2-only',
      'agent-exit-powers-off',
      'tags-at-launch',
      'zombie-workers',
      'lost-tasks-requeued',
      'idle-kept-per-pending',
      'global-cap',
      'foreign-instances',
    ]);
    const views = r.differences.map(differenceText);
    expect(views.find((d) => d.code === 'surplus-idle')).toMatchObject({ setting: 'scaling.surplusIdleMin' });
    // The import leaves scaling.preference at its default, balanced, which lets some idle workers go before
    // max_idle_time_min: the surplus entry says so rather than "as in ClearML" alone, and the preference entry
    // says how, and which value is closest to ClearML.
    expect(c.scaling.preference).toBe('balanced');
    expect(views.find((d) => d.code === 'surplus-idle')?.text).toMatch(
      /as in ClearML \(scaling\.surplusIdleMin is set to it\), but at scaling\.preference balanced some idle workers go sooner/,
    );
    const pref = views.find((d) => d.code === 'preference');
    expect(pref?.setting).toBe('scaling.preference');
    expect(pref?.text).toMatch(/^scaling\.preference is balanced, this app's default/);
    expect(pref?.text).toMatch(/terminated right after its task/);
    expect(pref?.text).toMatch(/with nothing pending yet/);
    expect(pref?.text).toMatch(/idled twice as long as that task was expected, before max_idle_time_min \(15 min\)/);
    expect(pref?.text).toMatch(/left to a busy worker likely to finish within a boot/);
    expect(pref?.text).toMatch(/Set scaling\.preference: latency to be closest to ClearML/);
    expect(views.find((d) => d.code === 'spot-fallback-off')?.text).toContain('aws4gpu');
    expect(views.find((d) => d.code === 'agent-pinned')?.text).toContain('clearml-agent 3.0.3');
    expect(c.agent.queuePollSec).toBe(2);
    const poll = views.find((d) => d.code === 'agent-queue-poll');
    expect(poll?.setting).toBe('agent.queuePollSec');
    expect(poll?.text).toMatch(/every 2 s, where ClearML's instances keep the agent's default of 5 s/);
    expect(views.find((d) => d.code === 'lease')).toMatchObject({ setting: 'lease.enabled' });
    // A user's IMDSv1 curl gets 401 here: the entry says so and how to read metadata instead.
    const imds = views.find((d) => d.code === 'imds-v2-only')?.text;
    expect(imds).toMatch(/IMDSv1 off/);
    expect(imds).toContain('401');
    expect(imds).toContain('/latest/api/token');
    expect(imds).toContain('$DYNAMIC_INSTANCE_ID');
    // The build tools ClearML's script installs at every boot and ours does not, with how to get them.
    expect(views.find((d) => d.code === 'startup-script')?.text).toContain(
      'apt-get install -y build-essential gcc git python3-dev python3-pip',
    );
    expect(views.find((d) => d.code === 'startup-script')?.text).toMatch(
      /agent venv active, DYNAMIC_INSTANCE_ID exported, ~\/\.bashrc sourced/,
    );
    for (const v of views) expect(v.text.length).toBeGreaterThan(20);
  });

  it('a switch-over config: Name tag kept, $ warned, launch-spec override and dead flags listed, default poll', () => {
    const r = importClearmlConfig(fixture('clearml-switch-over.yaml'), HOST);
    const c = ok(r);
    expect(c.resources['gpu_t4']!.tags).toEqual({ Name: 'clearml-gpu-worker', team: 'ml' });
    expect(c.agent.initScript).toContain('apt-get install -y docker.io');
    expect(c.scaling).toMatchObject({ pollingIntervalSec: 300, maxIdleMin: 20, surplusIdleMin: 20 });
    expect(r.warnings).toContainEqual(expect.stringMatching(/^configurations\.extra_clearml_conf contains '\$'/));
    expect(
      r.differences.filter((d) => d.code === 'not-carried').map((d) => d.code === 'not-carried' && d.path),
    ).toEqual([
      'hyper_params.use_iam_instance_profile',
      'configurations.resource_configurations.gpu_t4.extra_configurations.MetadataOptions',
    ]);
    expect(r.differences).toContainEqual({ code: 'spot-fallback-off', resources: ['gpu_t4'] });
    expect(r.differences).toContainEqual({ code: 'extra-conf-expanded', hasDollar: true });
    expect(r.differences).toContainEqual({ code: 'polling-default', seconds: 300 });
    expect(differenceText({ code: 'extra-conf-expanded', hasDollar: true }).text).toMatch(/contains \$/);
  });

  it('the tags entry says what becomes of the global tags and of keys instance metadata cannot carry', () => {
    const text = differenceText({ code: 'tags-at-launch' }).text;
    expect(text).toMatch(/global hyper_params\.tags apply to every resource \(ClearML reads them but tags nothing/);
    expect(text).toMatch(/tag keys with a space or '\/' are left out: .*instance metadata/);
  });

  it('at latency the entries say it is closest to ClearML, and what still differs: the start ahead of a regular queue', () => {
    const c = ok(importClearmlConfig(fixture('clearml-wizard.yaml'), HOST));
    const texts = clearmlDifferences({
      config: { ...c, scaling: { ...c.scaling, preference: 'latency' } },
      notCarried: [],
      pollingDefaulted: false,
    }).map(differenceText);
    expect(texts.find((d) => d.code === 'surplus-idle')?.text).not.toMatch(/go sooner \(see scaling\.preference\)/);
    const pref = texts.find((d) => d.code === 'preference')?.text;
    expect(pref).toMatch(/^scaling\.preference is latency, the closest to ClearML/);
    expect(pref).toMatch(
      /One difference stays: on a queue whose tasks come at regular intervals, a worker is started a boot ahead/,
    );
    const cost = differenceText({ code: 'preference', preference: 'cost', maxIdleMin: 15 }).text;
    expect(cost).toMatch(/terminated at once/);
    expect(cost).toMatch(/Set scaling\.preference: latency to be closest to ClearML/);
  });

  it("the agent's queue poll is listed only where it differs from the agent's 5 s and no init script sets it", () => {
    const c = ok(importClearmlConfig(fixture('clearml-wizard.yaml'), HOST));
    const listed = (agent: Partial<typeof c.agent>) =>
      clearmlDifferences({
        config: { ...c, agent: { ...c.agent, ...agent } },
        notCarried: [],
        pollingDefaulted: false,
      }).filter((d) => d.code === 'agent-queue-poll');
    expect(listed({})).toEqual([{ code: 'agent-queue-poll', seconds: 2 }]);
    expect(listed({ queuePollSec: 5 })).toEqual([]);
    expect(listed({ initScript: 'export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=5' })).toEqual([]);
  });

  it('our improvements are one setting away: the listed settings exist in the schema', () => {
    const r = importClearmlConfig(fixture('clearml-switch-over.yaml'), HOST);
    const c = ok(r);
    const settings = r.differences.map((d) => differenceText(d).setting).filter((s): s is string => s !== null);
    expect(settings.length).toBeGreaterThan(4);
    for (const s of settings) {
      const [head, ...rest] = s.split('.');
      let node: unknown =
        head === 'resources' ? c.resources['gpu_t4'] : (c as unknown as Record<string, unknown>)[head!];
      for (const k of head === 'resources' ? rest.slice(1) : rest) node = (node as Record<string, unknown>)[k];
      expect(node, s).not.toBeUndefined();
    }
  });
});

describe('a resource listed for more than one queue', () => {
  const shared = (w: string) => w.startsWith("configurations.queues: resource 'gpu_t4' is listed for queues");

  it('is imported with a warning that ClearML refused it and what each queue does here', () => {
    const r = importClearmlConfig(
      doc((d) => {
        d.configurations['queues'] = { aws_gpu: [['gpu_t4', 3]], aws_big: [['gpu_t4', 2]] };
      }),
      HOST,
    );
    const c = ok(r);
    expect(c.queues['aws_big']).toEqual([{ resource: 'gpu_t4', maxInstances: 2 }]);
    expect(r.warnings.filter(shared)).toEqual([
      "configurations.queues: resource 'gpu_t4' is listed for queues 'aws_gpu', 'aws_big'. ClearML's autoscaler refused to start with that (\"a resource name can only appear in a single queue definition\"); here each queue launches its own gpu_t4 instances, each queue up to its own cap (5 in all). To keep one cap, copy the resource under another name for each queue, as ClearML's wizard does (gpu_t4_<queue>)",
    ]);
  });

  it.each([
    ['one queue', { aws_gpu: [['gpu_t4', 3]] }],
    ['two queues, each its own resource', { aws_gpu: [['gpu_t4', 3]], aws_cpu: [['cpu', 1]] }],
  ])('%s: no such warning', (_, queues) => {
    const r = importClearmlConfig(
      doc((d) => {
        (d.configurations['resource_configurations'] as Record<string, unknown>)['cpu'] = {
          ...res(d),
          instance_type: 'm5.large',
        };
        d.configurations['queues'] = queues;
      }),
      HOST,
    );
    ok(r);
    expect(r.warnings.filter((w) => w.includes('is listed for queues'))).toEqual([]);
  });
});
