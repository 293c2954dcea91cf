// The RunInstances request's tags: a user's own Name (ClearML's example configs set one) survives; our identity
// always travels in our own tags, which no user tag can override.
import { describe, expect, it } from 'vitest';
import { launchBase } from '../../electron/engine/launch-request.js';
import { TAG } from '../../electron/engine/ports.js';
import { T0, makeConfig } from './fixtures.js';

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

  it('a user tag cannot override one of ours', () => {
    const base = launchBase(
      withTags({ [TAG.queue]: 'other', [TAG.name]: 'x' }),
      {
        queue: 'gpu',
        resource: 'gpu_a',
        at: T0,
      },
      '',
    )!;
    // The schema lets such keys through (they are valid tag keys); the request still carries ours.
    expect(base.tags[TAG.queue]).toBe('gpu');
    expect(base.tags[TAG.name]).toBe('dyn:gpu_a:gpu');
  });
});
