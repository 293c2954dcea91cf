import { describe, expect, it } from 'vitest';
import { HoconError, hoconGet, parseHocon, resolveSubstitution } from '../../electron/engine/clearml/hocon.js';

describe('parseHocon', () => {
  it('nested objects, quoted keys, `=` and `:`, commas optional', () => {
    const doc = parseHocon(`
      api {
        web_server: https://app.clear.ml/
        api_server = "https://api.clear.ml"
        credentials {
          "access_key" = "AK1"
          "secret_key": "SK/1+x="
        }
      }
    `);
    expect(hoconGet(doc, 'api.web_server')).toBe('https://app.clear.ml/');
    expect(hoconGet(doc, 'api.api_server')).toBe('https://api.clear.ml');
    expect(hoconGet(doc, 'api.credentials')).toEqual({ access_key: 'AK1', secret_key: 'SK/1+x=' });
  });

  it('one-line objects with commas (what clearml-init writes)', () => {
    const doc = parseHocon(`api { credentials {"access_key": "AK", "secret_key": "SK"} }`);
    expect(hoconGet(doc, 'api.credentials.secret_key')).toBe('SK');
  });

  it('dotted keys build nested objects and merge with blocks', () => {
    const doc = parseHocon(`
      api.api_server: http://localhost:8008
      api.credentials.access_key: AK
      api { credentials { secret_key: SK } }
    `);
    expect(hoconGet(doc, 'api')).toEqual({
      api_server: 'http://localhost:8008',
      credentials: { access_key: 'AK', secret_key: 'SK' },
    });
  });

  it('a quoted key containing dots stays one key', () => {
    const doc = parseHocon(`"a.b" = 1\nc."d.e" = 2`);
    expect(hoconGet(doc, ['a.b'])).toBe('1');
    expect(hoconGet(doc, ['c', 'd.e'])).toBe('2');
  });

  it('comments: # and // on their own line or after a value; // inside a bare URL is not a comment', () => {
    const doc = parseHocon(`
      # a comment
      // another
      a: http://h:8008 # trailing
      b: "x//y" // trailing
      c: value // trailing
      d: file://*
    `);
    expect(doc).toEqual({ a: 'http://h:8008', b: 'x//y', c: 'value', d: 'file://*' });
  });

  it('later scalars win, objects deep-merge', () => {
    const doc = parseHocon(`a { x: 1, y: 2 }\na { y: 3 }\nb: 1\nb: 2`);
    expect(doc).toEqual({ a: { x: '1', y: '3' }, b: '2' });
  });

  it('arrays (multi-line, trailing comma), objects in arrays, += appends', () => {
    const doc = parseHocon(`
      xs: [1, 2,
        3,
      ]
      objs: [ { url: "file://*" }  # comment
      ]
      xs += 4
    `);
    expect(doc['xs']).toEqual(['1', '2', '3', '4']);
    expect(doc['objs']).toEqual([{ url: 'file://*' }]);
  });

  it('triple-quoted strings, escapes, concatenation, substitutions kept verbatim', () => {
    const doc = parseHocon(
      [
        'script: """line1',
        'line "2"""" ',
        'esc: "a\\"b\\\\c\\u0041\\n"',
        'cat: ${HOME}/x "y" z',
        'sub: ${?CLEARML_API_HOST}',
        'empty: ""',
      ].join('\n'),
    );
    expect(doc['script']).toBe('line1\nline "2"');
    expect(doc['esc']).toBe('a"b\\cA\n');
    expect(doc['cat']).toBe('${HOME}/x y z');
    expect(doc['sub']).toBe('${?CLEARML_API_HOST}');
    expect(doc['empty']).toBe('');
  });

  it('root braces, CRLF line ends, BOM, include lines', () => {
    const doc = parseHocon('\uFEFF{\r\n  include "other.conf"\r\n  a: 1\r\n  b { c: 2 }\r\n}\r\n');
    expect(doc).toEqual({ a: '1', b: { c: '2' } });
  });

  it('ignores __proto__ keys', () => {
    const doc = parseHocon('__proto__ { polluted: yes }\na: 1');
    expect(doc).toEqual({ a: '1' });
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
  });

  it.each([
    ['api {', /missing '}'/, 1],
    ['a: "unterminated\nb: 1', /unterminated string/, 1],
    ['a b c', /expected ':', '=' or '{'/, 1],
    ['a: 1\n}', /unexpected '}'/, 2],
    ['xs: [1, 2', /missing '\]'/, 1],
    ['a:\n', /expected a value/, 2],
  ])('syntax error %j has a position', (text, message, line) => {
    let err: unknown;
    try {
      parseHocon(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HoconError);
    expect((err as HoconError).message).toMatch(message);
    expect((err as HoconError).line).toBe(line);
  });
});

describe('resolveSubstitution', () => {
  const doc = parseHocon('host: "http://h:8008"\nref: ${host}\nenvref: ${?MY_HOST}');
  it.each([
    ['${host}', 'http://h:8008'],
    ['${?MY_HOST}', 'http://env:8008'],
    ['${?MISSING}', undefined],
    ['plain', 'plain'],
    ['${HOME}/x', '${HOME}/x'],
  ])('%s', (value, expected) => {
    expect(resolveSubstitution(value, doc, { MY_HOST: 'http://env:8008' })).toBe(expected);
  });
});
