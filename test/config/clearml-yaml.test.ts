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
