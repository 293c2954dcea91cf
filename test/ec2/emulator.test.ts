// The EC2 emulator as a protocol peer: raw HTTP for what an SDK would never send, the real SDK for the rest.
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeSpotInstanceRequestsCommand,
  GetConsoleOutputCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { TAG } from '../../electron/engine/ports.js';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { CAPACITY_CODES } from '../../electron/engine/ec2/errors.js';
import { signingRegion } from '../../electron/engine/emulators/ec2-emulator.js';
import { FAKE_CREDENTIALS, launchSpec, startRig, type Rig } from './helpers.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

async function sdkError(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}

const RUN = { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 } as const;

describe('protocol', () => {
  it('refuses a request without Authorization with AWS error XML', async () => {
    rig = await startRig();
    const r = await post(rig.emu.url, 'Action=DescribeInstances&Version=2016-11-15');
    expect(r.status).toBe(401);
    expect(r.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>AuthFailure<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('answers an unknown action with InvalidAction, and a success with the namespaced response', async () => {
    rig = await startRig();
    const auth = { authorization: 'AWS4-HMAC-SHA256 Credential=x' };
    const bad = await post(rig.emu.url, 'Action=LaunchRockets&Version=2016-11-15', auth);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<Code>InvalidAction</Code>');
    const ok = await post(rig.emu.url, 'Action=DescribeInstances&Version=2016-11-15', auth);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(
      /<DescribeInstancesResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[^<]+<\/requestId><reservationSet\/><\/DescribeInstancesResponse>$/,
    );
    expect(rig.emu.calls).toEqual({ total: 2, byAction: { LaunchRockets: 1, DescribeInstances: 1 } });
  });

  it('escapes tag values in XML', async () => {
    rig = await startRig();
    const { instanceId } = await rig.ec2.runInstance(
      launchSpec({ tags: { [TAG.prefix]: 'dyn', note: `<a & 'b' "c">` } }),
    );
    const [obs] = await rig.ec2.describeInstances('dyn');
    expect(obs?.instanceId).toBe(instanceId);
    expect(obs?.tags['note']).toBe(`<a & 'b' "c">`);
  });

  it('rejects user data that is not base64, as EC2 does', async () => {
    rig = await startRig();
    const e = await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, UserData: '#!/bin/bash\necho hi' })));
    expect(e).toMatchObject({
      name: 'InvalidParameterValue',
      status: 400,
      message: 'Invalid BASE64 encoding of user data.',
    });
  });

  it('validates ids and parameter combinations', async () => {
    rig = await startRig();
    expect(await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, ImageId: 'ubuntu' })))).toMatchObject({
      name: 'InvalidAMIID.Malformed',
    });
    expect(await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, SubnetId: 'default' })))).toMatchObject({
      name: 'InvalidSubnetID.Malformed',
    });
    expect(
      await sdkError(
        rig.raw.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'], MaxResults: 5 })),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(await sdkError(rig.raw.send(new DescribeInstancesCommand({ MaxResults: 2 })))).toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(
      await sdkError(rig.raw.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] }))),
    ).toMatchObject({ name: 'InvalidParameterValue' });
    const spotTags = await sdkError(
      rig.raw.send(
        new RunInstancesCommand({
          ...RUN,
          TagSpecifications: [{ ResourceType: 'spot-instances-request', Tags: [{ Key: 'a', Value: 'b' }] }],
        }),
      ),
    );
    expect(spotTags.name).toBe('InvalidParameterValue');
    expect(spotTags.message).toMatch(/Spot instances requests/);
  });

  it('answers DryRun with 412 DryRunOperation and changes nothing', async () => {
    rig = await startRig();
    expect(await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, DryRun: true })))).toMatchObject({
      name: 'DryRunOperation',
      status: 412,
    });
    const { instanceId } = await rig.ec2.runInstance(launchSpec());
    expect(
      await sdkError(
        rig.raw.send(
          new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'k', Value: 'v' }], DryRun: true }),
        ),
      ),
    ).toMatchObject({ name: 'DryRunOperation', status: 412 });
    expect(
      await sdkError(rig.raw.send(new TerminateInstancesCommand({ InstanceIds: [instanceId], DryRun: true }))),
    ).toMatchObject({
      name: 'DryRunOperation',
    });
    expect(rig.emu.instances()).toEqual([expect.objectContaining({ instanceId, state: 'pending' })]);
    expect(rig.emu.instance(instanceId)?.tags['k']).toBeUndefined();
  });

  it('describes instance types with GPU details the SDK can read', async () => {
    rig = await startRig();
    const out = await rig.raw.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['g4dn.xlarge', 'm5.large'] }));
    const g = out.InstanceTypes?.find((t) => t.InstanceType === 'g4dn.xlarge');
    expect(g?.VCpuInfo?.DefaultVCpus).toBe(4);
    expect(g?.MemoryInfo?.SizeInMiB).toBe(16384);
    expect(g?.GpuInfo?.Gpus).toEqual([
      { Name: 'T4', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 16384 } },
    ]);
    expect(g?.SupportedUsageClasses).toEqual(['on-demand', 'spot']);
    expect(out.InstanceTypes?.find((t) => t.InstanceType === 'm5.large')?.GpuInfo).toBeUndefined();
    expect(
      await sdkError(rig.raw.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9.huge' as never] }))),
    ).toMatchObject({
      name: 'InvalidInstanceType',
    });
    const paged = await rig.raw.send(new DescribeInstanceTypesCommand({ MaxResults: 5 }));
    expect(paged.InstanceTypes).toHaveLength(5);
    expect(paged.NextToken).toBeTruthy();
  });
});

describe('regions', () => {
  it('keeps each signing region apart, as AWS and moto do: an eu-west-1 instance is not listed in us-east-1', async () => {
    rig = await startRig();
    const r = rig;
    const eu = createEc2Provider({
      region: 'eu-west-1',
      credentials: FAKE_CREDENTIALS,
      endpoint: r.emu.url,
      clock: r.clock,
      random: () => 0,
    });
    try {
      const inEu = await eu.runInstance(launchSpec({ clientToken: 'eu-1' }));
      const inUs = await r.ec2.runInstance(launchSpec({ clientToken: 'us-1' }));
      expect(inEu.zone).toMatch(/^eu-west-1[abc]$/);
      expect(inUs.zone).toMatch(/^us-east-1[abc]$/);
      expect((await r.ec2.describeInstances('dyn')).map((i) => i.instanceId)).toEqual([inUs.instanceId]);
      expect((await eu.describeInstances('dyn')).map((i) => i.instanceId)).toEqual([inEu.instanceId]);
      // A region cannot terminate another's instance: EC2 does not know the id there.
      await r.ec2.terminateInstances([inEu.instanceId]).catch(() => undefined);
      expect(r.emu.instance(inEu.instanceId)?.state).toBe('pending');
      // The test seams see every region.
      expect(r.emu.instances().map((i) => i.instanceId)).toEqual([inUs.instanceId, inEu.instanceId]);
    } finally {
      eu.close();
    }
  });

  it.each([
    [
      'AWS4-HMAC-SHA256 Credential=AKID/20261207/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=x',
      'eu-west-1',
    ],
    ['AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/sts/aws4_request, Signature=x', null],
    [undefined, null],
  ])('reads the signing region of %s', (header, want) => {
    expect(signingRegion(header)).toBe(want);
  });
});

describe('lifecycle in virtual time', () => {
  it('pending → running after pendingSec; shutting-down → terminated; listed for an hour, then gone', async () => {
    rig = await startRig({ emulator: { pendingSec: 30, shuttingDownSec: 10 } });
    const { instanceId } = await rig.ec2.runInstance(launchSpec());
    const t0 = rig.clock.now();
    const state = () => rig!.emu.instances().find((i) => i.instanceId === instanceId);
    expect(state()).toMatchObject({ state: 'pending', runningSince: null });
    rig.clock.advance(29_999);
    expect(state()?.state).toBe('pending');
    rig.clock.advance(1);
    expect(state()).toMatchObject({ state: 'running', runningSince: t0 + 30_000 });
    rig.clock.advance(60_000);
    await rig.ec2.terminateInstances([instanceId]);
    expect(state()).toMatchObject({ state: 'shutting-down', stateReasonCode: 'Client.UserInitiatedShutdown' });
    rig.clock.advance(10_000);
    expect(state()?.state).toBe('terminated');
    const listed = await rig.raw.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['terminated'] }] }),
    );
    expect(listed.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(instanceId);
    rig.clock.advance(3_600_000);
    expect(state()).toBeUndefined();
    expect((await rig.raw.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
  });

  it('powerOff terminates (shutdown behaviour terminate) and interruptSpot reclaims a spot instance', async () => {
    rig = await startRig();
    const a = await rig.ec2.runInstance(launchSpec({ clientToken: 'a' }));
    const b = await rig.ec2.runInstance(launchSpec({ clientToken: 'b', market: 'spot' }));
    rig.clock.advance(10_000);
    rig.emu.powerOff(a.instanceId, 'agent failed to start');
    rig.emu.interruptSpot(b.instanceId);
    expect(() => rig!.emu.interruptSpot(a.instanceId)).toThrow(/not a spot instance/);
    rig.clock.advance(5_000);
    const list = await rig.ec2.findByClientToken('a');
    expect(list[0]).toMatchObject({ state: 'terminated', stateReasonCode: 'Client.InstanceInitiatedShutdown' });
    expect(rig.emu.instance(a.instanceId)?.note).toBe('agent failed to start');
    expect((await rig.ec2.findByClientToken('b'))[0]).toMatchObject({
      state: 'terminated',
      stateReasonCode: 'Server.SpotInstanceTermination',
    });
  });

  it('powerOff only stops an instance launched with shutdown behaviour stop (why we always ask for terminate)', async () => {
    rig = await startRig();
    const out = await rig.raw.send(new RunInstancesCommand({ ...RUN }));
    const id = out.Instances![0]!.InstanceId!;
    rig.emu.powerOff(id, 'shutdown -h now');
    rig.clock.advance(5_000);
    expect(rig.emu.instance(id)?.state).toBe('stopped');
  });

  it('keeps user data markers readable for the agent simulator', async () => {
    rig = await startRig();
    await rig.ec2.runInstance(launchSpec());
    expect(parseUserDataMarkers(rig.emu.instances()[0]!.userData)).toEqual({
      workerIdPrefix: 'dyn:gpu:g4dn.xlarge',
      queue: 'gpu',
    });
  });
});

describe('eventual consistency', () => {
  it('hides a new instance from listings for listingDelaySec, while its token still returns it', async () => {
    rig = await startRig({ emulator: { listingDelaySec: 30 } });
    const spec = launchSpec({ clientToken: 'slow' });
    const { instanceId } = await rig.ec2.runInstance(spec);
    expect(await rig.ec2.describeInstances('dyn')).toEqual([]);
    expect(await rig.ec2.findByClientToken('slow')).toEqual([]);
    await expect(rig.ec2.createTags([instanceId], { a: 'b' })).rejects.toMatchObject({
      code: 'InvalidInstanceID.NotFound',
    });
    expect((await rig.ec2.runInstance(spec)).instanceId).toBe(instanceId);
    expect(rig.emu.instances()).toHaveLength(1);

    rig.clock.advance(30_000);
    expect((await rig.ec2.describeInstances('dyn')).map((i) => i.instanceId)).toEqual([instanceId]);
    expect((await rig.ec2.findByClientToken('slow')).map((i) => i.instanceId)).toEqual([instanceId]);

    rig.emu.listingDelaySec = 0;
    const next = await rig.ec2.runInstance(launchSpec({ clientToken: 'fast' }));
    expect((await rig.ec2.findByClientToken('fast')).map((i) => i.instanceId)).toEqual([next.instanceId]);
  });
});

describe('faults', () => {
  it('a repeat of a launch that succeeded returns it though capacity ran out since; throttling still refuses it', async () => {
    rig = await startRig();
    const spec = launchSpec({ clientToken: 'once' });
    const { instanceId } = await rig.ec2.runInstance(spec);
    rig.emu.faults.push({ action: 'RunInstances', code: 'InsufficientInstanceCapacity' });
    expect((await rig.ec2.runInstance(spec)).instanceId).toBe(instanceId);
    // The same token with other parameters: the mismatch, not the capacity refusal.
    await expect(rig.ec2.runInstance({ ...spec, tags: { ...spec.tags, extra: 'x' } })).rejects.toMatchObject({
      code: 'IdempotentParameterMismatch',
    });
    // A new launch is refused.
    await expect(rig.ec2.runInstance(launchSpec({ clientToken: 'new' }))).rejects.toMatchObject({
      code: 'InsufficientInstanceCapacity',
    });
    rig.emu.faults.length = 0;
    rig.emu.faults.push({ action: 'RunInstances', code: 'RequestLimitExceeded', count: 1 });
    const throttled = await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, ClientToken: 'raw' })));
    expect(throttled.name).toBe('RequestLimitExceeded');
    expect(rig.emu.instances()).toHaveLength(1);
  });

  it('match by action and predicate, and run out after count', async () => {
    rig = await startRig();
    rig.emu.faults.push({
      action: 'RunInstances',
      code: 'InsufficientInstanceCapacity',
      count: 2,
      when: (p) => p['InstanceType'] === 'g4dn.xlarge',
    });
    const ice = await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, InstanceType: 'g4dn.xlarge' })));
    expect([ice.name, ice.status]).toEqual(['InsufficientInstanceCapacity', 500]);
    expect(ice.message).toMatch(/sufficient g4dn\.xlarge capacity/);
    await rig.raw.send(new RunInstancesCommand({ ...RUN }));
    await rig.raw.send(new DescribeInstancesCommand({}));
    expect(
      await sdkError(rig.raw.send(new RunInstancesCommand({ ...RUN, InstanceType: 'g4dn.xlarge' }))),
    ).toMatchObject({
      name: 'InsufficientInstanceCapacity',
    });
    expect(rig.emu.faults).toEqual([]);
    await rig.raw.send(new RunInstancesCommand({ ...RUN, InstanceType: 'g4dn.xlarge' }));
    expect(rig.emu.instances()).toHaveLength(2);
  });

  it.each([
    ['RequestLimitExceeded', 503],
    ['UnauthorizedOperation', 403],
    ['AuthFailure', 401],
    ['InternalError', 500],
    ['InvalidParameterValue', 400],
  ])('%s comes back with HTTP %i', async (code, status) => {
    rig = await startRig();
    rig.emu.faults.push({ code, count: 1 });
    expect(await sdkError(rig.raw.send(new DescribeInstancesCommand({})))).toMatchObject({ name: code, status });
  });
});

// ClearML's own autoscaler launches spot capacity with RequestSpotInstances, waits with boto3's
// spot_instance_request_fulfilled waiter (Status.Code == fulfilled), and polls GetConsoleOutput.
describe('spot requests', () => {
  const SPEC = {
    ImageId: 'ami-0123456789abcdef0',
    InstanceType: 'g4dn.xlarge',
    Placement: { AvailabilityZone: 'us-east-1b' },
    UserData: Buffer.from('#!/bin/bash\necho hi\n').toString('base64'),
  } as const;

  it('is evaluated first, then fulfilled with a spot instance in the requested zone', async () => {
    rig = await startRig();
    const r = await rig.raw.send(new RequestSpotInstancesCommand({ LaunchSpecification: SPEC }));
    const req = r.SpotInstanceRequests?.[0];
    expect(req).toMatchObject({ State: 'open', Type: 'one-time', Status: { Code: 'pending-evaluation' } });
    expect(req?.SpotInstanceRequestId).toMatch(/^sir-[0-9a-f]{8}$/);
    rig.clock.advance(2000);
    const d = await rig.raw.send(
      new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [req!.SpotInstanceRequestId!] }),
    );
    const done = d.SpotInstanceRequests?.[0];
    expect(done).toMatchObject({
      State: 'active',
      Status: { Code: 'fulfilled' },
      LaunchedAvailabilityZone: 'us-east-1b',
    });
    const [inst] = rig.emu.instances();
    expect(inst).toMatchObject({ instanceId: done?.InstanceId, market: 'spot', zone: 'us-east-1b' });
    expect(inst?.userData).toBe('#!/bin/bash\necho hi\n');
    const desc = await rig.raw.send(new DescribeInstancesCommand({ InstanceIds: [inst!.instanceId] }));
    expect(desc.Reservations?.[0]?.Instances?.[0]).toMatchObject({
      InstanceLifecycle: 'spot',
      SpotInstanceRequestId: req!.SpotInstanceRequestId,
    });
    await rig.raw.send(new TerminateInstancesCommand({ InstanceIds: [inst!.instanceId] }));
    const after = await rig.raw.send(new DescribeSpotInstanceRequestsCommand({}));
    expect(after.SpotInstanceRequests?.[0]).toMatchObject({
      State: 'closed',
      Status: { Code: 'instance-terminated-by-user' },
    });
  });

  // Every code the engine reads as capacity, so the emulator and the engine cannot disagree on what capacity is.
  it.each([...CAPACITY_CODES])(
    'stays open without an instance while there is no capacity (%s: no error to the caller)',
    async (code) => {
      rig = await startRig();
      rig.emu.faults.push({ action: 'RunInstances', code });
      const r = await rig.raw.send(new RequestSpotInstancesCommand({ LaunchSpecification: SPEC }));
      rig.clock.advance(60_000);
      const d = await rig.raw.send(
        new DescribeSpotInstanceRequestsCommand({
          SpotInstanceRequestIds: [r.SpotInstanceRequests![0]!.SpotInstanceRequestId!],
        }),
      );
      expect(d.SpotInstanceRequests?.[0]).toMatchObject({ State: 'open', Status: { Code: 'capacity-not-available' } });
      expect(d.SpotInstanceRequests?.[0]?.InstanceId).toBeUndefined();
      expect(rig.emu.instances()).toEqual([]);
    },
  );

  it('answers an unknown request id with InvalidSpotInstanceRequestID.NotFound', async () => {
    rig = await startRig();
    const e = await sdkError(
      rig.raw.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ['sir-00000000'] })),
    );
    expect(e).toMatchObject({ name: 'InvalidSpotInstanceRequestID.NotFound', status: 400 });
  });

  it('GetConsoleOutput answers for a known instance, with an empty console', async () => {
    rig = await startRig();
    await rig.raw.send(new RunInstancesCommand({ ...RUN }));
    const id = rig.emu.instances()[0]!.instanceId;
    const out = await rig.raw.send(new GetConsoleOutputCommand({ InstanceId: id }));
    expect(out.InstanceId).toBe(id);
    expect(out.Output ?? '').toBe('');
    const e = await sdkError(rig.raw.send(new GetConsoleOutputCommand({ InstanceId: 'i-0123456789abcdef0' })));
    expect(e.name).toBe('InvalidInstanceID.NotFound');
  });
});

describe("ClearML's own startup script", () => {
  it('gives the emulated instance the worker id prefix and queue the script would start the agent with', () => {
    // The lines clearml.automation.cloud_driver's bash_script_template writes (clearml 2.1.12).
    const script = [
      '#!/bin/bash',
      'export DYNAMIC_INSTANCE_ID=$(curl http://169.254.169.254/latest/meta-data/instance-id)',
      'export CLEARML_WORKER_ID=dynamic_aws:gpu_t4:g4dn.xlarge:$DYNAMIC_INSTANCE_ID',
      "python -m clearml_agent --config-file ~/clearml.conf daemon --queue 'gpu' ",
      'shutdown',
    ].join('\n');
    expect(parseUserDataMarkers(script)).toEqual({ workerIdPrefix: 'dynamic_aws:gpu_t4:g4dn.xlarge', queue: 'gpu' });
    expect(parseUserDataMarkers(script.replace(/daemon --queue 'gpu'/, 'daemon'))).toBeNull();
  });
});
