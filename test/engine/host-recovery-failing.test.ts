// A data folder that is full or read-only when the engine starts: the recovery of the launch journal fails. Nothing
// may be launched on an unrecovered journal, but everything else must go on (reading ClearML and EC2, scaling idle
// instances down); the whole tick used to fail, leaving idle instances billing and the queue figures unknown.
import { describe, expect, it } from 'vitest';
import { queuesKnown } from '../../shared/domain.js';
import { createEngineHost, recoveryProblem } from '../../electron/engine/host.js';
import { AWS_KEYS, baseConfig, CLEARML_KEYS } from '../fixtures/index.js';
import { startWorld } from '../fixtures/world.js';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('a recovery that fails: launches wait, the rest of the tick runs', () => {
  it('holds launches with the reason until the folder can be written, then launches', async () => {
    const world = await startWorld({ dataDir: true, clearmlKeys: CLEARML_KEYS, awsKeys: AWS_KEYS });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 600 });
    let full = true;
    const events: { level: string; message: string }[] = [];
    const host = createEngineHost({
      clock: world.clock,
      dataDir: world.dir,
      makeEc2: (c) => world.clients(c).ec2,
      onEvent: (e) => events.push({ level: e.level, message: e.message }),
      recover: async () => {
        if (full) throw enospc();
      },
    });
    try {
      host.configure(baseConfig({ clearml: { apiHost: world.clearml.url } }), { clearml: CLEARML_KEYS, aws: AWS_KEYS });
      for (let i = 0; i < 2; i++) {
        const r = await host.tickNow();
        expect(r?.launched).toEqual([]);
        expect(r?.plan?.decisions.find((d) => d.queue === 'gpu')?.reason).toMatchObject({
          code: 'paused',
          scope: 'journal',
        });
      }
      const s = host.store.getState();
      // The queue says why nothing launches, not that the user paused launches.
      expect(s.queues.find((q) => q.name === 'gpu')?.lastDecision).toMatch(
        /would launch 1 but launches wait until the launch journal in the data folder can be written/,
      );
      // The tick ran: ClearML was read (the figures are counts) though nothing was launched.
      expect(queuesKnown(s)).toBe(true);
      expect(s.queues.find((q) => q.name === 'gpu')?.pending).toBe(1);
      expect(s.status).toBe('error');
      expect(s.statusReason).toContain(`the data folder ${world.dir} is full`);
      expect(world.ec2.instances()).toHaveLength(0);
      // Said once, not at every tick.
      expect(events.filter((e) => e.message.includes('is full'))).toHaveLength(1);

      full = false;
      const r = await host.tickNow();
      expect(r?.launched).toHaveLength(1);
      expect(events.some((e) => e.message.includes('can be written again'))).toBe(true);
      expect(host.store.getState().status).not.toBe('error');
    } finally {
      await host.stop();
      await world.close();
    }
  });

  it.each([
    [
      'ENOSPC',
      enospc(),
      /^the data folder \/d is full \(ENOSPC: no space left on device, write\): nothing is launched/,
    ],
    [
      'EROFS',
      Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' }),
      /^the data folder \/d is read-only/,
    ],
    [
      "the journal's own message",
      new Error('the launch journal in /d cannot be opened (EIO): launches stay stopped until it can'),
      /^the launch journal in \/d cannot be opened \(EIO\): launches stay stopped until it can \(idle instances are still scaled down\)$/,
    ],
  ])('says what a %s means', (_what, err, text) => {
    expect(recoveryProblem(err, '/d')).toMatch(text);
  });
});
