/**
 * The Settings form's state as one reducer (draft, what the user touched, messages, the open dialog), so the
 * page component only wires events to it. Pure; tested in node.
 */
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import { attentionText } from './attention.js';
import { draftFromConfig, type ConfigDraft, type FieldId, type IssueMap } from './config-form.js';
import { rebaseDraft, rebaseText, sameDraft } from './draft-rebase.js';

export type Status = { tone: 'ok' | 'error' | 'info' | 'warn'; text: string } | null;
export type ImportDifference = InvokeResponse<'autoscaler:config.import'>['differences'][number];
/** An imported file loaded into the editor: its config, and what it does differently from ClearML's autoscaler. */
export interface EditorImport {
  config: unknown;
  differences: readonly ImportDifference[];
}
export type SaveNeeds = NonNullable<InvokeResponse<'autoscaler:config.save'>['needs']>;

export type FormDialog =
  | { kind: 'import' }
  | { kind: 'export'; text: string }
  | { kind: 'confirm'; needs: SaveNeeds }
  /** "Discard changes" asks first: the draft may be an import or an hour of edits, and nothing else keeps it. */
  | { kind: 'discard' };

export interface FormState {
  draft: ConfigDraft;
  /** The draft of the saved config the edits started from: what a config saved elsewhere is merged against. */
  base: ConfigDraft;
  dirty: boolean;
  touched: ReadonlySet<FieldId>;
  /** After a save attempt every field's issues show, not only the touched ones. */
  showAll: boolean;
  /** From a refused save. */
  serverIssues: IssueMap;
  /** From main's `config.validate` for the current draft (checks the page cannot make, e.g. secrets in text). */
  checkedIssues: IssueMap;
  status: Status;
  dialog: FormDialog | null;
  /**
   * The differences from ClearML's autoscaler of the file loaded into the draft, kept beside the form until the
   * draft is saved or discarded: its advice names settings to change, and the import dialog is gone by then.
   */
  importDifferences: readonly ImportDifference[];
}

export type FormAction =
  /** A config saved elsewhere (or just saved here) replaces the clean draft; the status line stays. */
  | { type: 'load'; config: unknown }
  /**
   * A config saved elsewhere while this draft holds unsaved edits: merged part by part (draft-rebase.ts), and the
   * status line says what came in and what Save would replace.
   */
  | { type: 'changed-elsewhere'; config: unknown }
  | { type: 'revert'; config: unknown }
  | { type: 'edit'; id: FieldId; change: (d: ConfigDraft) => ConfigDraft }
  | { type: 'checked'; issues: IssueMap }
  /** Every field's issues show (before the invalid fields are looked up by name). */
  | { type: 'reveal' }
  /** A save refused here: `fields` names the invalid fields, for the one announcement the attempt makes. */
  | { type: 'invalid'; fields?: readonly string[] }
  | { type: 'failed'; text: string }
  | { type: 'rejected'; issues: IssueMap; needs?: SaveNeeds }
  /** `notice`: what the engine said with it (a team engine whose --config file wins at its next start). */
  | { type: 'saved'; notice?: string }
  | ({ type: 'imported' } & EditorImport)
  | { type: 'dialog'; dialog: FormDialog | null }
  /**
   * Unsaved edits kept by an earlier window (kept-draft.ts), merged with the config saved now as a config saved
   * elsewhere is; `when`: when they were kept, as shown. Edits that are all saved already load a clean draft.
   */
  | { type: 'restored'; base: ConfigDraft; draft: ConfigDraft; config: unknown; when: string };

export function initialFormState(config: unknown): FormState {
  return {
    draft: draftFromConfig(config),
    base: draftFromConfig(config),
    dirty: false,
    touched: new Set(),
    showAll: false,
    serverIssues: {},
    checkedIssues: {},
    status: null,
    dialog: null,
    importDifferences: [],
  };
}

export function formReducer(s: FormState, a: FormAction): FormState {
  switch (a.type) {
    case 'load':
      return { ...initialFormState(a.config), dialog: s.dialog, status: s.status };
    case 'revert':
      return initialFormState(a.config);
    case 'changed-elsewhere': {
      // The edits were saved or discarded before this arrived: nothing to merge into.
      if (!s.dirty) return formReducer(s, { type: 'load', config: a.config });
      const theirs = draftFromConfig(a.config);
      const r = rebaseDraft(s.base, s.draft, theirs);
      const text = rebaseText(r);
      if (!text) return { ...s, base: theirs };
      return { ...s, draft: r.draft, base: theirs, checkedIssues: {}, serverIssues: {}, status: text };
    }
    case 'edit':
      return {
        ...s,
        draft: a.change(s.draft),
        dirty: true,
        status: null,
        serverIssues: {},
        checkedIssues: {},
        touched: s.touched.has(a.id) ? s.touched : new Set(s.touched).add(a.id),
      };
    case 'checked':
      return { ...s, checkedIssues: a.issues };
    case 'reveal':
      return { ...s, showAll: true };
    case 'invalid':
      return { ...s, showAll: true, status: { tone: 'error', text: `Not saved: ${attentionText(a.fields ?? [])}.` } };
    case 'failed':
      return { ...s, showAll: true, status: { tone: 'error', text: `Not saved: ${a.text}` } };
    case 'rejected': {
      const confirmOnly =
        a.needs !== undefined &&
        (a.needs.instanceSetup.length > 0 || a.needs.apiHost !== null || a.needs.worldMove !== null);
      if (confirmOnly) {
        return {
          ...s,
          showAll: true,
          dialog: { kind: 'confirm', needs: a.needs! },
          status: { tone: 'info', text: 'Confirm the changes to save them.' },
        };
      }
      return {
        ...s,
        showAll: true,
        serverIssues: a.issues,
        status: { tone: 'error', text: 'Not saved: the engine rejected some fields (marked below).' },
      };
    }
    case 'saved':
      return {
        ...s,
        dirty: false,
        touched: new Set(),
        showAll: false,
        dialog: null,
        importDifferences: [],
        status: a.notice
          ? { tone: 'info', text: `Saved. ${a.notice}` }
          : { tone: 'ok', text: 'Saved. The engine applies it at its next poll.' },
      };
    case 'imported':
      return {
        ...s,
        draft: draftFromConfig(a.config),
        dirty: true,
        showAll: true,
        dialog: null,
        importDifferences: a.differences,
        status: { tone: 'info', text: 'Imported into the editor. Review it, then Save.' },
      };
    case 'dialog':
      return { ...s, dialog: a.dialog };
    case 'restored': {
      const theirs = draftFromConfig(a.config);
      const r = rebaseDraft(a.base, a.draft, theirs);
      if (sameDraft(r.draft, theirs)) return initialFormState(a.config);
      const merged = rebaseText(r);
      const head = `Unsaved edits from ${a.when} are back: Save them, or Discard changes.`;
      return {
        ...initialFormState(a.config),
        draft: r.draft,
        dirty: true,
        status: merged ? { tone: merged.tone, text: `${head} ${merged.text}` } : { tone: 'info', text: head },
      };
    }
  }
}

/** What a field shows: schema issues once touched (or after a save attempt), plus main's. */
export function shownIssues(s: FormState, schemaIssues: IssueMap, id: FieldId): string[] {
  return [
    ...new Set([
      ...(s.showAll || s.touched.has(id) ? (schemaIssues[id] ?? []) : []),
      ...(s.serverIssues[id] ?? []),
      ...(s.checkedIssues[id] ?? []),
    ]),
  ];
}

export type Shown = (id: FieldId) => string[];
export type Edit = (id: FieldId, change: (d: ConfigDraft) => ConfigDraft) => void;

type WorldMove = NonNullable<SaveNeeds['worldMove']>;

/**
 * What the confirmation says of a move to another ClearML server, region or workers prefix while instances of the
 * current config run: what they run for, what becomes of them, and how to end them now instead.
 */
export function worldMoveText(m: WorldMove): string[] {
  const where = [
    ...(m.changed.includes('server') ? [`ClearML server ${m.from.apiHost}`] : []),
    ...(m.changed.includes('region') ? [`region ${m.from.region}`] : []),
    ...(m.changed.includes('prefix') ? [`workers prefix '${m.from.workersPrefix}'`] : []),
  ].join(', ');
  const one = m.instances === 1;
  const [they, them, their, s] = one ? ['it', 'it', 'its', 's'] : ['they', 'them', 'their', ''];
  const running =
    m.busy === 0
      ? one
        ? 'not running a task'
        : 'none running a task'
      : one
        ? 'running a task'
        : `${m.busy} running a task`;
  const seen = m.changed.every((c) => c === 'server');
  const fate = seen
    ? `${they} stay${s} in Instances as ${one ? 'an orphan' : 'orphans'} left to finish ${their} work there: the app does not terminate ${them} and no longer renews ${their} ${one ? 'lease' : 'leases'}`
    : `${they} leave${s} Instances: the app no longer sees ${them}, does not terminate ${them} and no longer renews ${their} ${one ? 'lease' : 'leases'}`;
  const until = seen ? 'in Instances' : 'in the EC2 console';
  const end =
    (m.leases
      ? `so ${one ? 'it' : 'each'} powers off once it is idle after its lease ends.`
      : `and with leases off ${they} keep${s} running, and billing, until you terminate ${them} ${until}.`) +
    (seen ? '' : ` Stop everything (Overview) still finds ${them}.`);
  return [
    `${one ? '1 instance' : `${m.instances} instances`} of the current config (${running}) run${s} for ${where}. After saving, ${fate}, ${end}`,
    `To end ${them} now instead, cancel, use Scale to zero on the Overview, then save.`,
  ];
}
