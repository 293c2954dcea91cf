/** Settings → Queues: each ClearML queue and the resources (with caps) that serve it. */
import { SelectField, TextField } from '../../components/Field.js';
import {
  emptyQueue,
  emptyQueueEntry,
  renameQueue,
  type ConfigDraft,
  type FieldId,
  type QueueDraft,
} from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';
import { queueCapNote, withNote } from '../../model/cap-notes.js';

export function QueuesSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  const editQueue = (uid: string, change: (q: QueueDraft) => QueueDraft, id: FieldId) =>
    edit(id, (d) => ({ ...d, queues: d.queues.map((q) => (q.uid === uid ? change(q) : q)) }));
  const resourceNames = draft.resources.map((r) => r.name.trim()).filter(Boolean);
  return (
    <fieldset className="card">
      <legend>
        <h2>Queues</h2>
      </legend>
      <p className="muted small">Each ClearML queue is served by one or more resources, each with a cap.</p>
      {draft.queues.map((q) => (
        <div key={q.uid} className="subcard" role="group" aria-label={`Queue ${q.name || '(unnamed)'}`}>
          <div className="grid">
            <TextField
              label="Queue name"
              value={q.name}
              issues={shown(`queue:${q.uid}:name`)}
              hint="Exactly as in ClearML; its budget caps follow a rename"
              onChange={(x) => edit(`queue:${q.uid}:name`, (d) => renameQueue(d, q.uid, x))}
            />
          </div>
          {shown(`queue:${q.uid}:entries`).length > 0 && (
            <ul className="field-errors">
              {shown(`queue:${q.uid}:entries`).map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
          {q.entries.map((e) => (
            <div key={e.uid} className="grid entry">
              <SelectField
                label="Resource"
                value={e.resource}
                options={[
                  { value: '', label: '(choose)' },
                  ...[...new Set([...resourceNames, e.resource].filter(Boolean))].map((n) => ({
                    value: n,
                    label: n,
                  })),
                ]}
                issues={shown(`entry:${e.uid}:resource`)}
                onChange={(x) =>
                  editQueue(
                    q.uid,
                    (qq) => ({
                      ...qq,
                      entries: qq.entries.map((y) => (y.uid === e.uid ? { ...y, resource: x } : y)),
                    }),
                    `entry:${e.uid}:resource`,
                  )
                }
              />
              <TextField
                label="Max instances"
                type="number"
                inputMode="numeric"
                value={e.maxInstances}
                hint={withNote('0 to 10000', queueCapNote(e.maxInstances, draft))}
                issues={shown(`entry:${e.uid}:maxInstances`)}
                onChange={(x) =>
                  editQueue(
                    q.uid,
                    (qq) => ({
                      ...qq,
                      entries: qq.entries.map((y) => (y.uid === e.uid ? { ...y, maxInstances: x } : y)),
                    }),
                    `entry:${e.uid}:maxInstances`,
                  )
                }
              />
              <button
                type="button"
                className="small"
                aria-label={`Remove resource ${e.resource || '(none)'} from queue ${q.name}`}
                onClick={() =>
                  editQueue(
                    q.uid,
                    (qq) => ({ ...qq, entries: qq.entries.filter((y) => y.uid !== e.uid) }),
                    `queue:${q.uid}:entries`,
                  )
                }
              >
                Remove
              </button>
            </div>
          ))}
          <div className="toolbar">
            <button
              type="button"
              className="small"
              onClick={() =>
                editQueue(
                  q.uid,
                  (qq) => ({
                    ...qq,
                    entries: [...qq.entries, emptyQueueEntry()],
                  }),
                  `queue:${q.uid}:entries`,
                )
              }
            >
              Add resource to {q.name || 'queue'}
            </button>
            <button
              type="button"
              className="small danger"
              onClick={() => edit('form', (d) => ({ ...d, queues: d.queues.filter((x) => x.uid !== q.uid) }))}
            >
              Remove queue
            </button>
          </div>
        </div>
      ))}
      <button
        type="button"
        onClick={() => edit('form', (d) => ({ ...d, queues: [...d.queues, emptyQueue('', resourceNames[0] ?? '')] }))}
      >
        Add queue
      </button>
    </fieldset>
  );
}
