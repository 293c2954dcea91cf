/**
 * Pure pieces of the ClearML wire format: the response envelope, the `data` shapes we read,
 * dates, API versions, and the two pattern languages the server speaks (Mongo regex for names, Redis glob for
 * worker ids). Shared by the client and the emulator so both sides agree on one reading of the protocol.
 */
import { z } from 'zod';
import type { TaskStatus } from '../ports.js';

// ---------------------------------------------------------------- envelope

export const MetaSchema = z.looseObject({
  // A number from ClearML's own server; some gateways in front of it re-serialise it as a string ("200"), which is
  // still the server's verdict, not a sign of the wrong host.
  result_code: z.union([
    z.number(),
    z
      .string()
      .regex(/^\d{3}$/)
      .transform(Number),
  ]),
  result_subcode: z.number().nullish(),
  result_msg: z.string().nullish(),
  endpoint: z
    .looseObject({
      name: z.string().nullish(),
      requested_version: z.union([z.string(), z.number()]).nullish(),
      actual_version: z.union([z.string(), z.number()]).nullish(),
    })
    .nullish(),
});

export const EnvelopeSchema = z.looseObject({ meta: MetaSchema, data: z.unknown() });
export type Envelope = z.infer<typeof EnvelopeSchema>;

// ---------------------------------------------------------------- data shapes (only what we read)

const IdName = z.looseObject({ id: z.string(), name: z.string().nullish() });

/** `queues.create` → `{id}`. */
export const QueueCreateDataSchema = z.object({ id: z.string().min(1) });

export const LoginDataSchema = z.looseObject({ token: z.string().min(1) });

export const ServerInfoDataSchema = z.looseObject({
  version: z.string().nullish(),
  api_version: z.union([z.string(), z.number()]).nullish(),
});

export const CurrentUserDataSchema = z.looseObject({
  user: z.looseObject({ id: z.string(), name: z.string().nullish() }),
});

export const QueueEntrySchema = z.looseObject({
  task: z.union([z.string(), IdName.transform((t) => t.id)]),
  added: z.string().nullish(),
});

export const QueueSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  entries: z.array(QueueEntrySchema).nullish(),
});

export const QueuesDataSchema = z.looseObject({ queues: z.array(QueueSchema) });

export const WorkerSchema = z.looseObject({
  id: z.string(),
  task: z.looseObject({ id: z.string(), name: z.string().nullish() }).nullish(),
  queues: z.array(z.looseObject({ id: z.string().nullish(), name: z.string().nullish() })).nullish(),
  register_time: z.string().nullish(),
  last_activity_time: z.string().nullish(),
  last_report_time: z.string().nullish(),
});

export const WorkersDataSchema = z.looseObject({ workers: z.array(WorkerSchema) });

export const TASK_STATUSES = [
  'created',
  'queued',
  'in_progress',
  'stopped',
  'published',
  'publishing',
  'closed',
  'failed',
  'completed',
  'unknown',
] as const satisfies readonly TaskStatus[];

export const TaskSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  // A status this client does not know (newer server) reads as 'unknown' rather than failing the whole list.
  status: z.enum(TASK_STATUSES).catch('unknown').nullish(),
  status_message: z.string().nullish(),
  execution: z.looseObject({ queue: z.string().nullish() }).nullish(),
  last_worker: z.string().nullish(),
  // Only ever a bound on when a task ended: an odd value reads as unknown rather than failing the whole list.
  status_changed: z.string().nullish().catch(null),
});

export const TasksDataSchema = z.looseObject({ tasks: z.array(TaskSchema) });

/** `tasks.stop` / `tasks.failed` / `tasks.enqueue` answer `{updated, fields}`; `fields.status` is the outcome. */
export const TaskUpdateDataSchema = z.looseObject({
  updated: z.number().nullish(),
  fields: z.looseObject({ status: z.string().nullish(), status_message: z.string().nullish() }).nullish(),
});

// ---------------------------------------------------------------- dates

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * ClearML dates are ISO-8601 with microseconds (`2025-01-13T10:15:30.123000+00:00`); naive ones are UTC.
 * Parsed by hand because `Date.parse` reads a naive date-time as local time. Returns null when unparseable.
 */
export function parseClearmlDate(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const ms = Number((frac + '000').slice(0, 3));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls over what is out of range (month 13, hour 99) and reads years 0–99 as 1900–1999: a date that
  // does not read back as written is not a date, or a wrong server clock would pass for a real moment.
  const back = new Date(t);
  if (
    back.getUTCFullYear() !== Number(y) ||
    back.getUTCMonth() !== Number(mo) - 1 ||
    back.getUTCDate() !== Number(d) ||
    back.getUTCHours() !== Number(h) ||
    back.getUTCMinutes() !== Number(mi) ||
    back.getUTCSeconds() !== Number(s)
  )
    return null;
  if (tz && tz !== 'Z' && tz !== 'z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    t -= sign * offsetMin * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}

/** How the ClearML server writes a date: Python `isoformat()` of an aware UTC datetime (microseconds). */
export function formatClearmlDate(ms: number, naive = false): string {
  const iso = new Date(ms).toISOString(); // 2025-01-13T10:15:30.123Z
  const base = iso.slice(0, -1) + '000';
  return naive ? base : base + '+00:00';
}

// ---------------------------------------------------------------- versions

/** Compares "2.30" with "2.4" numerically (2.30 > 2.4). */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number(x) || 0);
  const pb = b.split('.').map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---------------------------------------------------------------- patterns

/** Escapes regex syntax so a queue name matches itself in the server's (Mongo/PCRE) regex filter. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `^(a|b\.c)$`: one anchored alternation, so one `queues.get_all` call covers every configured queue. */
export function exactNamesRegex(names: readonly string[]): string {
  return `^(${names.map(escapeRegex).join('|')})$`;
}

/** Escapes Redis glob syntax (`* ? [ ] \`) so a prefix matches literally in `worker_pattern`. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Redis-style glob (`*`, `?`, `[abc]`, `[^a]`, `\x`) as an anchored RegExp; used by the emulator. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) out += escapeRegex(glob[++i]!);
    else if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('^') || body.startsWith('!')) body = '^' + body.slice(1);
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, 's');
}

// ---------------------------------------------------------------- JWT

const JwtPayloadSchema = z.looseObject({
  exp: z.number().nullish(),
  api_version: z.union([z.string(), z.number()]).nullish(),
  server_version: z.string().nullish(),
});
export type JwtPayload = z.infer<typeof JwtPayloadSchema>;

/** Reads a JWT's claims without verifying it (we only need `exp` and the server's API version). */
export function decodeJwtPayload(token: string): JwtPayload | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    const r = JwtPayloadSchema.safeParse(json);
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
