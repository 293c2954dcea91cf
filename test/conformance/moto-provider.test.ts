/**
 * Our EC2 provider (the real AWS SDK) against moto's EC2 server, a second EC2 implementation we did not write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import { TAG, type LaunchSpec } from '../../electron/engine/ports.js';
import { motoPerFile } from './peers.js';

const moto = motoPerFile();
let ec2: Ec2Provider;

beforeAll(() => {
  ec2 = createEc2Provider({
    region: 'us-east-1',
    endpoint: moto().url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});
afterAll(() => {
  ec2?.close();
});

function spec(over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    clientToken: `tok-${Math.random().toString(36).slice(2)}`,
    instanceType: 'm5.large',
    // moto ships a fixed set of AMIs; this id is one of them in us-east-1.
    imageId: 'ami-03cf127a',
    market: 'on-demand',
    securityGroupIds: [],
    enableMonitoring: false,
    metadataHopLimit: 1,
    userData: '#!/bin/bash\necho hello\n',
    tags: { Name: 'conformance', [TAG.prefix]: 'conf', [TAG.queue]: 'cpu', [TAG.resource]: 'cpu_small' },
    ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 30, volumeType: 'gp3' },
    ...over,
  };
}

describe('EC2 provider against moto', () => {
  it('launches with our tags, lists the instance by prefix, and terminates it', async () => {
    const { instanceId } = await ec2.runInstance(spec());
    expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
    const listed = await ec2.describeInstances('conf');
    expect(listed.map((i) => i.instanceId)).toEqual([instanceId]);
    expect(listed[0]?.tags[TAG.queue]).toBe('cpu');
    expect(listed[0]?.tags[TAG.resource]).toBe('cpu_small');
    expect(await ec2.describeInstances('other-prefix')).toEqual([]);
    await ec2.terminateInstances([instanceId]);
    const after = await ec2.describeInstances('conf');
    expect(after.every((i) => i.instanceId !== instanceId || i.state !== 'running')).toBe(true);
  });
});
