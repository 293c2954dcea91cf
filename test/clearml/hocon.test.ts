import { describe, expect, it } from 'vitest';
import { HoconError, hoconGet, parseHocon } from '../../electron/engine/clearml/hocon.js';

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

  it('triple-quoted strings, escapes, concatenation with substitutions', () => {
    const doc = parseHocon(
      [
        'script: """line1',
        'line "2"""" ',
        'esc: "a\\"b\\\\c\\u0041\\n"',
        'cat: ${HOME}/x "y" z',
        'sub: ${?CLEARML_API_HOST}',
        'empty: ""',
      ].join('\n'),
      { HOME: '/home/u' },
    );
    expect(doc['script']).toBe('line1\nline "2"');
    expect(doc['esc']).toBe('a"b\\cA\n');
    expect(doc['cat']).toBe('/home/u/x y z');
    expect(doc).not.toHaveProperty('sub');
    expect(doc['empty']).toBe('');
  });

  it('root braces, CRLF line ends, BOM, include lines', () => {
    const doc = parseHocon('\uFEFF{\r\n  include "other.conf"\r\n  a: 1\r\n  b { c: 2 }\r\n}\r\n');
    expect(doc).toEqual({ a: '1', b: { c: '2' } });
  });

  it('a key with nothing after its separator up to the end of its object is empty (as pyhocon reads it)', () => {
    expect(parseHocon('b {\n  c =   # blanked\n}\nd: { e: , f: 1 }\na:\n')).toEqual({
      b: { c: '' },
      d: { e: '', f: '1' },
      a: '',
    });
    // Before another key, the next line is the value: pyhocon reads it so too.
    expect(parseHocon('a {\n  b:\n  c: 1\n}')).toEqual({ a: { b: 'c: 1' } });
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
    ['a: ]', /expected a value/, 1],
  ])('syntax error %j has a position', (text, message, line) => {
    const err = thrown(() => parseHocon(text));
    expect(err).toBeInstanceOf(HoconError);
    expect((err as HoconError).message).toMatch(message);
    expect((err as HoconError).line).toBe(line);
  });
});

// Resolved as pyhocon resolves them, since that is how the ClearML SDK and agent read the same file.
describe('substitutions', () => {
  const env = { MY_HOST: 'http://env:8008', EMPTY: '' };
  it.each([
    ['the document first', 'host: "http://h:8008"\nref: ${host}', 'http://h:8008'],
    ['a path defined later in the document', 'ref: ${api.host}\napi.host: late', 'late'],
    ['the environment when the document has no such path', 'ref: ${?MY_HOST}', 'http://env:8008'],
    ['an environment variable set to the empty string', 'ref: "z"\nref: ${?EMPTY}', ''],
    ['a concatenation', 'ref: ${MY_HOST}"/api" x', 'http://env:8008/api x'],
    ['an undefined optional one in a concatenation is empty', 'ref: ${?MISSING}"/api"', '/api'],
    [
      'an undefined optional one keeps the value it overrides',
      'ref: "http://default"\nref: ${?MISSING}',
      'http://default',
    ],
    ['... across blocks and dotted keys too', 'a { ref: "d" }\na { ref: ${?MISSING} }\na.ref: ${?MISSING}', 'd'],
    ['a defined optional one overrides', 'ref: "http://default"\nref: ${?MY_HOST}', 'http://env:8008'],
    ["the key's own name means the value it overrides", 'ref: "a"\nref: ${ref}"b"', 'ab'],
    ['inside quotes it is text', 'ref: "${MY_HOST}"', '${MY_HOST}'],
    ['inside triple quotes it is text', 'ref: """${?MY_HOST}"""', '${?MY_HOST}'],
    ['a quoted path segment is one key', 'x { "b.c": q, b { c: p } }\nref: ${x."b.c"}', 'q'],
    ['outside quotes `:` separates keys as a dot does', 'x { b: q }\nref: ${x:b}', 'q'],
  ])('%s', (_name, text, expected) => {
    const doc = parseHocon(text, env);
    expect(hoconGet(doc, doc['a'] ? 'a.ref' : 'ref')).toBe(expected);
  });

  it('a value that is only an undefined optional one leaves the key unset', () => {
    expect(parseHocon('a { b: ${?MISSING} }\nc: [x, ${?MISSING}]')).toEqual({ a: {}, c: ['x'] });
  });

  it('a substitution naming an object gives that object', () => {
    expect(parseHocon('a { x: 1 }\nb: ${a}')).toEqual({ a: { x: '1' }, b: { x: '1' } });
  });

  it.each([
    ['an undefined required one', 'a: 1\nb: ${MISSING}', 2],
    ['a cycle', 'a: ${b}\nb: ${a}', 2],
    ['an object that contains itself', 'a { x: ${a} }', 1],
    ['an object in a string concatenation', 'a { x: 1 }\nb: ${a}"x"', 2],
  ])('%s refuses the document with a position', (_name, text, line) => {
    const err = thrown(() => parseHocon(text));
    expect(err).toBeInstanceOf(HoconError);
    expect(err).toMatchObject({ kind: 'substitution', line });
  });

  it('a long chain or an exponential expansion is refused, not a stack overflow or a huge string', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `k${i}: \${k${i + 1}}`).join('\n') + '\nk5000: end';
    expect(() => parseHocon(chain)).toThrow(/nested too deep/);
    const bomb = Array.from({ length: 40 }, (_, i) => `k${i}: \${k${i + 1}}\${k${i + 1}}`).join('\n') + '\nk40: xx';
    expect(() => parseHocon(bomb)).toThrow(/too long a value/);
  });
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
