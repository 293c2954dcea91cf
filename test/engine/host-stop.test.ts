// What `stop` leaves behind: a price read a tick started (and nobody awaits) finishes before stop returns, so no
// request of a finished run reaches the network afterwards; one that hangs does not hold stop for long.
import { describe, expect, it } from 'vitest';
import { createEngineHost } from '../../electron/engine/host.js';
import type { Ec2Api } from '../../electron/engine/ports.js';
import { AWS_KEYS, baseConfig } from '../fixtures/index.js';
import { startWorld } from '../fixtures/world.js';

async function stopWith(spotPrices: (ec2: Ec2Api, types: readonly string[]) => Promise<Map<string, number>>) {
  const world = await startWorld({ dataDir: true });
  const calls: string[] = [];
  const host = createEngineHost({
    clock: world.clock,
    dataDir: world.dir,
    makeEc2: (c) => {
      const ec2 = world.clients(c).ec2;
      return {
        ...ec2,
        spotPrices: async (types) => {
          calls.push('started');
          const r = await spotPrices(ec2, types);
          calls.push('finished');
          return r;
        },
      };
    },
  });
  host.configure(baseConfig({ clearml: { apiHost: world.clearml.url } }), { clearml: null, aws: AWS_KEYS });
  await host.tickNow();
  await host.stop();
  const atStop = [...calls];
  await world.close();
  return atStop;
}

describe('host.stop and the price read a tick started', () => {
  it('waits for it to finish', async () => {
    const atStop = await stopWith(async (ec2, types) => {
      await new Promise((r) => setTimeout(r, 300));
      return ec2.spotPrices(types);
    });
    expect(atStop).toEqual(['started', 'finished']);
  });

  it('does not wait for one that hangs', async () => {
    const atStop = await stopWith(() => new Promise(() => undefined));
    expect(atStop).toEqual(['started']);
  }, 10_000);
});
