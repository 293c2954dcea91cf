/**
 * The EC2 Query protocol's request side: a form-encoded body (`Action=…&Version=2016-11-15&…`) flattened the
 * way the SDK's ec2Query serializer writes it — lists as `Name.1`, `Name.2`, structures as `Name.Member`,
 * lists of structures as `Filter.1.Name` / `Filter.1.Value.1`, `TagSpecification.1.Tag.1.Key`.
 */

export type QueryParams = Readonly<Record<string, string>>;

export function parseQuery(body: string, search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

/** The indices N present under `prefix.N` / `prefix.N.…`, ascending. */
export function indices(p: QueryParams, prefix: string): number[] {
  const found = new Set<number>();
  const head = `${prefix}.`;
  for (const key of Object.keys(p)) {
    if (!key.startsWith(head)) continue;
    const n = Number(key.slice(head.length).split('.')[0]);
    if (Number.isInteger(n) && n > 0) found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}

/** `InstanceId.1=…&InstanceId.2=…` → the values in order. */
export function stringList(p: QueryParams, prefix: string): string[] {
  return indices(p, prefix)
    .map((n) => p[`${prefix}.${n}`])
    .filter((v): v is string => v !== undefined);
}

export interface QueryFilter {
  name: string;
  values: string[];
}

export function filters(p: QueryParams): QueryFilter[] {
  return indices(p, 'Filter').map((n) => ({
    name: p[`Filter.${n}.Name`] ?? '',
    values: stringList(p, `Filter.${n}.Value`),
  }));
}

/** `Tag.N.Key` / `Tag.N.Value` under a prefix (`Tag`, `TagSpecification.1.Tag`). */
export function tagList(p: QueryParams, prefix: string): { key: string; value: string }[] {
  return indices(p, prefix).map((n) => ({
    key: p[`${prefix}.${n}.Key`] ?? '',
    value: p[`${prefix}.${n}.Value`] ?? '',
  }));
}

export function tagSpecifications(p: QueryParams): { resourceType: string; tags: { key: string; value: string }[] }[] {
  return indices(p, 'TagSpecification').map((n) => ({
    resourceType: p[`TagSpecification.${n}.ResourceType`] ?? '',
    tags: tagList(p, `TagSpecification.${n}.Tag`),
  }));
}

/** EC2 filter values accept `*` (any run) and `?` (one character) wildcards. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(value);
}
