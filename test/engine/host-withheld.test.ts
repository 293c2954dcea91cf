// Keys the service withholds from a host never confirmed for them: the host's ClearML client reports why, so the
// Overview and the event log say what to do instead of "no credentials are set".
import { describe, expect, it } from 'vitest';
import { createEngineHost } from '../../electron/engine/host.js';
import { AWS_KEYS, baseConfig } from '../fixtures/index.js';
import { startWorld } from '../fixtures/world.js';

describe('host with ClearML keys withheld', () => {
  it('reports the reason it was given on every ClearML call', async () => {
    const world = await startWorld({ dataDir: true });
    const events: string[] = [];
    const host = createEngineHost({
      clock: world.clock,
      dataDir: world.dir,
      makeEc2: (c) => world.clients(c).ec2,
      onEvent: (e) => events.push(e.message),
    });
    try {
      const why = 'The ClearML keys from /home/u/clearml.conf were not sent to https://other.example: confirm it';
      host.configure(baseConfig({ clearml: { apiHost: world.clearml.url } }), {
        clearml: null,
        clearmlMissing: why,
        aws: AWS_KEYS,
      });
      await host.tickNow();
      expect(host.store.getState().statusReason).toContain(why);
      expect(events.some((m) => m.includes(why))).toBe(true);
      expect(JSON.stringify(host.store.getState())).not.toContain('No ClearML credentials are set');
    } finally {
      await host.stop();
      await world.close();
    }
  });
});
