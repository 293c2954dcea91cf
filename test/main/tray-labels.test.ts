// The tray menu shows names as they are: Electron drops a single `&` (a mnemonic marker), so `R&D` needs `&&`; a
// control character or BiDi override in a name is shown as its code; a long name is cut between characters, never
// inside an emoji's surrogate pair.
import { describe, expect, it } from 'vitest';
import { buildTrayModel, TRAY_LABEL_MAX } from '../../electron/main/tray/tray-model.js';
import { toMenuTemplate } from '../../electron/main/tray/tray-controller.js';
import { clip } from '../../shared/words.js';
import { queue, snapshot } from '../service/fixtures.js';

const settings = { launchAtLogin: false, launchAtLoginSupported: true, configured: true };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('tray menu labels', () => {
  it.each([
    ['plain', 'gpu: 2 pending / 1 running', 'gpu: 2 pending / 1 running'],
    ['an ampersand', 'R&D: 2 pending', 'R&&D: 2 pending'],
    ['two ampersands', 'a&&b', 'a&&&&b'],
    ['a BiDi override', 'gpu\u202eevil', 'gpu\\u202eevil'],
    ['an escape sequence', 'gpu\x1b]0;t\x07', 'gpu\\u001b]0;t\\u0007'],
    ['unicode stays', 'größe 🚀', 'größe 🚀'],
  ])('%s', (_, label, shown) => {
    expect(toMenuTemplate([{ id: 'x', type: 'normal', label }], () => undefined)[0]!.label).toBe(shown);
  });

  it('a queue named R&D reaches the menu template as R&&D, which Electron shows as R&D', () => {
    const m = buildTrayModel(snapshot({ queues: [queue({ name: 'R&D', pending: 2 })] }), settings);
    const template = toMenuTemplate(m.items, () => undefined);
    expect(template.find((t) => t.id === 'queue:R&D')?.label).toMatch(/^R&&D: /);
  });

  it.each([78, 79, 80])('a long name with an emoji at character %i is cut whole', (at) => {
    const name = `${'q'.repeat(at)}🚀🚀🚀${'q'.repeat(20)}`;
    const m = buildTrayModel(snapshot({ queues: [queue({ name })] }), settings);
    const label = m.items.find((i) => i.id === `queue:${name}`)!.label!;
    expect(label.length).toBeLessThanOrEqual(TRAY_LABEL_MAX);
    expect(label).toMatch(/…$/);
    expect(label).not.toMatch(LONE_SURROGATE);
  });

  it.each([
    ['ascii', 'abcdefghij', 5, 'abcd…'],
    ['an emoji across the cut', 'abc🚀def', 5, 'abc…'],
    ['an emoji before the cut', 'ab🚀cdef', 5, 'ab🚀…'],
  ])('clip: %s', (_, text, max, cut) => {
    expect(clip(text, max)).toBe(cut);
  });
});
