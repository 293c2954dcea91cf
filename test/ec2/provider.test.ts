import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
// The provider through the real @aws-sdk/client-ec2 against the EC2 emulator: what a launch asks for, how
// listings page and filter, idempotency, batching, prices, endpoint/credential resolution and the permission check.
import { DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkPermissions,
  createEc2Provider,
  MAX_PAGES,
  type Ec2Provider,
} from '../../electron/engine/ec2/provider.js';
import { startEc2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { Ec2Error, TAG } from '../../electron/engine/ports.js';
import { FAKE_CREDENTIALS, ManualClock, launchSpec, startRig, type Rig } from './helpers.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function seed(r: Rig, count: number, tags: Record<string, string>, token?: string): Promise<void> {
  await r.raw.send(
    new RunInstancesCommand({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 'm5.large',
      MinCount: count,
      MaxCount: count,
      ClientToken: token,
      TagSpecifications: Object.keys(tags).length
        ? [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }]
        : undefined,
    }),
  );
}

describe('runInstance', () => {
  it('launches one tagged, IMDSv2-only, terminate-on-shutdown instance with its user data', async () => {
    rig = await startRig();
    const spec = launchSpec({
      subnetId: 'subnet-0aaa1111',
      keyName: 'ops',
      iamInstanceProfile: { arn: 'arn:aws:iam::123456789012:instance-profile/clearml', name: 'ignored' },
      ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 120, volumeType: 'gp3' },
      enableMonitoring: true,
    });
    const out = await rig.ec2.runInstance(spec);
    expect(out.instanceId).toMatch(/^i-[0-9a-f]{17}$/);

    const d = rig.emu.instance(out.instanceId)!;
    expect(rig.emu.instances()).toHaveLength(1);
    expect(out.zone).toBe(d.zone);
    expect(d.tags).toEqual(spec.tags);
    expect(d.volumeTags).toEqual(spec.tags);
    expect(d.metadataOptions).toMatchObject({
      httpTokens: 'required',
      httpEndpoint: 'enabled',
      instanceMetadataTags: 'enabled',
    });
    expect(d.shutdownBehavior).toBe('terminate');
    expect(d.market).toBe('on-demand');
    expect(d.spotOptions).toBeNull();
    expect(d.userData).toBe(spec.userData);
    expect(d.clientToken).toBe(spec.clientToken);
    expect(d.subnetId).toBe('subnet-0aaa1111');
    expect(d.keyName).toBe('ops');
    expect(d.securityGroupIds).toEqual(['sg-0a1b2c3d']);
    expect(d.iamInstanceProfile).toEqual({ arn: 'arn:aws:iam::123456789012:instance-profile/clearml' });
    expect(d.monitoring).toBe(true);
    expect(d.volumes).toEqual([
      expect.objectContaining({ deviceName: '/dev/sda1', sizeGiB: 120, volumeType: 'gp3', deleteOnTermination: true }),
    ]);
    expect(rig.emu.calls.byAction['RunInstances']).toBe(1);
  });

  it('asks for a one-time spot instance that terminates on interruption, in the requested zone', async () => {
    rig = await startRig();
    const out = await rig.ec2.runInstance(launchSpec({ market: 'spot', availabilityZone: 'us-east-1c' }));
    const d = rig.emu.instance(out.instanceId)!;
    expect(d.market).toBe('spot');
    expect(d.spotOptions).toEqual({ spotInstanceType: 'one-time', interruptionBehavior: 'terminate' });
    expect(d.zone).toBe('us-east-1c');
    expect(out.zone).toBe('us-east-1c');
    expect(d.subnetId).toBeNull();
  });

  it('is idempotent on the client token, across provider instances (an engine restart)', async () => {
    rig = await startRig();
    const spec = launchSpec({ clientToken: 'journal-42' });
    const first = await rig.ec2.runInstance(spec);
    const restarted = createEc2Provider({
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      endpoint: rig.emu.url,
      clock: rig.clock,
    });
    try {
      const again = await restarted.runInstance(spec);
      expect(again.instanceId).toBe(first.instanceId);
      const found = await restarted.findByClientToken('journal-42');
      expect(found.map((i) => i.instanceId)).toEqual([first.instanceId]);
    } finally {
      restarted.close();
    }
    expect(rig.emu.instances()).toHaveLength(1);
    // The same token with other parameters is a different request: EC2 refuses it.
    const err = await rig.ec2.runInstance({ ...spec, market: 'spot' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Ec2Error);
    expect((err as Ec2Error).code).toBe('IdempotentParameterMismatch');
  });

  it('reports a dry run that would succeed as an empty instance id, and launches nothing', async () => {
    rig = await startRig();
    await expect(rig.ec2.runInstance(launchSpec({ dryRun: true }))).resolves.toEqual({ instanceId: '', zone: null });
    expect(rig.emu.instances()).toHaveLength(0);
  });
});

describe('describeInstances', () => {
  it('pages through 1,200 of our instances (500 per page) and ignores foreign ones', async () => {
    rig = await startRig();
    await seed(rig, 1000, { [TAG.prefix]: 'dyn' });
    await seed(rig, 200, { [TAG.prefix]: 'dyn', extra: 'x' });
    await seed(rig, 30, { [TAG.prefix]: 'other-app' });
    await seed(rig, 20, {});
    const before = rig.emu.calls.byAction['DescribeInstances'] ?? 0;

    const ours = await rig.ec2.describeInstances('dyn');
    expect(ours).toHaveLength(1200);
    expect(new Set(ours.map((i) => i.instanceId)).size).toBe(1200);
    expect(ours.every((i) => i.tags[TAG.prefix] === 'dyn')).toBe(true);
    expect((rig.emu.calls.byAction['DescribeInstances'] ?? 0) - before).toBe(3);
  });

  it('maps state, market, zone, subnet, launch time, token and state reason; drops terminated ones', async () => {
    rig = await startRig();
    const spot = await rig.ec2.runInstance(
      launchSpec({ clientToken: 'a', market: 'spot', subnetId: 'subnet-0bbb2222' }),
    );
    const od = await rig.ec2.runInstance(launchSpec({ clientToken: 'b' }));
    const gone = await rig.ec2.runInstance(launchSpec({ clientToken: 'c' }));
    const launchedAt = rig.clock.now();
    rig.clock.advance(6_000);
    await rig.ec2.terminateInstances([gone.instanceId]);
    rig.emu.interruptSpot(spot.instanceId);

    const list = await rig.ec2.describeInstances('dyn');
    const byId = new Map(list.map((i) => [i.instanceId, i]));
    expect(byId.get(spot.instanceId)).toMatchObject({
      state: 'shutting-down',
      market: 'spot',
      subnetId: 'subnet-0bbb2222',
      instanceType: 'g4dn.xlarge',
      clientToken: 'a',
      stateReasonCode: 'Server.SpotInstanceTermination',
      launchedAt,
    });
    expect(byId.get(od.instanceId)).toMatchObject({
      state: 'running',
      market: 'on-demand',
      subnetId: null,
      stateReasonCode: null,
    });
    expect(byId.get(od.instanceId)!.zone).toMatch(/^us-east-1[abc]$/);
    // shutting-down is still ours to watch; after 5 s it is terminated and no longer listed.
    expect(byId.get(gone.instanceId)?.state).toBe('shutting-down');
    rig.clock.advance(6_000);
    const later = await rig.ec2.describeInstances('dyn');
    expect(later.map((i) => i.instanceId)).toEqual([od.instanceId]);
    // ...but the client token still finds it, terminated, for crash recovery.
    const byToken = await rig.ec2.findByClientToken('c');
    expect(byToken).toEqual([expect.objectContaining({ instanceId: gone.instanceId, state: 'terminated' })]);
  });
});

describe('terminateInstances and createTags', () => {
  it('batch at most 1000 ids per call and send nothing for an empty list', async () => {
    rig = await startRig();
    await seed(rig, 1000, { [TAG.prefix]: 'dyn' });
    await seed(rig, 200, { [TAG.prefix]: 'dyn' });
    const ids = rig.emu.instances().map((i) => i.instanceId);

    await rig.ec2.createTags(ids, { [TAG.orphanSince]: '2026-01-05T09:00:00Z' });
    expect(rig.emu.calls.byAction['CreateTags']).toBe(2);
    expect(rig.emu.instances().every((i) => i.tags[TAG.orphanSince] === '2026-01-05T09:00:00Z')).toBe(true);

    await rig.ec2.terminateInstances(ids);
    expect(rig.emu.calls.byAction['TerminateInstances']).toBe(2);
    expect(rig.emu.instances().every((i) => i.state === 'shutting-down')).toBe(true);

    await rig.ec2.terminateInstances([]);
    await rig.ec2.createTags([], { a: 'b' });
    await rig.ec2.createTags(ids, {});
    expect(rig.emu.calls.byAction['TerminateInstances']).toBe(2);
    expect(rig.emu.calls.byAction['CreateTags']).toBe(2);
  });

  it('terminates the rest of a batch when EC2 does not know one id', async () => {
    rig = await startRig();
    await seed(rig, 3, { [TAG.prefix]: 'dyn' });
    const ids = rig.emu.instances().map((i) => i.instanceId);
    await rig.ec2.terminateInstances([...ids, 'i-0fffffffffffffff0']);
    expect(rig.emu.instances().map((i) => i.state)).toEqual(['shutting-down', 'shutting-down', 'shutting-down']);
    expect(rig.emu.calls.byAction['TerminateInstances']).toBe(2);
  });
});

describe('spotPrices', () => {
  it('returns the latest price per type and zone', async () => {
    rig = await startRig({ emulator: { spotPrices: { 'g4dn.xlarge|us-east-1b': 0.1578, 'm5.large': 0.035 } } });
    const prices = await rig.ec2.spotPrices(['g4dn.xlarge', 'm5.large', 'g4dn.xlarge']);
    expect(prices.size).toBe(6);
    expect(prices.get('g4dn.xlarge|us-east-1b')).toBe(0.1578);
    expect(prices.get('m5.large|us-east-1a')).toBe(0.035);
    expect(prices.get('g4dn.xlarge|us-east-1a')).toBeGreaterThan(0);
    expect(await rig.ec2.spotPrices([])).toEqual(new Map());
    expect(rig.emu.calls.byAction['DescribeSpotPriceHistory']).toBe(1);
  });

  it('is empty, not an error, when the credentials may not read spot prices', async () => {
    rig = await startRig();
    rig.emu.faults.push({ action: 'DescribeSpotPriceHistory', code: 'UnauthorizedOperation' });
    expect(await rig.ec2.spotPrices(['g4dn.xlarge'])).toEqual(new Map());
  });
});

describe('endpoint and credentials', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('honours AWS_ENDPOINT_URL_EC2 and the default credential chain when given neither', async () => {
    const clock = new ManualClock();
    const emu = await startEc2Emulator({ clock });
    process.env['AWS_ENDPOINT_URL_EC2'] = emu.url;
    process.env['AWS_ACCESS_KEY_ID'] = FAKE_CREDENTIALS.accessKeyId;
    process.env['AWS_SECRET_ACCESS_KEY'] = FAKE_CREDENTIALS.secretAccessKey;
    const ec2 = createEc2Provider({ region: 'us-east-1', credentials: null, clock });
    try {
      const { instanceId } = await ec2.runInstance(launchSpec());
      expect((await ec2.describeInstances('dyn')).map((i) => i.instanceId)).toEqual([instanceId]);
      expect(emu.calls.total).toBe(2);
      expect(ec2.calls).toBe(2);
    } finally {
      ec2.close();
      await emu.close();
    }
  });

  it('reports a closed endpoint as unreachable', async () => {
    const clock = new ManualClock();
    const emu = await startEc2Emulator({ clock });
    const url = emu.url;
    await emu.close();
    const ec2 = createEc2Provider({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, endpoint: url, clock });
    try {
      const err = await ec2.describeInstances('dyn').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Ec2Error);
      expect((err as Ec2Error).kind).toBe('unreachable');
      expect((err as Ec2Error).message).not.toContain(FAKE_CREDENTIALS.secretAccessKey);
    } finally {
      ec2.close();
    }
  });
});

describe('checkPermissions', () => {
  it('passes when every dry run says DryRunOperation, and terminates nothing', async () => {
    rig = await startRig();
    const { instanceId } = await rig.ec2.runInstance(launchSpec({ clientToken: 'existing' }));
    const report = await checkPermissions(rig.ec2, launchSpec());
    expect(report).toMatchObject({ ok: true, missing: [] });
    expect(report.details.join('\n')).toMatch(/ec2:RunInstances: allowed/);
    expect(report.details.join('\n')).toMatch(/ec2:CreateTags: allowed/);
    expect(report.details.join('\n')).toMatch(/ec2:TerminateInstances: allowed/);
    expect(report.details.join('\n')).toMatch(/ec2:DescribeInstanceAttribute: allowed/);
    expect(rig.emu.instances()).toEqual([expect.objectContaining({ instanceId, state: 'pending' })]);
  });

  it('names the action EC2 refused', async () => {
    rig = await startRig();
    rig.emu.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation', when: (p) => p['DryRun'] === 'true' });
    const report = await checkPermissions(rig.ec2, launchSpec());
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['ec2:RunInstances']);
    expect(report.details.find((d) => d.startsWith('ec2:RunInstances'))).toMatch(/not allowed.*ec2:RunInstances/);
    expect(report.details.join('\n')).toMatch(/ec2:DescribeInstances: allowed/);
    // The encoded authorization blob is not decoded, nor dumped on the user.
    expect(report.details.join('\n')).not.toMatch(/Encoded authorization failure message/);
  });

  it("names a refused ec2:DescribeInstanceAttribute, without which nothing of ClearML's is adoptable", async () => {
    rig = await startRig();
    await rig.ec2.runInstance(launchSpec({ clientToken: 'existing' }));
    rig.emu.faults.push({
      action: 'DescribeInstanceAttribute',
      code: 'UnauthorizedOperation',
      when: (p) => p['DryRun'] === 'true',
    });
    const report = await checkPermissions(rig.ec2, launchSpec());
    expect(report).toMatchObject({ ok: false, missing: ['ec2:DescribeInstanceAttribute'] });
  });

  it('stops at the first check when the credentials themselves are rejected', async () => {
    rig = await startRig();
    rig.emu.faults.push({ code: 'AuthFailure' });
    const report = await checkPermissions(rig.ec2, launchSpec());
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([]);
    expect(report.details).toHaveLength(1);
    expect(report.details[0]).toMatch(/AuthFailure.*check the access key/);
    expect(rig.emu.calls.total).toBe(1);
  });
});

describe('wire details seen by the raw SDK', () => {
  it('DescribeInstances returns the launch options back', async () => {
    rig = await startRig();
    const { instanceId } = await rig.ec2.runInstance(launchSpec({ market: 'spot' }));
    const out = await rig.raw.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    expect(inst?.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      InstanceMetadataTags: 'enabled',
    });
    expect(inst?.InstanceLifecycle).toBe('spot');
    expect(inst?.State).toEqual({ Code: 0, Name: 'pending' });
    expect(inst?.LaunchTime).toBeInstanceOf(Date);
    expect(inst?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId).toMatch(/^vol-/);
  });
});

describe('pagination against a server that repeats its NextToken', () => {
  // A broken proxy in front of EC2 that answers every page with the same token: a real HTTP server speaking EC2's
  // query protocol, so the real SDK parses what it sends.
  async function repeatingServer(
    fresh = false,
    instancesXml = '',
  ): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
    const calls: string[] = [];
    const ns = 'http://ec2.amazonaws.com/doc/2016-11-15/';
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const action = new URLSearchParams(raw).get('Action') ?? '';
        calls.push(action);
        const body =
          action === 'DescribeSpotPriceHistory'
            ? `<spotPriceHistorySet><item><instanceType>m5.large</instanceType><productDescription>Linux/UNIX</productDescription><spotPrice>0.035</spotPrice><timestamp>2026-01-05T09:00:00.000Z</timestamp><availabilityZone>us-east-1a</availabilityZone></item></spotPriceHistorySet>`
            : `<reservationSet>${instancesXml}</reservationSet>`;
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<${action}Response xmlns="${ns}"><requestId>r-1</requestId>${body}<nextToken>${fresh ? `token-${calls.length}` : 'same-token'}</nextToken></${action}Response>`,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
  }

  /** A provider on a fresh such server for `fn`; both closed after. */
  async function withServer(
    fresh: boolean,
    fn: (ec2: Ec2Provider, calls: string[]) => Promise<void>,
    instancesXml = '',
    clock = new ManualClock(),
  ) {
    const srv = await repeatingServer(fresh, instancesXml);
    const ec2 = createEc2Provider({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, endpoint: srv.url, clock });
    try {
      await fn(ec2, srv.calls);
    } finally {
      ec2.close();
      await srv.close();
    }
  }

  it('DescribeInstances and DescribeSpotPriceHistory stop at the repeated token instead of looping', async () => {
    await withServer(false, async (ec2, calls) => {
      expect(await ec2.describeInstances('dyn')).toEqual([]);
      expect((await ec2.spotPrices(['m5.large'])).get('m5.large|us-east-1a')).toBe(0.035);
      // The first page, then the page its token names, whose token was seen: stop.
      expect(calls).toEqual([
        'DescribeInstances',
        'DescribeInstances',
        'DescribeSpotPriceHistory',
        'DescribeSpotPriceHistory',
      ]);
    });
  });

  /** One running instance of ours, as DescribeInstances lists it; `launchTime` left out when null. */
  const instanceXml = (id: string, launchTime: string | null) =>
    `<item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet><item>` +
    `<instanceId>${id}</instanceId><instanceState><code>16</code><name>running</name></instanceState>` +
    `<instanceType>m5.large</instanceType>${launchTime ? `<launchTime>${launchTime}</launchTime>` : ''}` +
    `<tagSet><item><key>${TAG.prefix}</key><value>dyn</value></item></tagSet></item></instancesSet></item>`;

  it('count an instance once when the same page comes back twice', async () => {
    await withServer(
      false,
      async (ec2, calls) => {
        const listed = await ec2.describeInstances('dyn');
        expect(calls).toEqual(['DescribeInstances', 'DescribeInstances']);
        expect(listed.map((i) => i.instanceId)).toEqual(['i-0aaaa1111bbbb2222']);
      },
      instanceXml('i-0aaaa1111bbbb2222', '2026-01-05T08:00:00.000Z'),
    );
  });

  it('date an instance listed without a launch time from when it was first listed, and keep that date', async () => {
    const clock = new ManualClock();
    const firstListed = clock.now();
    await withServer(
      false,
      async (ec2) => {
        expect((await ec2.describeInstances('dyn'))[0]?.launchedAt).toBe(firstListed);
        clock.advance(45 * 60_000);
        // Read as 0 it would look 56 years old: "never registered" at once, and replaced on every tick.
        expect((await ec2.describeInstances('dyn'))[0]?.launchedAt).toBe(firstListed);
      },
      instanceXml('i-0aaaa1111bbbb2222', null),
      clock,
    );
  });

  it('and stop after MAX_PAGES when every page names a fresh token', async () => {
    await withServer(true, async (ec2, calls) => {
      expect(await ec2.describeInstances('dyn')).toEqual([]);
      expect(calls).toHaveLength(MAX_PAGES);
      await ec2.spotPrices(['m5.large']);
      expect(calls).toHaveLength(2 * MAX_PAGES);
    });
  });
});

describe('an endpoint that answers but is not EC2', () => {
  // A captive portal, a misrouted proxy or a wrong AWS_ENDPOINT_URL_EC2: a real HTTP server answering every
  // request the same way, read through the real SDK.
  async function withEndpoint(
    status: number,
    type: string | null,
    body: string,
    fn: (ec2: Ec2Provider, url: string) => Promise<void>,
  ) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, type ? { 'content-type': type } : {});
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clock = new ManualClock();
    const ec2 = createEc2Provider({
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      endpoint: url,
      clock,
      maxAttempts: 1,
    });
    try {
      await fn(ec2, url);
    } finally {
      ec2.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
  const listingError = (ec2: Ec2Provider) =>
    ec2.describeInstances('dyn').then(
      () => null,
      (e: unknown) => e as Ec2Error,
    );

  it.each([
    [
      'an HTML page',
      200,
      'text/html',
      '<html><body>Welcome to nginx!</body></html>',
      'HTTP 200, content type text/html, no reservationSet',
    ],
    ['an empty body', 200, null, '', 'HTTP 200, no content type, no reservationSet'],
    [
      'an XML reply without a reservationSet',
      200,
      'text/xml',
      '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId></DescribeInstancesResponse>',
      'HTTP 200, content type text/xml, no reservationSet',
    ],
  ])(
    'rejects %s with 200 instead of reading it as "no instances", naming the endpoint',
    async (_, status, type, body, what) => {
      await withEndpoint(status, type, body, async (ec2, url) => {
        const err = await listingError(ec2);
        expect(err).toBeInstanceOf(Ec2Error);
        expect(err).toMatchObject({ kind: 'unreachable', code: 'NotEc2Reply' });
        expect(err!.message).toContain(`the answer from ${url} to DescribeInstances is not an EC2 reply (${what})`);
        // By id too: a confirmation by id (requeue) must not read "unknown to EC2" from it either.
        await expect(
          ec2.describeInstancesById!(['i-0aaaa1111bbbb2222'], { includeTerminated: true }),
        ).rejects.toMatchObject({
          code: 'NotEc2Reply',
        });
      });
    },
  );

  it('still reads an empty reservationSet from EC2 as no instances', async () => {
    const reply =
      '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><reservationSet/></DescribeInstancesResponse>';
    await withEndpoint(200, 'text/xml;charset=UTF-8', reply, async (ec2) => {
      expect(await ec2.describeInstances('dyn')).toEqual([]);
    });
  });

  it('does not read a 403 without an EC2 error code as rejected credentials', async () => {
    const s3Like = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    await withEndpoint(403, 'application/xml', s3Like, async (ec2, url) => {
      const err = await listingError(ec2);
      expect(err).toMatchObject({ kind: 'unreachable', code: 'NotEc2Reply' });
      expect(err!.message).toContain(
        `the answer from ${url} to DescribeInstances is a refusal without an EC2 error code (HTTP 403, content type application/xml)`,
      );
      expect(err!.message).not.toContain('credentials');
    });
  });

  it("keeps EC2's own refusal as an auth error", async () => {
    const ec2Refusal =
      '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>r-1</RequestID></Response>';
    await withEndpoint(401, 'text/xml;charset=UTF-8', ec2Refusal, async (ec2) => {
      expect(await listingError(ec2)).toMatchObject({ kind: 'auth', code: 'AuthFailure' });
    });
  });
});
