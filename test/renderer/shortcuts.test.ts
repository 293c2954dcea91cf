import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor, type KeyPress } from '../../renderer/src/shortcuts.js';

const press = (p: Partial<KeyPress>): KeyPress => ({
  key: '',
  code: '',
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  inTextField: false,
  ...p,
});

describe('shortcutFor', () => {
  it.each<[string, Partial<KeyPress>, ReturnType<typeof shortcutFor>]>([
    ['Alt+1 opens Overview', { altKey: true, code: 'Digit1', key: '1' }, { code: 'view', view: 'overview' }],
    ['Alt+3 opens Instances', { altKey: true, code: 'Digit3', key: '3' }, { code: 'view', view: 'instances' }],
    ['Alt+7 opens Credentials', { altKey: true, code: 'Digit7', key: '7' }, { code: 'view', view: 'credentials' }],
    [
      'Option+1 on macOS (key "¡") still opens Overview',
      { altKey: true, code: 'Digit1', key: '¡' },
      { code: 'view', view: 'overview' },
    ],
    ['Alt+8 is no view', { altKey: true, code: 'Digit8' }, null],
    ['Alt+A toggles autoscaling', { altKey: true, code: 'KeyA', key: 'a' }, { code: 'toggle-autoscaling' }],
    [
      'Alt+A in a text field too (Alt+letter types nothing there)',
      { altKey: true, code: 'KeyA', inTextField: true },
      { code: 'toggle-autoscaling' },
    ],
    [
      'Ctrl+Alt+A (AltGr on Windows) is a character, not a shortcut',
      { altKey: true, ctrlKey: true, code: 'KeyA' },
      null,
    ],
    ['Alt+Shift+1 is left alone', { altKey: true, shiftKey: true, code: 'Digit1' }, null],
    ['a plain 1 is left alone', { code: 'Digit1', key: '1' }, null],
    ['? opens the help', { key: '?', shiftKey: true, code: 'Slash' }, { code: 'help' }],
    ['? typed into a text field is text', { key: '?', shiftKey: true, inTextField: true }, null],
    ['Ctrl+? is left alone', { key: '?', ctrlKey: true }, null],
  ])('%s', (_name, p, expected) => expect(shortcutFor(press(p))).toEqual(expected));

  it('the help table lists a shortcut for every view and for autoscaling', () => {
    expect(SHORTCUTS.map((s) => s.keys)).toEqual(
      expect.arrayContaining(['Alt+1', 'Alt+2', 'Alt+3', 'Alt+4', 'Alt+5', 'Alt+6', 'Alt+7', 'Alt+A', '?']),
    );
  });
});
