/**
 * The autoscaler configuration editor: sections in their own files, state in one reducer (settings-form.ts).
 * The draft lives in the app store (`settingsForm`), so it survives a visit to another tab; the tab is marked
 * while it holds unsaved changes, and discarding them asks first.
 * Inline field messages come from the shared zod schema on every keystroke and from main's `config.validate` once
 * the draft passes it. Nothing is saved while a field is invalid; main validates again on save and asks for an
 * explicit confirmation of instance-setup and API-host changes. In demo mode the demo's config is read-only.
 */
import { useEffect, useMemo, useRef } from 'react';
import { flushSync } from 'react-dom';
import { invalidControls } from '../../components/invalid-fields.js';
import { mapIssues, validateDraft, type FieldId } from '../../model/config-form.js';
import { initialFormState, shownIssues, type Edit, type FormAction } from '../../model/settings-form.js';
import type { InvokeRequest } from '../../../../shared/ipc/contract.js';
import { useActions, useApp, usePending } from '../../state/react.js';
import { Dialog, DialogText } from '../../components/Dialog.js';
import { unavailable } from '../../components/busy.js';
import { BudgetEditor, LeaseEditor } from '../SettingsLimits.js';
import { LeaseTableSection } from './LeaseTableSection.js';
import { ConfirmSaveDialog } from './ConfirmSaveDialog.js';
import { ConnectionSection } from './ConnectionSection.js';
import { ExportDialog } from './ExportDialog.js';
import { ImportDialog } from './ImportDialog.js';
import { ImportDifferences, importDifferencesSummary } from '../../components/ImportDifferences.js';
import { InstanceSetupSection } from './InstanceSetupSection.js';
import { QueuesSection } from './QueuesSection.js';
import { ResourcesSection } from './ResourcesSection.js';
import { ScalingSection } from './ScalingSection.js';
import { plural } from '../../model/format.js';

/** Quiet time after the last keystroke before main is asked to validate the draft. */
const VALIDATE_DELAY_MS = 350;

export function SettingsForm({ config, demo }: { config: unknown; demo: boolean }) {
  const actions = useActions();
  const saving = usePending('saveConfig');
  const stored = useApp((st) => st.settingsForm);
  const fresh = useMemo(() => initialFormState(config), [config]);
  const s = stored ?? fresh;
  const dispatch = (action: FormAction) => actions.settingsForm(action);
  const validateSeq = useRef(0);
  const formRef = useRef<HTMLFormElement>(null);
  const { draft, dirty, status, dialog } = s;

  // A config saved elsewhere (another window, the tray, a teammate) replaces a clean draft; with unsaved edits it is
  // merged in, so a save here neither reverts theirs nor loses these. This window's own save refreshes the config
  // before it marks the draft saved: that is not a change from elsewhere.
  const savingHere = useRef(false);
  useEffect(() => {
    if (!dirty) actions.settingsForm({ type: 'load', config });
    else if (!savingHere.current) actions.settingsForm({ type: 'changed-elsewhere', config });
  }, [config, dirty, actions]);

  // The draft outlives the view, an open dialog does not: coming back shows the form, not a stale dialog.
  useEffect(() => () => actions.settingsForm({ type: 'dialog', dialog: null }), [actions]);

  // A ClearML configuration imported on the first-run screen opens here as the unsaved draft.
  useEffect(() => {
    const pending = actions.takeEditorImport();
    if (pending) actions.settingsForm({ type: 'imported', ...pending });
  }, [actions]);

  const v = useMemo(() => validateDraft(draft), [draft]);
  const shown = (id: FieldId) => shownIssues(s, v.issues, id);

  // Once the draft passes the schema here, main checks it too, so its messages appear while typing, not on Save.
  useEffect(() => {
    const seq = ++validateSeq.current;
    if (!dirty || demo || !v.valid) return;
    const timer = setTimeout(() => {
      void actions.validateConfig(v.config).then((r) => {
        if (seq !== validateSeq.current || !r.ok) return;
        actions.settingsForm({ type: 'checked', issues: mapIssues(r.value.issues, v.paths) });
      });
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [v, dirty, demo, actions]);

  const edit: Edit = (id, change) => dispatch({ type: 'edit', id, change });

  const save = async (confirm?: InvokeRequest<'autoscaler:config.save'>['confirm']) => {
    if (demo || saving) return;
    if (!v.valid) {
      // Rendered at once, so the fields now marked invalid can be named and the first one focused.
      flushSync(() => dispatch({ type: 'reveal' }));
      const bad = invalidControls(formRef.current);
      dispatch({ type: 'invalid', fields: bad.map((b) => b.name) });
      return focusFirstInvalid();
    }
    savingHere.current = true;
    try {
      await sendSave(confirm);
    } finally {
      savingHere.current = false;
    }
  };

  const sendSave = async (confirm?: InvokeRequest<'autoscaler:config.save'>['confirm']) => {
    if (!v.valid) return;
    const r = await actions.saveConfig(v.config, confirm);
    if (!r.ok) return dispatch({ type: 'failed', text: r.error.message });
    if (!r.value.ok) {
      const needs = r.value.needs;
      // A refusal that only asks for confirmation opens the dialog; any other issue is shown on its field.
      const other = r.value.issues.filter(
        (i) =>
          !(needs?.instanceSetup.some((c) => c.path === i.path) ?? false) &&
          !(needs?.apiHost && i.path === 'clearml.apiHost') &&
          !(needs?.worldMove && i.path === 'form'),
      );
      flushSync(() =>
        dispatch({
          type: 'rejected',
          issues: mapIssues(r.value.issues, v.paths),
          ...(needs && other.length === 0 ? { needs } : {}),
        }),
      );
      if (!needs || other.length > 0) focusFirstInvalid();
      return;
    }
    dispatch({ type: 'saved', ...(r.value.notice ? { notice: r.value.notice } : {}) });
  };

  /** Focus the first field marked invalid, or the form-wide messages when no single field is at fault. */
  const focusFirstInvalid = () => {
    const first =
      invalidControls(formRef.current)[0]?.el ?? formRef.current?.querySelector<HTMLElement>('.form-errors');
    first?.focus();
  };

  const doExport = async () => {
    const r = await actions.exportConfig();
    if (r.ok) dispatch({ type: 'dialog', dialog: { kind: 'export', text: r.value.text } });
  };

  const formIssues = shown('form');
  const invalidCount = new Set([...Object.keys(v.issues), ...Object.keys(s.checkedIssues)]).size;
  const queueNames = [...new Set(draft.queues.map((q) => q.name.trim()).filter(Boolean))];

  return (
    <form
      ref={formRef}
      className="view settings"
      aria-label="Settings"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {!demo && (
        <div className="toolbar sticky">
          <button type="submit" className="primary" {...unavailable(saving || !dirty)}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            {...unavailable(!dirty)}
            onClick={() => dispatch({ type: 'dialog', dialog: { kind: 'discard' } })}
          >
            Discard changes…
          </button>
          <button type="button" onClick={() => dispatch({ type: 'dialog', dialog: { kind: 'import' } })}>
            Import ClearML YAML…
          </button>
          <button type="button" onClick={() => void doExport()} disabled={config === null}>
            Export
          </button>
          {/* What an action did is announced; the running count below changes while typing, so it is not. */}
          <span className={`save-status${status ? ` tone-${status.tone}` : ''}`}>
            <span role="status">{status?.text ?? ''}</span>
            {!status &&
              dirty &&
              (invalidCount
                ? `${plural(invalidCount, 'field')} ${invalidCount === 1 ? 'needs' : 'need'} attention`
                : 'Unsaved changes')}
          </span>
        </div>
      )}
      {demo && (
        <p className="note" role="note" aria-label="Demo configuration">
          This is the demo’s built-in configuration, shown read-only: the demo config cannot be changed. It runs against
          simulated ClearML and EC2, so nothing here reaches your cloud.
        </p>
      )}
      {config === null && !dirty && (
        <p className="note">
          No configuration yet. Fill in the fields below, or import the YAML of an existing ClearML autoscaler.
        </p>
      )}
      {formIssues.length > 0 && (
        <ul className="field-errors form-errors" tabIndex={-1} aria-label="What the configuration as a whole needs">
          {formIssues.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}

      {s.importDifferences.length > 0 && (
        <section className="card import-differences-panel" aria-labelledby="import-differences-heading">
          <h2 id="import-differences-heading">The imported file and ClearML&apos;s autoscaler</h2>
          <p className="muted small">
            What the file loaded into the editor does differently here, and where to change it. Shown until you save or
            discard the changes.
          </p>
          <details>
            <summary>{importDifferencesSummary(s.importDifferences)}</summary>
            <ImportDifferences differences={s.importDifferences} />
          </details>
        </section>
      )}

      <fieldset className="plain form-body" disabled={demo}>
        <ConnectionSection draft={draft} shown={shown} edit={edit} />
        <ScalingSection draft={draft} shown={shown} edit={edit} />
        <ResourcesSection draft={draft} shown={shown} edit={edit} />
        <QueuesSection draft={draft} shown={shown} edit={edit} />
        <InstanceSetupSection draft={draft} shown={shown} edit={edit} readOnly={demo} />
        <BudgetEditor
          budgets={draft.budgets}
          queueNames={queueNames}
          shown={shown}
          onEdit={(id, change) => edit(id, (d) => ({ ...d, budgets: change(d.budgets) }))}
        />
        <LeaseEditor
          lease={draft.lease}
          shown={shown}
          onEdit={(id, change) => edit(id, (d) => ({ ...d, lease: change(d.lease) }))}
        />
        <LeaseTableSection draft={draft} shown={shown} edit={edit} dirty={dirty} />
      </fieldset>

      {dialog?.kind === 'import' && (
        <ImportDialog
          // Before the first save no API host is configured for a ClearML file to take.
          askApiHost={config === null}
          current={config}
          onClose={() => dispatch({ type: 'dialog', dialog: null })}
          onUse={(loaded) => dispatch({ type: 'imported', ...loaded })}
        />
      )}
      {dialog?.kind === 'discard' && (
        <Dialog
          title="Discard the unsaved changes?"
          tone="danger"
          onClose={() => dispatch({ type: 'dialog', dialog: null })}
          footer={
            <>
              <button type="button" onClick={() => dispatch({ type: 'dialog', dialog: null })}>
                Keep editing
              </button>
              <button type="button" className="danger" onClick={() => dispatch({ type: 'revert', config })}>
                Discard changes
              </button>
            </>
          }
        >
          <DialogText>
            <p>
              {config === null
                ? 'Nothing is saved yet: the form goes back to empty, and an imported configuration has to be imported again.'
                : 'The form goes back to the saved configuration; the edits made since the last save are lost.'}
            </p>
          </DialogText>
        </Dialog>
      )}
      {dialog?.kind === 'export' && (
        <ExportDialog text={dialog.text} onClose={() => dispatch({ type: 'dialog', dialog: null })} />
      )}
      {dialog?.kind === 'confirm' && (
        <ConfirmSaveDialog
          needs={dialog.needs}
          busy={saving}
          onCancel={() => dispatch({ type: 'dialog', dialog: null })}
          onConfirm={() =>
            void save({
              ...(dialog.needs.instanceSetup.length > 0 ? { instanceSetup: true as const } : {}),
              ...(dialog.needs.apiHost ? { apiHost: dialog.needs.apiHost.to } : {}),
              ...(dialog.needs.worldMove ? { worldMove: true as const } : {}),
            })
          }
        />
      )}
    </form>
  );
}
