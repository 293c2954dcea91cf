// The metadata hop limit of a launch: 1 unless the agent runs docker (task containers need the second hop).
import { describe, expect, it } from 'vitest';
import { buildRunInstancesInput } from '../../electron/engine/ec2/launch-input.js';
import { launchBase, metadataHopLimit } from '../../electron/engine/launch-request.js';
import { makeConfig, T0 } from './fixtures.js';

describe('metadataHopLimit', () => {
  const withImages = (defaultDockerImage: string, resourceImage?: string) =>
    makeConfig({
      agent: { defaultDockerImage },
      resources: {
        cpu: {
          instanceType: 'm5.large',
          amiId: 'ami-0123456789abcdef0',
          ...(resourceImage !== undefined ? { dockerImage: resourceImage } : {}),
        },
      },
      queues: { cpu: [{ resource: 'cpu', maxInstances: 1 }] },
    });

  it.each([
    ['venv mode (no docker image anywhere)', '', undefined, 1],
    ['a default docker image', 'nvidia/cuda:12.4.1-runtime-ubuntu22.04', undefined, 2],
    ["a resource that opts out of the default image ('')", 'python:3.11', '', 1],
    ['a resource image without a default', '', 'python:3.11', 2],
    ['a blank image counts as none', '   ', undefined, 1],
  ] as const)('%s → %i', (_name, def, res, expected) => {
    const config = withImages(def, res);
    expect(metadataHopLimit(config, 'cpu')).toBe(expected);
    // And it is what RunInstances is asked for.
    const base = launchBase(config, { queue: 'cpu', resource: 'cpu', at: T0 }, '#!/bin/bash\n')!;
    const input = buildRunInstancesInput({ ...base, clientToken: 't-1', market: 'on-demand' });
    expect(input.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      InstanceMetadataTags: 'enabled',
      HttpPutResponseHopLimit: expected,
    });
  });
});
