/**
 * The small conversions every part of the Settings draft shares: reading loosely typed config values as the
 * text a field shows, and turning typed text back into config values (numbers, lists).
 */

let uidSeq = 0;
/** A fresh key for a draft row (React list key and field id), unique within the page. */
export function newUid(prefix: string): string {
  uidSeq += 1;
  return `${prefix}${uidSeq}`;
}

export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
export const list = (v: unknown): string => (Array.isArray(v) ? v.map(str).join(', ') : '');

export function without(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) r[k] = v;
  return r;
}

/** Text → number when it is one; otherwise the text itself, so zod reports it as "must be a number". */
export function num(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Sets `target[key]` to the typed number (or text, for zod to reject) unless the field is empty. */
export function putNumber(target: Record<string, unknown>, key: string, text: string): void {
  const v = num(text);
  if (v !== undefined) target[key] = v;
}
