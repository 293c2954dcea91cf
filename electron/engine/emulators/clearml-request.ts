/** Reading a ClearML request: the body (JSON, or NDJSON for events), query parameters, and typed parameters. */
import type { IncomingMessage } from 'node:http';
import { WireError, validationError } from './clearml-model.js';

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new WireError(400, 12, 'Validation error (invalid JSON in request body)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new WireError(400, 12, 'Validation error (request body must be a JSON object)');
  }
  return json as Record<string, unknown>;
}

/** `events.add_batch` takes newline-delimited JSON events (one object per line), not one JSON object. */
export function parseEventBatch(raw: string): Record<string, unknown> {
  const events: Record<string, unknown>[] = [];
  for (const line of raw.split('\n')) if (line.trim()) events.push(parseBody(line));
  return { events };
}

/** Query parameters merge into the body: numbers and true/false coerced, dotted keys nested (as the server does). */
export function mergeQuery(body: Record<string, unknown>, params: URLSearchParams): void {
  for (const [key, rawValue] of params) {
    const value: unknown =
      rawValue === 'true'
        ? true
        : rawValue === 'false'
          ? false
          : /^-?\d+(\.\d+)?$/.test(rawValue)
            ? Number(rawValue)
            : rawValue;
    const parts = key.split('.');
    let cur = body;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      if (!next || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = value;
  }
}

/** The server's pattern fields are regex searches (unanchored, case-sensitive). */
export function regexParam(v: unknown): RegExp | null {
  if (typeof v !== 'string' || !v) return null;
  try {
    return new RegExp(v);
  } catch {
    throw validationError(`invalid regular expression: ${v}`);
  }
}

export function intOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function listParam(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  return (Array.isArray(v) ? v : [v]).map(String);
}
