// A leader whose launch stalls on the network, and a leader whose act phase runs long: neither may launch after a
// standby could have taken the lease over. Two engines share one lease table (test/fakes/lease-store.ts) over the
// real ClearML and EC2 emulators; the stall is a real HTTP proxy in front of the leader's EC2 endpoint.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Provider } from '../../../electron/engine/ec2/provider.js';
import type { Engine } from '../../../electron/engine/engine.js';
import type { Ec2Api } from '../../../electron/engine/ports.js';
import { memoryTeamState } from '../../../electron/engine/team/identity.js';
import { FakeLeaseTable } from '../../fakes/lease-store.js';
import { addTasks, baseConfig } from '../../fixtures/index.js';
import { until } from '../../fixtures/team.js';
import { startWorld, type World } from '../../fixtures/world.js';

const config = baseConfig({ team: { leaseTable: 'leases' } });

/**
 * In front of the EC2 emulator: holds every RunInstances until `release()`, then forwards those whose client is
 * still waiting. A call the client gave up on (its socket closed) never reaches EC2, as on a half-open connection
 * the client resets; one it still waits for arrives late, as the audit's stall did.
 */
async function stallingProxy(target: string) {
  const held: (() => void)[] = [];
  let dropped = 0;
  let gaveUp = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = () => {
        if (res.destroyed || req.socket.destroyed) return void dropped++;
        const up = http.request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(body);
      };
      if (!body.toString().includes('Action=RunInstances')) return forward();
      held.push(forward);
      res.on('close', () => void (res.writableEnded || gaveUp++));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.length,
    dropped: () => dropped,
    /** Held calls whose client closed the connection (it stopped waiting). */
    gaveUp: () => gaveUp,
    release: () => held.splice(0).forEach((f) => f()),
    close: () => new Promise<void>((r) => server.close(() => r())).finally(() => server.closeAllConnections()),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function teamWorld(): Promise<{ world: World; table: FakeLeaseTable }> {
  const world = await startWorld({ queues: ['gpu'] });
  cleanup.push(() => world.close());
  return { world, table: new FakeLeaseTable() };
}

function teamEngine(world: World, table: FakeLeaseTable, id: string, ec2?: Ec2Api, launchConcurrency?: number): Engine {
  const team = { team: memoryTeamState({ engineId: id, host: `${id}-host` }), leaseStore: () => table.store() };
  const clients = ec2 ? { clearml: world.clearmlClient(), ec2 } : undefined;
  return world.newEngine(config, { team, ...(launchConcurrency ? { launchConcurrency } : {}) }, clients);
}

describe('a stalled launch', () => {
  it('is aborted at the call timeout, so a standby that took over launches the only instances', async () => {
    const { world, table } = await teamWorld();
    const proxy = await stallingProxy(world.ec2.url);
    cleanup.push(() => proxy.close());
    const slowEc2 = createEc2Provider({
      region: 'us-east-1',
      credentials: world.awsKeys,
      endpoint: proxy.url,
      clock: world.clock,
      requestTimeoutMs: 300,
    });
    cleanup.push(async () => slowEc2.close());
    const a = teamEngine(world, table, 'eng-a', slowEc2);
    const b = teamEngine(world, table, 'eng-b');
    await a.tick(); // a leads
    await b.tick(); // b stands by, watching a's lease version
    expect(table.item?.holderId).toBe('eng-a');

    addTasks(world.clearml, 'gpu', 2, 600);
    const stalled = a.tick();
    await until('the leader sent its launches', () => proxy.held() === 2);
    // a's lease is not renewed while its tick hangs: b takes over after lease + grace and launches for the tasks.
    world.clock.advance(91_000);
    const bTick = await b.tick();
    expect(table.item?.holderId).toBe('eng-b');
    expect(bTick.launched).toHaveLength(2);

    // The leader's client gives up at its timeout; before the fix it waited on, and the held calls arrived late.
    await until('the leader gave up on its stalled launches', () => proxy.gaveUp() === 2, 3_000).catch(() => null);
    proxy.release();
    const aTick = await stalled;
    expect(aTick.launched).toEqual([]);
    expect(aTick.errors.join('\n')).toMatch(/Cannot reach the EC2 API in us-east-1 \(ETIMEDOUT\)/);
    expect(proxy.dropped()).toBe(2);
    expect(world.live()).toHaveLength(2);
  });
});

describe('the launch margin', () => {
  it('a leader whose act phase ran long launches nothing that could land after a takeover, then goes on', async () => {
    const { world, table } = await teamWorld();
    const real = world.clients(config).ec2;
    let slow = true;
    // The first launch is answered, but 80 s later (lease 60 s + grace 30 s): a second one could land after a
    // standby took over, so it waits for the next tick, when the leader has renewed its lease.
    const ec2: Ec2Api = {
      ...real,
      runInstance: async (spec) => {
        const out = await real.runInstance(spec);
        if (slow) world.clock.advance(80_000);
        slow = false;
        return out;
      },
    };
    const a = teamEngine(world, table, 'eng-a', ec2, 1);
    addTasks(world.clearml, 'gpu', 2, 600);
    const first = await a.tick();
    expect(first.launched).toHaveLength(1);
    const events = world.store.getState().events.map((e) => e.message);
    expect(events).toContainEqual(
      expect.stringMatching(/^1 launch for 'gpu' wait for the next tick: one sent now may take up to 20 s/),
    );
    expect(world.live()).toHaveLength(1);

    world.clock.advance(5_000);
    const second = await a.tick();
    expect(second.launched).toHaveLength(1);
    expect(world.live()).toHaveLength(2);
  });
});
