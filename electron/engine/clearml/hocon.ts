/**
 * A small HOCON reader for `clearml.conf`, covering what ClearML users actually have there: nested objects
 * (`api { credentials { ... } }`), dotted keys (`api.api_server: ...`), `:` / `=` / `+=` / no separator before `{`,
 * quoted, triple-quoted and bare values, arrays, value concatenation, `#` and `//` comments, optional commas,
 * duplicate keys merged (objects deep-merge, later scalars win), `include` lines skipped.
 *
 * Scalars stay strings (numbers and booleans as written). Substitutions (`${path}`, `${?path}`) resolve the way
 * pyhocon resolves them, since the ClearML SDK and agent read this file with pyhocon: once the whole document is read,
 * against the document, then the environment; inside quotes they are plain text; in a concatenation an undefined
 * optional one is empty; a value that is only an undefined optional one leaves the key as it was before that line
 * (the `host: "default"`, `host: ${?ENV}` idiom) or unset; an undefined required one refuses the document.
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
    /** 'substitution': the text parses, but a `${...}` in it names nothing in the document or the environment. */
    readonly kind: 'syntax' | 'substitution' = 'syntax',
  ) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'HoconError';
  }
}

export function isHoconObject(v: HoconValue | undefined): v is HoconObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a whole document (the root braces are optional) and resolves its substitutions against it and `env`.
 * Throws HoconError with a position.
 */
export function parseHocon(text: string, env: Readonly<Record<string, string | undefined>> = {}): HoconObject {
  const bound = checkText(text, CLEARML_CONF_LIMITS, 'hocon');
  // Position only, like every HoconError: the text may hold a secret.
  if (bound)
    throw new HoconError(describeGuardFailure(bound, 'clearml.conf'), bound.code === 'too-deep' ? bound.line : 1, 1);
  const src = text.replace(/^\uFEFF/, '');
  return new Resolver(src, env).document(new Parser(src).document());
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

const WS_INLINE = new Set([' ', '\t', '\r', '\f', '\v', '\u00a0']);
/** Characters that end a bare (unquoted) key. */
const KEY_STOP = new Set(['.', ':', '=', '{', '}', '[', ']', ',', '#', '"', '+', '\n', ...WS_INLINE]);
/** Characters that end a bare value. `//` is handled separately. */
const VALUE_STOP = new Set(['\n', ',', '}', ']', '#', '{', '[', '"', '$']);

/**
 * The keys a substitution's path names, split as pyhocon splits it: a quoted segment is one key (`${a."b.c"}` is key
 * `b.c` in `a`), and outside quotes any of these characters separates keys (so `${a:b}` names `a.b`).
 */
const PATH_SEGMENT = /"[^"]+"|[^$}[\]:=+#`^?!@*&.]+/g;
function substitutionPath(variable: string): string[] {
  return Array.from(variable.matchAll(PATH_SEGMENT), ([seg]) => (seg.startsWith('"') ? seg.slice(1, -1) : seg));
}

/** `${variable}` or `${?variable}` in a value; `pos` is where it was written, for the error when it cannot resolve. */
interface Ref {
  readonly variable: string;
  readonly optional: boolean;
  readonly pos: number;
}

/**
 * A value with substitutions in it, resolved once the whole document is read. `prev` is the value it replaced, what
 * the key keeps when the value is a single undefined optional substitution (and what the key's own name refers to).
 */
class Pending {
  prev: RawValue | undefined;
  state: 'new' | 'busy' | 'done' = 'new';
  result: HoconValue | undefined;
  constructor(readonly parts: readonly (string | Ref)[]) {}
}

/** What the parser builds: a document whose values may still hold substitutions. */
type RawValue = string | Pending | RawValue[] | RawObject;
interface RawObject {
  [key: string]: RawValue;
}

function isRawObject(v: RawValue | undefined): v is RawObject {
  return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Pending);
}

/** Substitutions that lead to substitutions: deeper than any real file, shallow enough for the call stack. */
const MAX_SUBSTITUTION_DEPTH = 100;

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  document(): RawObject {
    this.skip(true);
    let root: RawObject;
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

  private objectBody(close: '}' | null): RawObject {
    const obj: RawObject = {};
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
      // Nothing up to the end of the object (or a comma) is an empty value: pyhocon, which the SDK reads this file
      // with, takes it so, and a blanked-out last key must not cost the whole file.
      const end = this.eof() || this.peek() === '}' || this.peek() === ',';
      const value = end ? '' : this.value();
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

  private value(): RawValue {
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

  private array(): RawValue[] {
    this.expect('[');
    const out: RawValue[] = [];
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
  private concatenation(): string | Pending {
    const parts: (string | Ref)[] = [];
    const add = (part: string | Ref) => {
      const last = parts.length - 1;
      if (typeof part === 'string' && typeof parts[last] === 'string') parts[last] += part;
      else parts.push(part);
    };
    for (;;) {
      add(this.simple());
      const save = this.pos;
      let gap = '';
      while (WS_INLINE.has(this.peek())) gap += this.src[this.pos++];
      if (this.simpleStarts()) {
        if (gap) add(gap);
      } else {
        this.pos = save;
        return parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : new Pending(parts);
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

  private simple(): string | Ref {
    if (this.src.startsWith('"""', this.pos)) return this.tripleQuoted();
    if (this.peek() === '"') return this.quoted();
    if (this.src.startsWith('${', this.pos)) {
      const pos = this.pos;
      const end = this.src.indexOf('}', pos);
      if (end < 0) this.fail('unterminated substitution');
      const optional = this.src[pos + 2] === '?';
      // Spaces are part of the name, as pyhocon reads it: `${ HOME }` names no variable.
      const variable = this.src.slice(pos + (optional ? 3 : 2), end);
      if (!variable || variable.includes('\n')) this.fail('bad substitution');
      this.pos = end + 1;
      return { variable, optional, pos };
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
    throw hoconError(this.src, this.pos, message);
  }
}

function hoconError(src: string, pos: number, message: string, kind?: 'substitution'): HoconError {
  const before = src.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return new HoconError(message, line, column, kind);
}

function assign(obj: RawObject, path: string[], value: RawValue, append: boolean): void {
  // A key named __proto__ would re-parent the object instead of adding a key.
  if (path.includes('__proto__')) return;
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (!isRawObject(next)) cur[seg] = {};
    cur = cur[seg] as RawObject;
  }
  const last = path[path.length - 1]!;
  const prev = cur[last];
  if (append) cur[last] = Array.isArray(prev) ? [...prev, value] : [value];
  else cur[last] = override(prev, value);
}

/** `value` written over `prev` for the same key: objects deep-merge, anything else replaces. */
function override(prev: RawValue | undefined, value: RawValue): RawValue {
  if (isRawObject(prev) && isRawObject(value)) return merge(prev, value);
  if (value instanceof Pending && prev !== undefined) value.prev = prev;
  return value;
}

function merge(a: RawObject, b: RawObject): RawObject {
  const out: RawObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (k === '__proto__') continue;
    out[k] = override(out[k], v);
  }
  return out;
}

/**
 * Replaces every Pending in a parsed document with its value, in place. A substitution names a path in the document
 * (resolved first if it holds substitutions itself), else an environment variable of that exact name.
 */
class Resolver {
  /** Objects and arrays being resolved ('busy': reaching one again is a cycle) or already resolved. */
  private readonly seen = new Map<object, 'busy' | 'done'>();
  private root: RawObject = {};

  constructor(
    private readonly src: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  document(root: RawObject): HoconObject {
    this.root = root;
    return this.resolve(root, 0, 0) as HoconObject;
  }

  /** `pos`: where the substitution that led here was written, for errors. */
  private resolve(v: RawValue, depth: number, pos: number): HoconValue | undefined {
    if (typeof v === 'string') return v;
    if (v instanceof Pending) return this.pending(v, depth, pos);
    const state = this.seen.get(v);
    if (state === 'done') return v as HoconValue;
    if (state === 'busy') throw hoconError(this.src, pos, 'substitution refers to itself', 'substitution');
    this.seen.set(v, 'busy');
    if (Array.isArray(v)) {
      const items: RawValue[] = [];
      for (const item of v) {
        const r = this.resolve(item, depth, pos);
        if (r !== undefined) items.push(r);
      }
      v.splice(0, v.length, ...items);
    } else {
      for (const k of Object.keys(v)) {
        const r = this.resolve(v[k]!, depth, pos);
        if (r === undefined) delete v[k];
        else v[k] = r;
      }
    }
    this.seen.set(v, 'done');
    return v as HoconValue;
  }

  private pending(p: Pending, depth: number, pos: number): HoconValue | undefined {
    if (p.state === 'done') return p.result;
    if (p.state === 'busy') throw hoconError(this.src, pos, 'substitution refers to itself', 'substitution');
    const first = p.parts.find((x): x is Ref => typeof x !== 'string')!;
    if (depth >= MAX_SUBSTITUTION_DEPTH)
      throw hoconError(this.src, first.pos, 'substitutions nested too deep', 'substitution');
    p.state = 'busy';
    let result: HoconValue | undefined;
    if (p.parts.length === 1) {
      result = this.lookup(first, p, depth + 1);
      if (result === undefined && p.prev !== undefined) result = this.resolve(p.prev, depth + 1, first.pos);
    } else {
      let s = '';
      for (const part of p.parts) {
        if (typeof part === 'string') s += part;
        else {
          const r = this.lookup(part, p, depth + 1);
          if (typeof r === 'object')
            throw hoconError(this.src, part.pos, 'an object or list in a string concatenation', 'substitution');
          s += r ?? '';
        }
        if (s.length > CLEARML_CONF_LIMITS.maxBytes)
          throw hoconError(this.src, first.pos, 'substitutions expand to too long a value', 'substitution');
      }
      result = s;
    }
    p.state = 'done';
    p.result = result;
    return result;
  }

  /** The value a substitution names; undefined for an undefined optional one. */
  private lookup(ref: Ref, self: Pending, depth: number): HoconValue | undefined {
    // A key's own name inside its value means the value it replaced (`path: ${path}":/x"`).
    const step = (v: RawValue | undefined): RawValue | undefined =>
      v === self ? self.prev : v instanceof Pending ? this.pending(v, depth, ref.pos) : v;
    let cur: RawValue | undefined = this.root;
    for (const seg of substitutionPath(ref.variable)) {
      if (!isRawObject(cur) || !Object.hasOwn(cur, seg)) {
        cur = undefined;
        break;
      }
      cur = step(cur[seg]);
    }
    if (cur !== undefined) return this.resolve(cur, depth, ref.pos);
    const fromEnv = Object.hasOwn(this.env, ref.variable) ? this.env[ref.variable] : undefined;
    if (fromEnv !== undefined || ref.optional) return fromEnv;
    throw hoconError(
      this.src,
      ref.pos,
      `\${${ref.variable}} is not set in the file or the environment`,
      'substitution',
    );
  }
}
