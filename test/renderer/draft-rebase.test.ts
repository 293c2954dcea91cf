import { describe, expect, it } from 'vitest';
import { draftFromConfig, type ConfigDraft } from '../../renderer/src/model/config-form.js';
import { rebaseDraft, rebaseText } from '../../renderer/src/model/draft-rebase.js';
import { formReducer, initialFormState } from '../../renderer/src/model/settings-form.js';
import { validConfig } from '../service/fixtures.js';
import { edit } from './draft.js';

const base = () => draftFromConfig(validConfig());
const withMax = (d: ConfigDraft, v: string) => edit(d, (x) => void (x.scaling.maxIdleMin = v));
const withRegion = (d: ConfigDraft, v: string) => edit(d, (x) => void (x.region = v));
const withType = (d: ConfigDraft, v: string) => edit(d, (x) => void (x.resources[0]!.instanceType = v));

describe('a config saved elsewhere merged into unsaved edits', () => {
  it.each([
    {
      name: 'nothing changed elsewhere',
      mine: (d: ConfigDraft) => withRegion(d, 'eu-west-1'),
      theirs: (d: ConfigDraft) => d,
      want: { region: 'eu-west-1', maxIdleMin: base().scaling.maxIdleMin, taken: [], overlaps: [] },
    },
    {
      name: 'a part left alone here takes theirs, the edited one stays',
      mine: (d: ConfigDraft) => withRegion(d, 'eu-west-1'),
      theirs: (d: ConfigDraft) => withMax(d, '42'),
      want: { region: 'eu-west-1', maxIdleMin: '42', taken: ['scaling.maxIdleMin'], overlaps: [] },
    },
    {
      name: 'the same value saved there is no conflict',
      mine: (d: ConfigDraft) => withRegion(d, 'eu-west-1'),
      theirs: (d: ConfigDraft) => withRegion(d, 'eu-west-1'),
      want: { region: 'eu-west-1', maxIdleMin: base().scaling.maxIdleMin, taken: [], overlaps: [] },
    },
    {
      name: 'one scaling field each: both kept (the fields merge one by one)',
      mine: (d: ConfigDraft) => edit(d, (x) => void (x.scaling.surplusIdleMin = '3')),
      theirs: (d: ConfigDraft) => withMax(d, '42'),
      want: { region: base().region, maxIdleMin: '42', taken: ['scaling.maxIdleMin'], overlaps: [] },
    },
    {
      name: 'the same part changed differently: mine kept, named as an overlap',
      mine: (d: ConfigDraft) => withType(withRegion(d, 'eu-west-1'), 'g5.xlarge'),
      theirs: (d: ConfigDraft) => withType(withMax(d, '42'), 'g6.xlarge'),
      want: { region: 'eu-west-1', maxIdleMin: '42', taken: ['scaling.maxIdleMin'], overlaps: ['resources'] },
    },
  ])('$name', ({ mine, theirs, want }) => {
    const b = base();
    const r = rebaseDraft(b, mine(b), theirs(b));
    expect({
      region: r.draft.region,
      maxIdleMin: r.draft.scaling.maxIdleMin,
      taken: r.taken,
      overlaps: r.overlaps,
    }).toEqual(want);
  });

  it('row keys made fresh by a new read of the same config are not a change', () => {
    const r = rebaseDraft(base(), withRegion(base(), 'eu-west-1'), base());
    expect(r).toMatchObject({ taken: [], overlaps: [] });
  });

  it.each([
    { taken: [], overlaps: [], want: null },
    {
      taken: ['queues', 'scaling.maxIdleMin'] as const,
      overlaps: [],
      want: {
        tone: 'info',
        text: 'Saved in another window or by a teammate while you edited: Queues and Max idle time (min) now show what they saved. Your unsaved edits are kept.',
      },
    },
    {
      taken: [],
      overlaps: ['lease'] as const,
      want: {
        tone: 'warn',
        text: 'Saved in another window or by a teammate while you edited: The lease changed there too: the form keeps your edits, and Save replaces theirs (Discard changes… shows theirs).',
      },
    },
  ])('the status line for taken $taken, overlaps $overlaps', ({ taken, overlaps, want }) => {
    expect(rebaseText({ taken: [...taken], overlaps: [...overlaps] })).toEqual(want);
  });

  it('the form reducer: merged while dirty, replaced when clean, and the next merge is against the new base', () => {
    const saved = validConfig();
    let s = initialFormState(saved);
    s = formReducer(s, { type: 'edit', id: 'region', change: (d) => ({ ...d, region: 'eu-west-1' }) });
    const elsewhere = { ...saved, scaling: { ...saved.scaling, maxIdleMin: 42 } };
    s = formReducer(s, { type: 'changed-elsewhere', config: elsewhere });
    expect(s).toMatchObject({ dirty: true, draft: { region: 'eu-west-1', scaling: { maxIdleMin: '42' } } });
    expect(s.status?.tone).toBe('info');
    // The same config read again (a reconnect) changes nothing and says nothing new.
    const again = formReducer({ ...s, status: null }, { type: 'changed-elsewhere', config: elsewhere });
    expect(again.status).toBeNull();
    expect(again.draft.region).toBe('eu-west-1');
    // Arriving after this window's edits were saved or discarded: the config simply loads.
    const clean = formReducer(initialFormState(saved), { type: 'changed-elsewhere', config: elsewhere });
    expect(clean).toMatchObject({ dirty: false, draft: { scaling: { maxIdleMin: '42' } } });
  });
});
