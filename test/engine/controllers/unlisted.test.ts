import { describe, expect, it } from 'vitest';
import { UnlistedLookup, unlistedSinceLastTick } from '../../../electron/engine/controllers/unlisted.js';
import { TAG, type InstanceObs } from '../../../electron/engine/ports.js';
import { instance } from '../fixtures.js';

const a = instance('cpu', 'cpu', { instanceId: 'i-0000000a' });
const b = instance('cpu', 'cpu', { instanceId: 'i-0000000b' });
const c = instance('cpu', 'cpu', { instanceId: 'i-0000000c' });

describe('unlistedSinceLastTick (pure)', () => {
  const cases: { name: string; last: string[]; listed: InstanceObs[]; skip?: string[]; want: string[] }[] = [
    { name: 'all listed again → none', last: [a.instanceId, b.instanceId], listed: [a, b], want: [] },
    { name: 'one left out → that one', last: [a.instanceId, b.instanceId], listed: [a], want: [b.instanceId] },
    { name: 'new in this listing → not asked for', last: [a.instanceId], listed: [a, c], want: [] },
    {
      name: 'left out but skipped (ended by this app, or busy) → none',
      last: [a.instanceId, b.instanceId],
      listed: [],
      skip: [a.instanceId],
      want: [b.instanceId],
    },
    { name: 'first tick (nothing before) → none', last: [], listed: [], want: [] },
  ];
  for (const t of cases)
    it(t.name, () => {
      const skip = new Set(t.skip ?? []);
      expect(unlistedSinceLastTick(new Set(t.last), t.listed, (id) => skip.has(id))).toEqual(t.want);
    });
});

describe('UnlistedLookup', () => {
  function rig(known: InstanceObs[], fail = false) {
    const asked: string[][] = [];
    const ec2 = {
      async describeInstancesById(ids: readonly string[]) {
        asked.push([...ids]);
        if (fail) throw new Error('RequestLimitExceeded');
        return known.filter((i) => ids.includes(i.instanceId));
      },
    };
    return { asked, u: new UnlistedLookup(ec2) };
  }

  it('hands back what EC2 says by id of one the listing left out, only with our prefix tag', async () => {
    const retagged = { ...c, tags: { ...c.tags, [TAG.prefix]: 'other' } };
    const stopping = { ...b, state: 'stopping' as const };
    const { asked, u } = rig([stopping, retagged]);
    u.remember([a, b, c]);
    expect(await u.find([a], 'dyn', () => false)).toEqual([stopping]);
    expect(asked).toEqual([[b.instanceId, c.instanceId]]);
  });

  it('one EC2 says is terminated is not handed back as listed; it is kept, with why it ended, for the cost history', async () => {
    const interrupted = { ...b, state: 'terminated' as const, stateReasonCode: 'Server.SpotInstanceTermination' };
    const { u } = rig([interrupted]);
    u.remember([a, b]);
    expect(await u.find([a], 'dyn', () => false)).toEqual([]);
    expect(u.ended).toEqual([interrupted]);
    // The next tick's lookup starts afresh: what it says is only this tick's.
    u.remember([a]);
    expect(await u.find([a], 'dyn', () => false)).toEqual([]);
    expect(u.ended).toEqual([]);
  });

  it('asks nothing when every live one of the last tick is listed, or was not live then', async () => {
    const { asked, u } = rig([a, b]);
    u.remember([a, { ...b, state: 'stopped' }]);
    expect(await u.find([a], 'dyn', () => false)).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('a failed lookup hands back none (the listing stands)', async () => {
    const { u } = rig([b], true);
    u.remember([a, b]);
    expect(await u.find([a], 'dyn', () => false)).toEqual([]);
  });

  it('a new engine of the same world carries what the last one listed', async () => {
    const { asked, u } = rig([b]);
    const before = new UnlistedLookup();
    before.remember([a, b]);
    u.carryFrom(before);
    expect(await u.find([a], 'dyn', () => false)).toEqual([b]);
    expect(asked).toEqual([[b.instanceId]]);
  });
});
