/**
 * A small HOCON reader for `clearml.conf`, covering what ClearML users actually have there: nested objects
 * (`api { credentials { ... } }`), dotted keys (`api.api_server: ...`), `:` / `=` / `+=` / no separator before `{`,
 * quoted, triple-quoted and bare values, arrays, value concatenation, `#` and `//` comments, optional commas,
 * duplicate keys merged (objects deep-merge, later scalars win), `include` lines skipped.
 *
 * Scalars stay strings (numbers and booleans as written). Substitutions (`${X}`, `${?X}`) are kept verbatim;
 * `resolveSubstitution` resolves a value that is exactly one substitution, which is the only form used for keys.
 *
 * Like pyhocon (which the ClearML SDK uses), `//` inside a bare value is not a comment, so
 * `api_server: http://localhost:8008` reads as the URL; `//` starts a comment only where a token starts or
 * after whitespace.
 */

import { CLEARML_CONF_LIMITS, checkText, describeGuardFailure } from '../untrusted/text-guard.js';

export type HoconValue = string | HoconValue[] | HoconObject;
export interface HoconObject {
  [key: string]: HoconValue;
}

export class HoconError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'HoconError';
  }
}

export function isHoconObject(v: HoconValue | undefined): v is HoconObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a whole document; the root braces are optional. Throws HoconError with a position. */
export function parseHocon(text: string): HoconObject {
  const bound = checkText(text, CLEARML_CONF_LIMITS, 'hocon');
  // Position only, like every HoconError: the text may hold a secret.
  if (bound)
    throw new HoconError(describeGuardFailure(bound, 'clearml.conf'), bound.code === 'too-deep' ? bound.line : 1, 1);
  return new Parser(text.replace(/^\uFEFF/, '')).document();
}

/** `hoconGet(conf, 'api.credentials.access_key')`, or with a segment array for keys containing dots. */
export function hoconGet(root: HoconObject, path: string | readonly string[]): HoconValue | undefined {
  const segments = typeof path === 'string' ? path.split('.') : path;
  let cur: HoconValue | undefined = root;
  for (const s of segments) {
    if (!isHoconObject(cur) || !Object.hasOwn(cur, s)) return undefined;
    cur = cur[s];
  }
  return cur;
}

/**
 * A value that is exactly `${path}` / `${?path}` resolves against the document, then the environment (as HOCON
 * does); any other string is returned as is. Unresolvable → undefined.
 */
export function resolveSubstitution(
  value: string,
  root: HoconObject,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const m = /^\$\{\??\s*([^}]+?)\s*\}$/.exec(value);
  if (!m) return value;
  const path = m[1]!;
  const inDoc = hoconGet(root, path);
  if (typeof inDoc === 'string' && inDoc !== value) return inDoc;
  return env[path];
}

const WS_INLINE = new Set([' ', '\t', '\r', '\f', '\v', '\u00a0']);
/** Characters that end a bare (unquoted) key. */
const KEY_STOP = new Set(['.', ':', '=', '{', '}', '[', ']', ',', '#', '"', '+', '\n', ...WS_INLINE]);
/** Characters that end a bare value. `//` is handled separately. */
const VALUE_STOP = new Set(['\n', ',', '}', ']', '#', '{', '[', '"', '$']);

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  document(): HoconObject {
    this.skip(true);
    let root: HoconObject;
    if (this.peek() === '{') {
      this.pos++;
      root = this.objectBody('}');
      this.expect('}');
    } else {
      root = this.objectBody(null);
    }
    this.skip(true);
    if (!this.eof()) this.fail(`unexpected '${this.peek()}' after the end of the document`);
    return root;
  }

  // ------------------------------------------------------------ objects

  private objectBody(close: '}' | null): HoconObject {
    const obj: HoconObject = {};
    for (;;) {
      this.skip(true, true);
      if (this.eof()) {
        if (close) this.fail(`missing '${close}'`);
        return obj;
      }
      if (close && this.peek() === close) return obj;
      if (!close && (this.peek() === '}' || this.peek() === ']')) this.fail(`unexpected '${this.peek()}'`);
      if (this.atWord('include')) {
        this.skipInclude();
        continue;
      }
      const path = this.key();
      this.skip(true);
      let append = false;
      const c = this.peek();
      if (c === ':' || c === '=') this.pos++;
      else if (c === '+' && this.src[this.pos + 1] === '=') {
        this.pos += 2;
        append = true;
      } else if (c !== '{') this.fail(`expected ':', '=' or '{' after key '${path.join('.')}'`);
      this.skip(true);
      const value = this.value();
      assign(obj, path, value, append);
    }
  }

  private key(): string[] {
    const segments: string[] = [];
    for (;;) {
      let seg: string;
      if (this.src.startsWith('"', this.pos)) seg = this.quoted();
      else {
        const start = this.pos;
        while (!this.eof() && !KEY_STOP.has(this.peek()) && !this.src.startsWith('//', this.pos)) this.pos++;
        seg = this.src.slice(start, this.pos);
        if (!seg) this.fail(`expected a key, found '${this.peek() || 'end of file'}'`);
      }
      segments.push(seg);
      if (this.peek() !== '.') return segments;
      this.pos++;
    }
  }

  private skipInclude(): void {
    // `include "file"`, `include required(file("x"))`: we never follow includes; credentials live in the file.
    while (!this.eof() && this.peek() !== '\n') this.pos++;
  }

  // ------------------------------------------------------------ values

  private value(): HoconValue {
    const c = this.peek();
    if (c === '{') {
      this.pos++;
      const obj = this.objectBody('}');
      this.expect('}');
      return obj;
    }
    if (c === '[') return this.array();
    if (this.eof() || c === '\n' || c === ',' || c === '}' || c === ']') this.fail('expected a value');
    return this.concatenation();
  }

  private array(): HoconValue[] {
    this.expect('[');
    const out: HoconValue[] = [];
    for (;;) {
      this.skip(true, true);
      if (this.eof()) this.fail("missing ']'");
      if (this.peek() === ']') {
        this.pos++;
        return out;
      }
      out.push(this.value());
    }
  }

  /** Simple values on one line concatenate: `${HOME}/x`, `"a" b`, bare words with spaces between. */
  private concatenation(): string {
    let out = '';
    for (;;) {
      out += this.simple();
      const save = this.pos;
      let gap = '';
      while (WS_INLINE.has(this.peek())) gap += this.src[this.pos++];
      if (this.simpleStarts()) out += gap;
      else {
        this.pos = save;
        return out;
      }
    }
  }

  private simpleStarts(): boolean {
    if (this.eof()) return false;
    const c = this.peek();
    if (c === '"' || this.src.startsWith('${', this.pos)) return true;
    if (VALUE_STOP.has(c) || this.src.startsWith('//', this.pos)) return false;
    return true;
  }

  private simple(): string {
    if (this.src.startsWith('"""', this.pos)) return this.tripleQuoted();
    if (this.peek() === '"') return this.quoted();
    if (this.src.startsWith('${', this.pos)) {
      const end = this.src.indexOf('}', this.pos);
      if (end < 0) this.fail('unterminated substitution');
      const s = this.src.slice(this.pos, end + 1);
      this.pos = end + 1;
      return s;
    }
    const start = this.pos;
    while (!this.eof()) {
      const c = this.peek();
      if (VALUE_STOP.has(c) && !(c === '$' && !this.src.startsWith('${', this.pos))) break;
      if (this.src.startsWith('//', this.pos) && (this.pos === start || WS_INLINE.has(this.src[this.pos - 1]!))) break;
      this.pos++;
    }
    if (this.pos === start) this.fail(`unexpected '${this.peek()}'`);
    // Whitespace before a comment or the line end is not part of a bare value.
    let end = this.pos;
    while (end > start && WS_INLINE.has(this.src[end - 1]!)) end--;
    this.pos = end;
    return this.src.slice(start, end);
  }

  private quoted(): string {
    const start = this.pos;
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.eof() || this.peek() === '\n') {
        this.pos = start;
        this.fail('unterminated string');
      }
      const c = this.src[this.pos++]!;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      if (e === 'n') out += '\n';
      else if (e === 't') out += '\t';
      else if (e === 'r') out += '\r';
      else if (e === 'b') out += '\b';
      else if (e === 'f') out += '\f';
      else if (e === 'u') {
        const hex = this.src.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else if (e === undefined) this.fail('unterminated string');
      else out += e; // \" \\ \/ and, leniently, any other escaped character
    }
  }

  private tripleQuoted(): string {
    const end = this.src.indexOf('"""', this.pos + 3);
    if (end < 0) this.fail('unterminated """ string');
    let stop = end + 3;
    while (this.src[stop] === '"') stop++; // extra quotes belong to the content
    const s = this.src.slice(this.pos + 3, stop - 3);
    this.pos = stop;
    return s;
  }

  // ------------------------------------------------------------ lexing helpers

  /** Skips whitespace and comments; with `newlines`, also line breaks; with `commas`, also separators. */
  private skip(newlines: boolean, commas = false): void {
    while (!this.eof()) {
      const c = this.peek();
      if (WS_INLINE.has(c) || (newlines && c === '\n') || (commas && c === ',')) this.pos++;
      else if (c === '#' || this.src.startsWith('//', this.pos)) {
        while (!this.eof() && this.peek() !== '\n') this.pos++;
      } else return;
    }
  }

  private atWord(word: string): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const next = this.src[this.pos + word.length];
    return next === ' ' || next === '\t';
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  private eof(): boolean {
    return this.pos >= this.src.length;
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}'`);
    this.pos++;
  }

  private fail(message: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    const column = this.pos - before.lastIndexOf('\n');
    throw new HoconError(message, line, column);
  }
}

function assign(obj: HoconObject, path: string[], value: HoconValue, append: boolean): void {
  // A key named __proto__ would re-parent the object instead of adding a key.
  if (path.includes('__proto__')) return;
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (!isHoconObject(next)) cur[seg] = {};
    cur = cur[seg] as HoconObject;
  }
  const last = path[path.length - 1]!;
  const prev = cur[last];
  if (append) cur[last] = Array.isArray(prev) ? [...prev, value] : [value];
  else if (isHoconObject(prev) && isHoconObject(value)) cur[last] = merge(prev, value);
  else cur[last] = value;
}

function merge(a: HoconObject, b: HoconObject): HoconObject {
  const out: HoconObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (k === '__proto__') continue;
    const prev = out[k];
    out[k] = isHoconObject(prev) && isHoconObject(v) ? merge(prev, v) : v;
  }
  return out;
}
