// Values that save but cannot take effect as typed get a note under their field.
import { describe, expect, it } from 'vitest';
import { emptyNote, queueCapNote, surplusIdleNote, withNote } from '../../renderer/src/model/cap-notes.js';
import { draftFromConfig } from '../../renderer/src/model/config-form.js';

const draft = (scaling: Record<string, string>) => {
  const d = draftFromConfig({});
  return { ...d, scaling: { ...d.scaling, ...scaling } };
};

describe('notes under capped fields', () => {
  it.each<[string, Record<string, string>, string | null]>([
    ['surplus above max idle', { surplusIdleMin: '500', maxIdleMin: '15' }, 'go after 15 min at the latest'],
    ['surplus equal to max idle', { surplusIdleMin: '15', maxIdleMin: '15' }, null],
    ['surplus below', { surplusIdleMin: '2', maxIdleMin: '15' }, null],
    ['max idle emptied (its own validation speaks)', { surplusIdleMin: '5', maxIdleMin: '' }, null],
    ['surplus not a number', { surplusIdleMin: 'abc', maxIdleMin: '15' }, null],
  ])('surplus idle time: %s', (_, scaling, want) => {
    const note = surplusIdleNote(draft(scaling));
    if (want === null) expect(note).toBeNull();
    else expect(note).toContain(want);
  });

  it.each<[string, string, string, string | null]>([
    ['a queue cap above the total', '50', '20', 'Above Max instances in total (20): no more than 20 run'],
    ['equal to the total', '20', '20', null],
    ['below', '3', '20', null],
    ['typed empty', '', '20', null],
    ['total emptied', '50', ' ', null],
  ])("a queue's max instances: %s", (_, cap, total, want) => {
    const note = queueCapNote(cap, draft({ maxTotalInstances: total }));
    if (want === null) expect(note).toBeNull();
    else expect(note).toContain(want);
  });

  it.each<[string, string, string | null]>([
    ['maxIdleMin', '', 'Left empty, the default is saved: 15.'],
    ['maxTotalInstances', '  ', 'Left empty, the default is saved: 20.'],
    ['surplusIdleMin', '3', null],
  ])('an emptied %s says what is saved instead', (field, value, want) => {
    const f = field as 'maxIdleMin' | 'maxTotalInstances' | 'surplusIdleMin';
    expect(emptyNote(draft({ [f]: value }), f)).toBe(want);
  });

  it('joins a hint and its note, or leaves the hint alone', () => {
    expect(withNote('0 to 10000', 'Above it.')).toBe('0 to 10000. Above it.');
    expect(withNote('0 to 10000', null)).toBe('0 to 10000');
  });
});
