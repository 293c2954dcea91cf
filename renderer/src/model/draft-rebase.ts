/**
 * Unsaved edits and a configuration saved elsewhere meanwhile (another window, the tray, a teammate on the team
 * engine): a three-way merge of the Settings draft, part by part, so a save here neither reverts their change nor
 * loses this one. Pure; the text for the status line is rendered by `rebaseText`.
 */
import { SCALING_FIELDS, type ConfigDraft, type ScalingField } from './config-form.js';
import { SETTING_PLACES } from './setting-places.js';
import { andList } from '../../../shared/words.js';

/** The parts merged one by one: the draft's own keys, the scaling fields each alone (independent numbers). */
export type DraftPart = Exclude<keyof ConfigDraft, 'scaling'> | `scaling.${ScalingField}`;

export interface Rebased {
  draft: ConfigDraft;
  /** Changed elsewhere, not here: the draft now shows their value. */
  taken: DraftPart[];
  /** Changed both here and elsewhere, differently: the draft keeps this window's value, and saving replaces theirs. */
  overlaps: DraftPart[];
}

/**
 * Row keys (`uid`) are made fresh each time a config is read into a draft, so they never count as a change; nor does
 * the order of an object's keys (a draft read back from storage has its schema's order).
 */
const canonical = (k: string, v: unknown): unknown => {
  if (k === 'uid') return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((key) => [key, o[key]]),
  );
};
export const sameDraft = (a: unknown, b: unknown) => JSON.stringify(a, canonical) === JSON.stringify(b, canonical);

/**
 * `base`: the draft of the config the edits started from; `mine`: the draft with the edits; `theirs`: the draft of the
 * config now saved. A part left alone here takes theirs; a part changed only here keeps mine.
 */
export function rebaseDraft(base: ConfigDraft, mine: ConfigDraft, theirs: ConfigDraft): Rebased {
  const taken: DraftPart[] = [];
  const overlaps: DraftPart[] = [];
  const pick = <T>(part: DraftPart, b: T, m: T, t: T): T => {
    if (sameDraft(t, b) || sameDraft(t, m)) return m;
    if (sameDraft(m, b)) {
      taken.push(part);
      return t;
    }
    overlaps.push(part);
    return m;
  };
  const draft = { ...mine, scaling: { ...mine.scaling } };
  for (const key of Object.keys(mine) as (keyof ConfigDraft)[]) {
    if (key === 'scaling') continue;
    (draft as Record<string, unknown>)[key] = pick(key, base[key], mine[key], theirs[key]);
  }
  for (const f of SCALING_FIELDS)
    draft.scaling[f] = pick(`scaling.${f}`, base.scaling[f], mine.scaling[f], theirs.scaling[f]);
  return { draft, taken, overlaps };
}

const PART_NAMES: Record<Exclude<DraftPart, `scaling.${string}`>, string> = {
  apiHost: 'ClearML API host',
  webHost: 'web app host',
  filesHost: 'files host',
  region: 'AWS region',
  dryRun: 'dry run',
  resources: 'Resources',
  queues: 'Queues',
  budgets: 'Budgets',
  lease: 'the lease',
  team: 'Team',
  agent: 'Instance setup',
  rest: 'settings this form does not show',
};

export function partName(part: DraftPart): string {
  return part.startsWith('scaling.')
    ? SETTING_PLACES[part as `scaling.${ScalingField}`].label
    : PART_NAMES[part as keyof typeof PART_NAMES];
}

const capital = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** The status line after a merge; null when nothing saved elsewhere differs from this draft. */
export function rebaseText(r: Pick<Rebased, 'taken' | 'overlaps'>): { tone: 'info' | 'warn'; text: string } | null {
  if (r.taken.length === 0 && r.overlaps.length === 0) return null;
  const head = 'Saved in another window or by a teammate while you edited:';
  const taken = r.taken.length
    ? ` ${andList(r.taken.map(partName))} now show${r.taken.length === 1 ? 's' : ''} what they saved.`
    : '';
  if (r.overlaps.length === 0) return { tone: 'info', text: `${head}${taken} Your unsaved edits are kept.` };
  return {
    tone: 'warn',
    text: `${head}${taken} ${capital(andList(r.overlaps.map(partName)))} changed there too: the form keeps your edits, and Save replaces theirs (Discard changes… shows theirs).`,
  };
}
