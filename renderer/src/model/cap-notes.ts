/**
 * Values that save but do not take effect as typed, said under their field while they are typed: one above a limit
 * that stops it first (the config stays valid; the engine applies the tighter limit), or a field left empty (its
 * default is saved). A user who typed them expects what they say. Pure.
 */
import { SCALING_DEFAULTS, type ConfigDraft, type ScalingField } from './config-form.js';
import { num as draftNum } from './draft-values.js';

/** A typed number, or null while the field is empty or not a number (its validation speaks then). */
function num(text: string): number | null {
  const n = draftNum(text);
  return typeof n === 'number' ? n : null;
}

/** Under a scaling field left empty: what is saved instead (the schema's default), which nothing else said. */
export function emptyNote(draft: ConfigDraft, field: ScalingField): string | null {
  return draft.scaling[field].trim() === '' ? `Left empty, the default is saved: ${SCALING_DEFAULTS[field]}.` : null;
}

/** Under Surplus idle time: above the max idle time, the max idle time ends idle instances first. */
export function surplusIdleNote(draft: ConfigDraft): string | null {
  const surplus = num(draft.scaling.surplusIdleMin);
  const max = num(draft.scaling.maxIdleMin);
  if (surplus === null || max === null || surplus <= max) return null;
  return `Above the max idle time: idle instances go after ${max} min at the latest.`;
}

/** Under a queue's Max instances: above the cap in total, that cap stops it first. */
export function queueCapNote(maxInstances: string, draft: ConfigDraft): string | null {
  const cap = num(maxInstances);
  const total = num(draft.scaling.maxTotalInstances);
  if (cap === null || total === null || cap <= total) return null;
  return `Above Max instances in total (${total}): no more than ${total} run, across all queues.`;
}

/** A field's hint with its note after it, when there is one. */
export function withNote(hint: string, note: string | null): string {
  return note ? `${hint}. ${note}` : hint;
}
