import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { pyyamlPlain, resolveAsPyyaml } from '../../electron/engine/config/pyyaml.js';
import { SCALAR_CASES } from './pyyaml-cases.js';

describe('a plain scalar resolved as PyYAML resolves it', () => {
  it.each(SCALAR_CASES)('$source → $value', ({ source, value }) => {
    expect(pyyamlPlain(source)).toBe(value);
  });
});

describe('resolveAsPyyaml on a document', () => {
  const text = ['a: {b: [0100, "0100", yes], c: 1:30}', 'd: !!str 0100', 'e: |', '  0100', 'on: x', '0100: y'].join(
    '\n',
  );

  it('resolves plain scalars, keys included; quoted, tagged and block scalars stay text', () => {
    const doc = parseDocument(text);
    resolveAsPyyaml(doc);
    expect(doc.toJS()).toEqual({ a: { b: [64, '0100', true], c: 90 }, d: '0100', e: '0100\n', true: 'x', 64: 'y' });
  });

  it('names each value a person could read otherwise, with its path', () => {
    expect(resolveAsPyyaml(parseDocument(text))).toEqual([
      { path: 'a.b.0', source: '0100', value: 64, why: 'octal', isKey: false },
      { path: 'a.b.2', source: 'yes', value: true, why: 'boolean', isKey: false },
      { path: 'a.c', source: '1:30', value: 90, why: 'base-60', isKey: false },
      { path: '', source: 'on', value: true, why: 'boolean', isKey: true },
      { path: '', source: '0100', value: 64, why: 'octal', isKey: true },
    ]);
  });
});
