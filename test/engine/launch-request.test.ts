// The launch request: the metadata hop limit (1 unless the agent runs docker: task containers need the second hop);
// the tags (a user's own Name, as ClearML's example configs set, survives; our identity always travels in our own
// tags, which no user tag can override).
import { describe, expect, it } from 'vitest';
import { buildRunInstancesInput } from '../../electron/engine/ec2/launch-input.js';
import { launchBase, metadataHopLimit } from '../../electron/engine/launch-request.js';
import { TAG } from '../../electron/engine/ports.js';
import { MAX_USER_TAGS, parseConfig } from '../../shared/config.js';
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

const withTags = (tags: Record<string, string>) =>
  makeConfig({
    resources: { gpu_a: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0', tags } },
    queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }] },
  });

describe('launch request tags', () => {
  it.each([
    ['a user-given Name is kept', { Name: 'clearml-gpu-worker', team: 'ml' }, 'clearml-gpu-worker'],
    ['no user Name: ours is set', { team: 'ml' }, 'dyn:gpu_a:gpu'],
    ['no tags at all: ours is set', {}, 'dyn:gpu_a:gpu'],
  ])('%s', (_, tags, expectedName) => {
    const base = launchBase(withTags(tags), { queue: 'gpu', resource: 'gpu_a', at: T0 }, '#!/bin/bash\n')!;
    expect(base.tags['Name']).toBe(expectedName);
    expect(base.tags).toMatchObject({
      ...tags,
      [TAG.name]: 'dyn:gpu_a:gpu',
      [TAG.prefix]: 'dyn',
      [TAG.resource]: 'gpu_a',
      [TAG.queue]: 'gpu',
    });
  });

  it('with the most tags a config may give, a launch carries the 50 EC2 allows, and one more is refused', () => {
    const most: Record<string, string> = { Name: 'mine' };
    for (let k = 0; k < MAX_USER_TAGS; k++) most[`team${k}`] = 'x';
    const config = makeConfig({ resources: withTags(most).resources, queues: withTags(most).queues });
    const base = launchBase(config, { queue: 'gpu', resource: 'gpu_a', at: T0, stamp: 'eng-1 1767225600 laptop' }, '')!;
    expect(config.lease.enabled).toBe(true);
    expect(Object.keys(base.tags)).toHaveLength(50);
    const r = parseConfig({
      ...config,
      resources: { gpu_a: { ...config.resources['gpu_a']!, tags: { ...most, one: 'more' } } },
    });
    expect(!r.ok && r.issues.map((i) => i.message)).toEqual([
      `at most ${MAX_USER_TAGS} tags besides Name: EC2 allows 50 on an instance and the autoscaler sets up to 9 of its own`,
    ]);
  });

  it('a user tag cannot override one of ours', () => {
    // The schema refuses reserved keys; a config that skipped it (parsed, then altered) still launches with ours.
    const config = withTags({ team: 'ml' });
    const resource = config.resources['gpu_a']!;
    config.resources['gpu_a'] = { ...resource, tags: { ...resource.tags, [TAG.queue]: 'other', [TAG.name]: 'x' } };
    const base = launchBase(config, { queue: 'gpu', resource: 'gpu_a', at: T0 }, '')!;
    expect(base.tags[TAG.queue]).toBe('gpu');
    expect(base.tags[TAG.name]).toBe('dyn:gpu_a:gpu');
    expect(base.tags['team']).toBe('ml');
  });
});

describe('launch request: what else it carries', () => {
  const at = T0 + 500; // a tick time off the whole second
  it.each([
    // [name, lease on, stamp, expected lease tag, expected engine tag]
    ['lease on: it expires leaseMin after the tick, in whole seconds; no stamp', true, null, true, undefined],
    ['lease off: no lease tag; a stamp is written', false, 'eng-1 1767225600 laptop', false, 'eng-1 1767225600 laptop'],
  ] as [string, boolean, string | null, boolean, string | undefined][])('%s', (_n, lease, stamp, leaseTag, engine) => {
    const config = makeConfig({ lease: { ...makeConfig().lease, enabled: lease, leaseMin: 20 } });
    const base = launchBase(config, { queue: 'gpu', resource: 'gpu_a', at, stamp }, '#!/bin/bash\n')!;
    expect(base.tags[TAG.lease]).toBe(leaseTag ? String(Math.floor((at + 20 * 60_000) / 1000)) : undefined);
    expect(base.tags[TAG.engine]).toBe(engine);
    expect(base.tags[TAG.launchedBy]).toBe('clearml-tray-autoscaler');
  });

  it.each([
    ['as written, less a trailing slash', 'https://api.clearml.example.com/ ', 'https://api.clearml.example.com'],
    // EC2 refuses a tag value over 256 characters, and the launch with it.
    ['not at all when longer than a tag value may be', `https://${'a'.repeat(240)}.example.com`, undefined],
  ])('names the ClearML server its agent is set up for: %s', (_, apiHost, expected) => {
    const config = makeConfig({ clearml: { ...makeConfig().clearml, apiHost } });
    expect(launchBase(config, { queue: 'gpu', resource: 'gpu_a', at }, '')!.tags[TAG.server]).toBe(expected);
  });

  it('is null for a resource the config does not have', () => {
    expect(launchBase(makeConfig(), { queue: 'gpu', resource: 'gone', at }, '')).toBeNull();
  });
});
