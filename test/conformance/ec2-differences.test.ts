// The same raw EC2 calls sent to moto and to our EC2 emulator, each answer compared with what AWS documents for real
// EC2. Our emulator must answer as documented; where moto answers otherwise, its answer is pinned here too, so a
// moto upgrade that changes it shows up (and whichever suite relied on the difference is re-checked).
//
// Sources (AWS documentation):
//   idempotency: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
//   DescribeInstances (MaxResults 5-1000, not with InstanceIds):
//     https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
//   instance lifecycle (pending before running, shutting-down before terminated):
//     https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html
//   metadata options as listed: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsResponse.html
//   tag restrictions (aws: reserved, at most 50 per resource):
//     https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
//   user data limit 16 KB: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
//   RunInstances MinCount >= 1: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/emulators/ec2-emulator.js';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';
import { AWS } from '../engine/world.js';
import { MOTO_AMI } from './moto-world.js';
import { resetMoto, startMoto, type Peer } from './peers.js';

let moto: Peer;
let emu: Ec2Emulator;
const clients: Record<'moto' | 'emulator', EC2Client> = {} as never;

beforeAll(async () => {
  moto = await startMoto();
  await resetMoto(moto);
  // Virtual time that never moves: every state below is the one right after the call, as a client sees it first.
  emu = await startEc2Emulator({ clock: new VirtualClock(Date.UTC(2026, 10, 28)), pendingSec: 5 });
  clients.moto = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: AWS, maxAttempts: 1 });
  clients.emulator = new EC2Client({ region: 'us-east-1', endpoint: emu.url, credentials: AWS, maxAttempts: 1 });
});
afterAll(async () => {
  clients.moto?.destroy();
  clients.emulator?.destroy();
  await emu?.close();
  await moto?.stop();
});

const UNKNOWN = 'i-0123456789abcdef0';
const fiftyOne = Array.from({ length: 51 }, (_, k) => ({ Key: `k${k}`, Value: 'v' }));
type Probe = (c: EC2Client, base: RunInstancesCommandInput) => Promise<unknown>;

/** 'ok:<value>' or 'error:<code>', so both peers compare on one line. */
async function outcome(c: EC2Client, probe: Probe, ami: string): Promise<string> {
  const base: RunInstancesCommandInput = { ImageId: ami, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1 };
  try {
    return `ok:${JSON.stringify(await probe(c, base))}`;
  } catch (e) {
    return `error:${(e as Error).name}`;
  }
}

async function launch(c: EC2Client, base: RunInstancesCommandInput, extra: Partial<RunInstancesCommandInput> = {}) {
  const r = await c.send(new RunInstancesCommand({ ...base, ...extra }));
  return r.Instances![0]!.InstanceId!;
}
async function describe1(c: EC2Client, id: string) {
  const r = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return r.Reservations![0]!.Instances![0]!;
}

interface Case {
  name: string;
  probe: Probe;
  /** What AWS documents for real EC2; our emulator must answer this. */
  ec2: string;
  /** What moto 5.2.5 answers, when it differs from EC2. */
  motoDiffers?: string;
}

const cases: Case[] = [
  {
    name: 'RunInstances twice with one ClientToken → the same instance',
    probe: async (c, base) => {
      const token = `tok-${Math.random().toString(36).slice(2)}`;
      return (await launch(c, base, { ClientToken: token })) === (await launch(c, base, { ClientToken: token }));
    },
    ec2: 'ok:true',
    motoDiffers: 'ok:false',
  },
  {
    name: 'DescribeInstances right after RunInstances → pending',
    probe: async (c, base) => (await describe1(c, await launch(c, base))).State?.Name,
    ec2: 'ok:"pending"',
    motoDiffers: 'ok:"running"',
  },
  {
    name: 'DescribeInstances right after TerminateInstances → shutting-down',
    probe: async (c, base) => {
      const id = await launch(c, base);
      await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      return (await describe1(c, id)).State?.Name;
    },
    ec2: 'ok:"shutting-down"',
    motoDiffers: 'ok:"terminated"',
  },
  {
    name: 'a spot launch lists InstanceLifecycle spot',
    probe: async (c, base) => {
      const id = await launch(c, base, { InstanceMarketOptions: { MarketType: 'spot' } });
      return (await describe1(c, id)).InstanceLifecycle;
    },
    ec2: 'ok:"spot"',
  },
  {
    name: 'MetadataOptions as requested, HttpProtocolIpv6 listed',
    probe: async (c, base) => {
      const id = await launch(c, base, {
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
      });
      const m = (await describe1(c, id)).MetadataOptions!;
      return [m.HttpTokens, m.HttpEndpoint, m.InstanceMetadataTags, m.HttpProtocolIpv6];
    },
    ec2: 'ok:["required","enabled","enabled","disabled"]',
  },
  {
    name: 'DescribeInstances of an unknown id → InvalidInstanceID.NotFound',
    probe: (c) => c.send(new DescribeInstancesCommand({ InstanceIds: [UNKNOWN] })).then(() => 'listed'),
    ec2: 'error:InvalidInstanceID.NotFound',
  },
  {
    name: 'DescribeInstances MaxResults 3 (below 5) → InvalidParameterValue',
    probe: (c) => c.send(new DescribeInstancesCommand({ MaxResults: 3 })).then(() => 'listed'),
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"listed"',
  },
  {
    name: 'DescribeInstances MaxResults with InstanceIds → InvalidParameterCombination',
    probe: (c) => c.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [UNKNOWN] })).then(() => 'listed'),
    ec2: 'error:InvalidParameterCombination',
  },
  {
    name: 'CreateTags naming an unknown instance → InvalidInstanceID.NotFound',
    probe: async (c, base) => {
      const id = await launch(c, base);
      await c.send(new CreateTagsCommand({ Resources: [id, UNKNOWN], Tags: [{ Key: 'k', Value: 'v' }] }));
      return 'tagged';
    },
    ec2: 'error:InvalidInstanceID.NotFound',
    motoDiffers: 'ok:"tagged"',
  },
  {
    name: "CreateTags with a key starting 'aws:' → refused",
    probe: async (c, base) => {
      await c.send(new CreateTagsCommand({ Resources: [await launch(c, base)], Tags: [{ Key: 'aws:x', Value: 'v' }] }));
      return 'tagged';
    },
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"tagged"',
  },
  {
    name: 'CreateTags with a 257-character value → refused',
    probe: async (c, base) => {
      const tag = { Key: 'k', Value: 'v'.repeat(257) };
      await c.send(new CreateTagsCommand({ Resources: [await launch(c, base)], Tags: [tag] }));
      return 'tagged';
    },
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"tagged"',
  },
  {
    name: 'CreateTags with a 129-character key → refused',
    probe: async (c, base) => {
      const tag = { Key: 'k'.repeat(129), Value: 'v' };
      await c.send(new CreateTagsCommand({ Resources: [await launch(c, base)], Tags: [tag] }));
      return 'tagged';
    },
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"tagged"',
  },
  {
    name: 'CreateTags with a 256-character value and a 128-character key → tagged, read back whole',
    probe: async (c, base) => {
      const id = await launch(c, base);
      const tag = { Key: 'k'.repeat(128), Value: 'v'.repeat(256) };
      await c.send(new CreateTagsCommand({ Resources: [id], Tags: [tag] }));
      const got = (await describe1(c, id)).Tags?.find((t) => t.Key === tag.Key)?.Value;
      return got === tag.Value;
    },
    ec2: 'ok:true',
  },
  {
    name: 'RunInstances with a 257-character tag value → refused',
    probe: (c, base) =>
      c
        .send(
          new RunInstancesCommand({
            ...base,
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }],
          }),
        )
        .then(() => 'launched'),
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"launched"',
  },
  {
    name: 'RunInstances with 51 tags on the instance → TagLimitExceeded',
    probe: (c, base) =>
      c
        .send(
          new RunInstancesCommand({
            ...base,
            TagSpecifications: [{ ResourceType: 'instance', Tags: fiftyOne }],
          }),
        )
        .then(() => 'launched'),
    ec2: 'error:TagLimitExceeded',
  },
  {
    name: 'CreateTags taking an instance past 50 tags → TagLimitExceeded',
    probe: async (c, base) => {
      const id = await launch(c, base, {
        TagSpecifications: [{ ResourceType: 'instance', Tags: fiftyOne.slice(0, 50) }],
      });
      await c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'one-more', Value: 'v' }] }));
      return 'tagged';
    },
    ec2: 'error:TagLimitExceeded',
  },
  {
    name: 'TerminateInstances of an unknown id → InvalidInstanceID.NotFound',
    probe: (c) => c.send(new TerminateInstancesCommand({ InstanceIds: [UNKNOWN] })).then(() => 'terminated'),
    ec2: 'error:InvalidInstanceID.NotFound',
  },
  {
    name: 'TerminateInstances is idempotent: a second call succeeds',
    probe: async (c, base) => {
      const id = await launch(c, base);
      await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
      return 'ok';
    },
    ec2: 'ok:"ok"',
  },
  {
    name: 'RunInstances with DryRun → DryRunOperation',
    probe: (c, base) => c.send(new RunInstancesCommand({ ...base, DryRun: true })).then(() => 'launched'),
    ec2: 'error:DryRunOperation',
  },
  {
    name: 'RunInstances with 17 KB of user data → refused',
    probe: (c, base) =>
      c
        .send(new RunInstancesCommand({ ...base, UserData: Buffer.from('x'.repeat(17_000)).toString('base64') }))
        .then(() => 'launched'),
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"launched"',
  },
  {
    name: 'RunInstances with MinCount 0 → refused',
    probe: (c, base) => c.send(new RunInstancesCommand({ ...base, MinCount: 0, MaxCount: 0 })).then(() => 'launched'),
    ec2: 'error:InvalidParameterValue',
    motoDiffers: 'ok:"launched"',
  },
];

describe('raw EC2 calls: our emulator answers as AWS documents; moto where it differs', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const got = {
        emulator: await outcome(clients.emulator, c.probe, 'ami-0123456789abcdef0'),
        moto: await outcome(clients.moto, c.probe, MOTO_AMI),
      };
      expect(got).toEqual({ emulator: c.ec2, moto: c.motoDiffers ?? c.ec2 });
    });
  }
});
