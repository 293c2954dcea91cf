// The host's part in team mode: one engine id per data folder for every engine it builds, and turning autoscaling
// off hands the leader lease over at once (a standby need not wait lease + grace).
import { describe, expect, it } from 'vitest';
import { createEngineHost } from '../../../electron/engine/host.js';
import { FakeLeaseTable } from '../../fakes/lease-store.js';
import { AWS_KEYS, baseConfig, CLEARML_KEYS } from '../../fixtures/index.js';
import { startWorld } from '../../fixtures/world.js';

describe('host in team mode', () => {
  it('leads while on, keeps the lease across a reconfigure, and releases it when turned off', async () => {
    const world = await startWorld({ dataDir: true });
    const table = new FakeLeaseTable();
    const config = baseConfig({
      clearml: { apiHost: world.clearml.url },
      team: { leaseTable: 'autoscaler-leases' },
    });
    const host = createEngineHost({
      clock: world.clock,
      dataDir: world.dir,
      makeClearml: (c) => world.clients(c).clearml,
      makeEc2: (c) => world.clients(c).ec2,
      makeLeaseStore: () => table.store(),
    });
    try {
      host.configure(config, { clearml: CLEARML_KEYS, aws: AWS_KEYS });
      await host.tickNow();
      const leader = table.item?.holderId;
      expect(leader).toMatch(/^eng-[0-9a-f]{12}$/);
      expect(host.store.getState().leadership).toMatchObject({ role: 'leader', engineId: leader });
      // A new config builds a new engine: same id, so it renews its own lease instead of waiting to take it over.
      host.configure(
        { ...config, scaling: { ...config.scaling, maxIdleMin: 20 } },
        { clearml: CLEARML_KEYS, aws: AWS_KEYS },
      );
      await host.tickNow();
      expect(table.item?.holderId).toBe(leader);
      expect(host.store.getState().leadership?.role).toBe('leader');

      await host.setEnabled(true);
      await host.setEnabled(false);
      expect(table.item).toBeNull();
      expect(table.calls.at(-1)).toBe('release');

      // A tick on request while off (headless --once) takes the lease; stopping hands it back.
      await host.tickNow();
      expect(table.item?.holderId).toBe(leader);
      await host.stop();
      expect(table.item).toBeNull();
    } finally {
      await host.stop();
      await world.close();
    }
  });
});
