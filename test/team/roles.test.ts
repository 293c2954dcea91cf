/** The role table covers the whole contract, and each role can do exactly what the README says. */
import { describe, expect, it } from 'vitest';
import { changesNothing, describeChange } from '../../shared/ipc/audit.js';
import { invokeChannels, type InvokeChannel } from '../../shared/ipc/contract.js';
import { CHANGING_CHANNELS, CHANNEL_ROLES, checkRole, ROLES, roleAllows } from '../../shared/ipc/roles.js';

describe('channel roles', () => {
  it('classifies every channel of the contract, and nothing else', () => {
    expect(Object.keys(CHANNEL_ROLES).sort()).toEqual([...invokeChannels].sort());
    for (const c of invokeChannels) expect(ROLES).toContain(CHANNEL_ROLES[c]);
  });

  it.each<[InvokeChannel, boolean, boolean, boolean]>([
    // channel, viewer, operator, admin
    ['autoscaler:state.getSnapshot', true, true, true],
    ['autoscaler:timeline.get', true, true, true],
    ['autoscaler:config.get', true, true, true],
    ['autoscaler:engine.setEnabled', false, true, true],
    ['autoscaler:engine.setLaunchesPaused', false, true, true],
    ['autoscaler:queue.setPaused', false, true, true],
    ['autoscaler:engine.scaleToZero', false, true, true],
    ['autoscaler:config.save', false, false, true],
    ['autoscaler:credentials.set', false, false, true],
    ['autoscaler:engine.stopEverything', false, false, true],
    ['autoscaler:settings.patch', false, false, true],
  ])('%s: viewer %s, operator %s, admin %s', (channel, viewer, operator, admin) => {
    expect([roleAllows('viewer', channel), roleAllows('operator', channel), roleAllows('admin', channel)]).toEqual([
      viewer,
      operator,
      admin,
    ]);
  });

  it('says which role is needed when refusing', () => {
    expect(checkRole('viewer', 'autoscaler:engine.setEnabled')).toEqual({
      code: 'role_too_low',
      role: 'viewer',
      needs: 'operator',
      channel: 'autoscaler:engine.setEnabled',
    });
    expect(checkRole('admin', 'autoscaler:config.save')).toBeNull();
  });

  it('has an audit line for every changing channel, and none for reads', () => {
    for (const c of CHANGING_CHANNELS) expect(describeChange(c, {}), c).toBeTruthy();
    for (const c of invokeChannels.filter((c) => !CHANGING_CHANNELS.has(c))) expect(describeChange(c, {})).toBeNull();
    // Nothing a viewer may call changes anything.
    for (const c of CHANGING_CHANNELS) expect(roleAllows('viewer', c), c).toBe(false);
  });

  it('a call asking for the state a switch is already in changes nothing (no audit line)', () => {
    const before = { enabled: true, launchesPaused: false, queues: [{ name: 'gpu', paused: true }] };
    expect(changesNothing('autoscaler:engine.setEnabled', { enabled: true }, before)).toBe(true);
    expect(changesNothing('autoscaler:engine.setEnabled', { enabled: false }, before)).toBe(false);
    expect(changesNothing('autoscaler:engine.setLaunchesPaused', { paused: false }, before)).toBe(true);
    expect(changesNothing('autoscaler:queue.setPaused', { queue: 'gpu', paused: true }, before)).toBe(true);
    expect(changesNothing('autoscaler:queue.setPaused', { queue: 'gpu', paused: false }, before)).toBe(false);
    expect(changesNothing('autoscaler:queue.setPaused', { queue: 'cpu', paused: false }, before)).toBe(false);
    expect(changesNothing('autoscaler:config.save', {}, before)).toBe(false);
  });
});
