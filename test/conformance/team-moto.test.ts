// Team mode against moto: the leader lease on moto's DynamoDB (account from moto's STS), two real engines on one
// world (moto's EC2, our ClearML emulator with simulated agents), and detection without a lease table.
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runHeadless } from '../../electron/engine/cli/headless.js';
import type { Config, ConfigInput } from '../../shared/config.js';
import type { Engine } from '../../electron/engine/engine.js';
import { TAG } from '../../electron/engine/ports.js';
import { createMainStore, type MainStore } from '../../electron/engine/store.js';
import { parseStamp } from '../../electron/engine/team/detection.js';
import { memoryTeamState } from '../../electron/engine/team/identity.js';
import { createDynamoLeaseStore, type LeaseStore } from '../../electron/engine/team/lease-store.js';
import { ensureLeaseTable, type TableProgress } from '../../electron/engine/team/lease-table.js';
import { makeConfig } from '../engine/fixtures.js';
import { AWS } from '../engine/world.js';
import { MOTO_AMI, startMotoWorld, tagMap, type MotoWorld } from './moto-world.js';
import { motoPerFile, startMoto } from './peers.js';

const TABLE = 'autoscaler-leases';
const moto = motoPerFile();
let world: MotoWorld | null = null;
const stores: LeaseStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await world?.close();
  world = null;
});

function teamConfig(team: ConfigInput['team'] = { leaseTable: TABLE }): Config {
  return makeConfig({
    resources: { gpu_a: { instanceType: 'g4dn.xlarge', amiId: MOTO_AMI } },
    queues: { gpu: [{ resource: 'gpu_a', maxInstances: 2 }] },
    scaling: { workersPrefix: 'dyn', maxIdleMin: 5, maxSpinUpMin: 30 },
    team,
  });
}

interface TeamEngine {
  id: string;
  engine: Engine;
  store: MainStore;
}

/** A real engine with its own store and engine id; with the lease table on moto when the config names one. */
function teamEngine(w: MotoWorld, id: string, config: Config): TeamEngine {
  const store = createMainStore();
  const engine = w.newEngine(config, {
    store,
    team: {
      team: memoryTeamState({ engineId: id, host: `${id}-host` }),
      leaseStore: (c) => {
        if (!c.team.leaseTable) return null;
        const s = createDynamoLeaseStore({
          region: c.team.leaseRegion ?? c.aws.region,
          credentials: AWS,
          endpoint: moto().url,
          table: c.team.leaseTable,
          prefix: c.scaling.workersPrefix,
        });
        stores.push(s);
        return s;
      },
    },
  });
  return { id, engine, store };
}

const createTable = (onProgress?: (p: TableProgress) => void) =>
  ensureLeaseTable({
    region: 'us-east-1',
    credentials: AWS,
    endpoint: moto().url,
    table: TABLE,
    onProgress,
    pollMs: 50,
  });

/** Which engine stamped each instance moto holds (launch or lease renewal). */
async function stampers(w: MotoWorld): Promise<string[]> {
  return (await w.ec2.describeAll()).map((i) => parseStamp(tagMap(i.Tags)[TAG.engine])?.engineId ?? 'none');
}

describe('lease table', () => {
  it('is created on request, waited for until ACTIVE, and found the second time', async () => {
    const progress: TableProgress[] = [];
    expect(await createTable((p) => progress.push(p))).toEqual({ created: true });
    expect(progress[0]).toEqual({ step: 'creating' });
    expect(progress.at(-1)).toEqual({ step: 'active', created: true });
    const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: moto().url, credentials: AWS });
    const t = await ddb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(t.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(t.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const again: TableProgress[] = [];
    expect(await createTable((p) => again.push(p))).toEqual({ created: false });
    expect(again).toEqual([
      { step: 'exists', status: 'ACTIVE' },
      { step: 'active', created: false },
    ]);
    ddb.destroy();
  });

  it('headless --check reports the table, --create-lease-table creates it through the endpoint variables', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: moto().url,
      AWS_ENDPOINT_URL_STS: moto().url,
      AWS_ENDPOINT_URL_EC2: moto().url,
      AWS_ACCESS_KEY_ID: AWS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'lease-table-'));
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ ...teamConfig(), clearml: { apiHost: 'http://127.0.0.1:9' } }));
      const lines: string[] = [];
      const check = async () => {
        lines.length = 0;
        await runHeadless(['--config', file, '--check'], { write: (l) => void lines.push(l) }, { HOME: dir });
        return lines.find((l) => / Lease /.test(l));
      };
      expect(await check()).toMatch(
        /^FAIL {2}Lease {4}'autoscaler-leases' \(us-east-1\): the lease table .* does not exist: create it with/,
      );
      lines.length = 0;
      const code = await runHeadless(
        ['--config', file, '--create-lease-table', '--data-dir', dir],
        {
          write: (l) => void lines.push(l),
        },
        { HOME: dir },
      );
      expect(lines.filter((l) => !l.startsWith('warning:'))).toEqual([
        `creating lease table '${TABLE}' in us-east-1 (on-demand billing, key 'pk')…`,
        `lease table '${TABLE}' is ACTIVE: engines on this config now elect one leader`,
      ]);
      expect(code).toBe(0);
      expect(await check()).toBe(`ok    Lease    'autoscaler-leases' (us-east-1): no engine holds the lease`);
    } finally {
      process.env = saved;
    }
  });

  it('keys the lease by moto STS account, region and prefix; a missing table says how to create it', async () => {
    const store = createDynamoLeaseStore({
      region: 'us-east-1',
      credentials: AWS,
      endpoint: moto().url,
      table: TABLE,
      prefix: 'dyn',
    });
    stores.push(store);
    await expect(store.read()).rejects.toThrow(
      /lease table 'autoscaler-leases' does not exist: create it with .*--create-lease-table/,
    );
    await createTable();
    expect(await store.key()).toEqual({ account: '123456789012', region: 'us-east-1', prefix: 'dyn' });
    const w = await store.write(
      { holderId: 'eng-a', holderHost: 'a', acquiredAt: 1, expiresAt: 2 },
      { kind: 'absent' },
    );
    expect(w.ok).toBe(true);
    // moto evaluates the conditions: a second "absent" write and a stale version are refused.
    expect(
      await store.write({ holderId: 'eng-b', holderHost: 'b', acquiredAt: 1, expiresAt: 2 }, { kind: 'absent' }),
    ).toEqual({ ok: false });
    expect(
      await store.write(
        { holderId: 'eng-b', holderHost: 'b', acquiredAt: 1, expiresAt: 2 },
        { kind: 'version', rvn: 'stale' },
      ),
    ).toEqual({ ok: false });
    expect(
      await store.write(
        { holderId: 'eng-b', holderHost: 'b', acquiredAt: 1, expiresAt: 2 },
        { kind: 'held-by', holderId: 'eng-b' },
      ),
    ).toEqual({ ok: false });
    expect((await store.read())?.holderId).toBe('eng-a');
    await store.release('eng-b'); // not the holder: nothing happens
    expect((await store.read())?.holderId).toBe('eng-a');
    await store.release('eng-a');
    expect(await store.read()).toBeNull();
    const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: moto().url, credentials: AWS });
    await ddb.send(new DeleteTableCommand({ TableName: TABLE }));
    ddb.destroy();
  });
});

describe('a refused call (moto enforcing IAM)', () => {
  it('names the IAM action to add: CreateTable for the table, GetItem for the engine', async () => {
    // The first three requests are free (the IAM setup); from then on moto checks every call against the policy.
    const strict = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: '3' });
    try {
      const iam = async (params: Record<string, string>) => {
        const r = await fetch(strict.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            // moto routes by the credential scope; the signature is not checked for these free requests.
            authorization:
              'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
          },
          body: new URLSearchParams({ Version: '2010-05-08', ...params }),
        });
        return r.text();
      };
      await iam({ Action: 'CreateUser', UserName: 'lease-user' });
      const key = await iam({ Action: 'CreateAccessKey', UserName: 'lease-user' });
      const credentials = {
        accessKeyId: /<AccessKeyId>([^<]+)/.exec(key)![1]!,
        secretAccessKey: /<SecretAccessKey>([^<]+)/.exec(key)![1]!,
      };
      const policy = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'sts:GetCallerIdentity'], Resource: '*' }],
      };
      await iam({
        Action: 'PutUserPolicy',
        UserName: 'lease-user',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify(policy),
      });

      await expect(
        ensureLeaseTable({ region: 'us-east-1', credentials, endpoint: strict.url, table: TABLE }),
      ).rejects.toThrow(
        /^AWS refused dynamodb:CreateTable on table 'autoscaler-leases' \(.+\): add dynamodb:CreateTable to the IAM policy/,
      );
      const store = createDynamoLeaseStore({
        region: 'us-east-1',
        credentials,
        endpoint: strict.url,
        table: TABLE,
        prefix: 'dyn',
      });
      stores.push(store);
      await expect(store.read()).rejects.toThrow(/^AWS refused dynamodb:GetItem on table 'autoscaler-leases'/);
    } finally {
      await strict.stop();
    }
  });
});

describe('two engines on one world with a lease table', () => {
  it('exactly one launches; killed, the standby takes over within lease + grace with no double launch and no lost task', async () => {
    await createTable();
    world = await startMotoWorld(moto());
    world.clearml.createQueue('gpu');
    const config = teamConfig();
    const a = teamEngine(world, 'eng-aaaaaaaaaaaa', config);
    const b = teamEngine(world, 'eng-bbbbbbbbbbbb', config);
    await world.run(a.engine, 15); // a takes the lease on an idle queue
    for (let i = 0; i < 4; i++) world.clearml.addTask({ name: `train-${i}`, queue: 'gpu', durationSec: 900 });
    // b ticks first in every step: it would launch for the pending tasks if it did not stand by.
    const leaseTags = async () => (await world!.ec2.describeAll()).map((i) => tagMap(i.Tags)[TAG.lease]);
    await world.run([b.engine, a.engine], 120);
    expect(await world.ec2.describeAll()).toHaveLength(2);
    const firstLeases = await leaseTags();
    // Past half the instance lease (20 min): the leader renews them, the standby does not.
    await world.run([b.engine, a.engine], 540);
    expect(await leaseTags()).not.toEqual(firstLeases);
    expect(await stampers(world)).toEqual([a.id, a.id]);
    expect(await stampers(world)).toEqual([a.id, a.id]);
    expect(a.store.getState().leadership).toMatchObject({ role: 'leader', acts: true });
    expect(b.store.getState().leadership).toMatchObject({
      role: 'standby',
      acts: false,
      leader: { engineId: a.id, host: `${a.id}-host` },
      takeoverAfterSec: 90,
    });
    expect(b.store.getState().statusReason).toMatch(/^Standby: eng-aaaaaaaaaaaa-host .* leads since .* for 90 s\.$/);
    // The standby sees everything the leader does.
    expect(b.store.getState().instances).toHaveLength(2);
    expect(b.store.getState().queues.find((q) => q.name === 'gpu')?.pending).toBe(2);

    // Kill the leader: it stops ticking (and never releases the lease).
    const killedAt = world.clock.now();
    let tookOverAt: number | null = null;
    for (let t = 0; t < 180 && tookOverAt === null; t += 15) {
      await world.run(b.engine, 15);
      if (b.store.getState().leadership?.role === 'leader') tookOverAt = world.clock.now();
    }
    expect(tookOverAt).not.toBeNull();
    const tookOverSec = (tookOverAt! - killedAt) / 1000;
    // lease + grace, plus at most one polling interval for the tick that notices.
    expect(tookOverSec).toBeGreaterThanOrEqual(90);
    expect(tookOverSec).toBeLessThanOrEqual(90 + 15);
    expect(b.store.getState().events.some((e) => /^this engine now leads/.test(e.message))).toBe(true);

    await world.run(b.engine, 900 + 900 + 120);
    expect(world.clearml.tasks().filter((t) => t.status === 'completed')).toHaveLength(4);
    // The two instances the old leader launched carried on: never a third.
    expect(await world.ec2.describeAll()).toHaveLength(2);
    // The new leader renews the leases it took over with its own stamp.
    expect(await stampers(world)).toContain(b.id);
  });
});

describe('two engines on one world without a lease table (detection only)', () => {
  it('the second sees the first one stamps, warns and holds its launches until the user decides', async () => {
    world = await startMotoWorld(moto());
    world.clearml.createQueue('gpu');
    for (let i = 0; i < 2; i++) world.clearml.addTask({ name: `t-${i}`, queue: 'gpu', durationSec: 600 });
    const config = makeConfig({
      ...teamConfig({}),
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }] },
    });
    const a = teamEngine(world, 'eng-aaaaaaaaaaaa', config);
    await world.run(a.engine, 15);
    expect(await stampers(world)).toEqual([a.id, a.id]);

    const b = teamEngine(world, 'eng-bbbbbbbbbbbb', config);
    for (let i = 0; i < 2; i++) world.clearml.addTask({ name: `more-${i}`, queue: 'gpu', durationSec: 600 });
    // b ticks first this time: it would launch for the two new tasks if it did not hold.
    await world.run([b.engine, a.engine], 30);
    const sb = b.store.getState();
    expect(sb.leadership).toMatchObject({ role: 'conflict', acts: false, leader: { engineId: a.id } });
    expect(sb.status).toBe('error');
    expect(sb.statusReason).toMatch(/Another engine acts on this workers prefix: eng-aaaaaaaaaaaa-host/);
    expect(sb.events.filter((e) => e.level === 'error' && /another engine acts/.test(e.message))).toHaveLength(1);
    expect(sb.events.some((e) => e.kind === 'launch')).toBe(false);
    // a launched the two new ones; nobody launched twice.
    expect(await stampers(world)).toEqual([a.id, a.id, a.id, a.id]);

    await b.engine.decideTeam('standby');
    await world.run([b.engine, a.engine], 15);
    expect(b.store.getState().leadership).toMatchObject({ role: 'standby', decision: 'standby' });
    expect(b.store.getState().status).toBe('watching');
  });
});
