import { describe, expect, it } from 'vitest';
import { lostReason, lostReasonText } from '../../../electron/engine/controllers/lost-reason.js';
import type { InstanceObs } from '../../../electron/engine/ports.js';

type Seen = Pick<InstanceObs, 'state' | 'stateReasonCode' | 'market'>;
const seen = (state: InstanceObs['state'], stateReasonCode: string | null, market: 'spot' | 'on-demand'): Seen => ({
  state,
  stateReasonCode,
  market,
});

describe('lostReason: why a busy instance was lost, EC2 state reason first', () => {
  const rows: [string, Seen | undefined, 'spot' | 'on-demand' | null, string, string][] = [
    [
      'AWS took a spot one back',
      seen('terminated', 'Server.SpotInstanceTermination', 'spot'),
      'spot',
      'spot-interrupted',
      'its spot instance was interrupted',
    ],
    [
      'a spot one stopped by AWS',
      seen('stopped', 'Server.SpotInstanceShutdown', 'spot'),
      'spot',
      'spot-interrupted',
      'its spot instance was interrupted',
    ],
    [
      'a user terminated a spot one',
      seen('terminated', 'Client.UserInitiatedShutdown', 'spot'),
      'spot',
      'user-ended',
      'its instance i-1 was terminated outside the app (EC2: Client.UserInitiatedShutdown)',
    ],
    [
      'a user stopped a spot one',
      seen('stopped', 'Client.UserInitiatedShutdown', 'spot'),
      'spot',
      'user-ended',
      'its instance i-1 was stopped outside the app',
    ],
    [
      'a spot one shut itself down',
      seen('shutting-down', 'Client.InstanceInitiatedShutdown', 'spot'),
      'spot',
      'self-shutdown',
      'its instance i-1 shut itself down (EC2: Client.InstanceInitiatedShutdown)',
    ],
    [
      'an on-demand one ended on an EC2 error',
      seen('terminated', 'Server.InternalError', 'on-demand'),
      'on-demand',
      'ec2-reason',
      'its instance i-1 ended (EC2: Server.InternalError)',
    ],
    [
      'a spot one ended, no reason given',
      seen('terminated', null, 'spot'),
      'spot',
      'spot-interrupted',
      'its spot instance was interrupted',
    ],
    ['a spot one EC2 does not know', undefined, 'spot', 'spot-interrupted', 'its spot instance was interrupted'],
    [
      'an on-demand one stopped, no reason',
      seen('stopped', null, 'on-demand'),
      'on-demand',
      'stopped',
      'its instance i-1 was stopped outside the app',
    ],
    [
      'an on-demand one still stopping, no reason yet',
      seen('stopping', null, 'on-demand'),
      'on-demand',
      'stopped',
      'its instance i-1 was stopped outside the app',
    ],
    [
      'a user stopping an on-demand one (told by its own stopped warning, not the code)',
      seen('stopping', 'Client.UserInitiatedShutdown', 'on-demand'),
      'on-demand',
      'user-ended',
      'its instance i-1 was stopped outside the app',
    ],
    [
      'an on-demand one terminated, its reason already dropped by EC2',
      seen('terminated', null, 'on-demand'),
      'on-demand',
      'disappeared',
      'its instance i-1 disappeared',
    ],
    ['an on-demand one EC2 does not know', undefined, 'on-demand', 'disappeared', 'its instance i-1 disappeared'],
    ['market unknown and EC2 does not know it', undefined, null, 'disappeared', 'its instance i-1 disappeared'],
    [
      'market unknown (lost while not running): the listing tells',
      seen('terminated', null, 'spot'),
      null,
      'spot-interrupted',
      'its spot instance was interrupted',
    ],
  ];
  it.each(rows)('%s', (_, inst, market, code, text) => {
    const r = lostReason(inst, market);
    expect(r.code).toBe(code);
    expect(lostReasonText(r, 'i-1', inst?.state)).toBe(text);
  });
});
