/**
 * Objects keyed by names from outside (queue and resource names in a config): ClearML accepts a queue named
 * `__proto__`, `constructor` or `toString`, and a plain object answers those from Object.prototype. A lookup of a
 * name read from ClearML or an EC2 tag (`config.queues[name]`, `name in config.queues`) then finds a function where
 * it expected an entry and the engine throws on every tick; and `z.record` drops a key named `__proto__` without a
 * word, so a configured queue of that name silently stops scaling.
 */
import { z } from 'zod';

const PROTO = '__proto__';

/** True when `key` is the record's own entry, never one inherited from Object.prototype. */
export function hasEntry(record: object, key: string): boolean {
  return Object.hasOwn(record, key);
}

/** The record's own entry for `key`, or undefined: safe for any key, whatever the record's prototype. */
export function entryOf<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A null-prototype copy of `entries`: every key, `__proto__` included, is an ordinary own entry. */
export function dataRecordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  // On a null-prototype object `__proto__` is an ordinary property, so this assignment defines it.
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/**
 * `z.record(key, value)` whose output has a null prototype and keeps an entry named `__proto__` (validated by the
 * same key and value schemas, its issues at the same paths).
 */
export function dataRecord<K extends z.ZodType<string, string>, V extends z.ZodType>(
  key: K,
  value: V,
): z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>> {
  const base = z.record(key, value);
  return z.unknown().transform((input, ctx) => {
    const own = typeof input === 'object' && input !== null && Object.hasOwn(input, PROTO);
    const rest = own ? dataRecordOf(Object.entries(input).filter(([k]) => k !== PROTO)) : input;
    const parsed = base.safeParse(rest);
    const issues = [...(parsed.error?.issues ?? [])];
    let proto: { value: unknown } | null = null;
    if (own) {
      const k = key.safeParse(PROTO);
      const v = value.safeParse((input as Record<string, unknown>)[PROTO]);
      for (const i of [...(k.error?.issues ?? []), ...(v.error?.issues ?? [])])
        issues.push({ ...i, path: [PROTO, ...i.path] });
      if (k.success && v.success) proto = { value: v.data };
    }
    // The issues keep their codes and messages; the enclosing schema prefixes their paths as it would a record's.
    for (const issue of issues) ctx.addIssue({ ...issue });
    if (!parsed.success || issues.length > 0) return z.NEVER;
    const out = dataRecordOf(Object.entries(parsed.data));
    if (proto) out[PROTO] = proto.value as z.output<V>;
    return out;
  }) as unknown as z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>>;
}
