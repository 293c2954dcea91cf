/**
 * A ClearML autoscaler file is read by PyYAML's SafeLoader, a YAML 1.1 reader: `no` is false, `0100` is 64, `1:30`
 * is 90, `1e3` is text. The `yaml` package reads YAML 1.2, where those are "no", 100, "1:30" and 1000, and its own
 * YAML 1.1 mode still differs from PyYAML (`y` and `n` are booleans there, `1e3` a number, `09` the number 9). So a
 * ClearML file's plain scalars are resolved again here, with PyYAML's own implicit resolvers, so that every value is
 * the one ClearML's autoscaler ran with.
 */
import { isScalar, visit, type Document } from 'yaml';

export type PyValue = string | number | boolean | null;

// PyYAML's resolver patterns (yaml/resolver.py), in its order of precedence: bool, float, int, null.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/** Base 60, as PyYAML reads `1:30` (90) and `1:30.5` (90.5). */
function sexagesimal(digits: string, parse: (s: string) => number): number {
  return digits
    .split(':')
    .map(parse)
    .reduce((acc, d) => acc * 60 + d, 0);
}

/**
 * The value PyYAML's SafeLoader gives a plain (unquoted, untagged) scalar. Timestamps (`2024-01-01`), which PyYAML
 * turns into dates, stay text here: a ClearML setting that holds one is used as text anyway.
 */
export function pyyamlPlain(source: string): PyValue {
  if (BOOL.test(source)) return /^(?:yes|true|on)$/i.test(source);
  if (FLOAT.test(source)) {
    let s = source.replace(/_/g, '').toLowerCase();
    const sign = s.startsWith('-') ? -1 : 1;
    if (s[0] === '-' || s[0] === '+') s = s.slice(1);
    if (s === '.inf') return sign * Number.POSITIVE_INFINITY;
    if (s === '.nan') return Number.NaN;
    return sign * (s.includes(':') ? sexagesimal(s, Number.parseFloat) : Number.parseFloat(s));
  }
  if (INT.test(source)) {
    let s = source.replace(/_/g, '');
    const sign = s.startsWith('-') ? -1 : 1;
    if (s[0] === '-' || s[0] === '+') s = s.slice(1);
    if (s === '0') return 0;
    if (s.startsWith('0b')) return sign * Number.parseInt(s.slice(2), 2);
    if (s.startsWith('0x')) return sign * Number.parseInt(s.slice(2), 16);
    if (s.startsWith('0')) return sign * Number.parseInt(s, 8);
    if (s.includes(':')) return sign * sexagesimal(s, (d) => Number.parseInt(d, 10));
    return sign * Number.parseInt(s, 10);
  }
  if (NULL.test(source)) return null;
  return source;
}

/** A plain scalar that YAML 1.1 reads differently from YAML 1.2, in a way the person who wrote it may not expect. */
export interface ReadAs11 {
  /** Dotted path in the file (`configurations.resource_configurations.gpu_t4.key_name`). */
  path: string;
  source: string;
  value: PyValue;
  why: 'octal' | 'base-60' | 'boolean';
  /** A map key (a resource or queue name, say), at `path`, the map it names an entry of. */
  isKey: boolean;
}

/**
 * Resolves every plain scalar of the document, keys included, as PyYAML does (in place; quoted and tagged scalars,
 * block scalars and merge keys are left alone): a resource named `yes` is then the same name in the queue list that
 * uses it. Returns the values and keys whose YAML 1.1 reading a person could mistake: a leading 0 (octal), a colon
 * (base 60), yes/no/on/off.
 */
export function resolveAsPyyaml(doc: Document): ReadAs11[] {
  const surprising: ReadAs11[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (node.type !== 'PLAIN' || node.tag !== undefined || typeof node.value === 'symbol') return;
      const source = node.source;
      if (typeof source !== 'string') return;
      const value = pyyamlPlain(source);
      const before = node.value;
      node.value = value;
      if (value === before) return;
      const why =
        typeof value === 'boolean'
          ? 'boolean'
          : typeof value === 'number' && /^[-+]?0[0-7_]+$/.test(source)
            ? 'octal'
            : typeof value === 'number' && source.includes(':')
              ? 'base-60'
              : null;
      if (why) surprising.push({ path: yamlPath(path, node), source, value, why, isKey: key === 'key' });
    },
  });
  return surprising;
}

/** The dotted path of a node from the ancestors `visit` passes (map keys by their text, list items by index). */
export function yamlPath(ancestors: readonly unknown[], node: unknown): string {
  const segs: string[] = [];
  const chain = [...ancestors, node];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1] as { items?: unknown[]; key?: unknown };
    const child = chain[i];
    if (parent && typeof parent === 'object' && 'key' in parent && 'value' in parent) {
      const k = parent.key;
      if (child === (parent as { value?: unknown }).value) {
        segs.push(isScalar(k) ? String(k.source ?? k.value) : '?');
      }
    } else if (parent && Array.isArray(parent.items) && !isPairList(parent.items)) {
      segs.push(String(parent.items.indexOf(child)));
    }
  }
  return segs.join('.');
}

const isPairList = (items: unknown[]) =>
  items.length > 0 && items.every((i) => i !== null && typeof i === 'object' && 'key' in i && 'value' in i);
