/**
 * Switching from ClearML's autoscaler: instances it launched run workers of our prefix. They already count as
 * capacity and are never unregistered; adopting them (after the user confirms) lets this app scale them down too.
 */
import { useState } from 'react';
import type { AdoptableView } from '../../../shared/domain.js';
import { formatRate, plural } from '../model/format.js';
import { adoptHeading, adoptIntro } from '../model/overview.js';
import { roleLimit } from '../model/team.js';
import { useActions, useApp, usePending } from '../state/react.js';
import { ConfirmDialog } from './Dialog.js';

export function AdoptPrompt({ adoptable }: { adoptable: readonly AdoptableView[] }) {
  const actions = useActions();
  const pending = usePending('adopt');
  const limit = useApp((s) => roleLimit(s.snapshot?.remote, 'autoscaler:instances.adopt'));
  const [confirming, setConfirming] = useState(false);
  if (!adoptable.length) return null;
  const ready = adoptable.filter((a) => !a.blocker);
  return (
    <section className="card" aria-labelledby="adopt-heading">
      <h2 id="adopt-heading">{adoptHeading(adoptable)}</h2>
      <p>{adoptIntro(adoptable)}</p>
      <table className="mini-table">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Name</th>
            <th scope="col">Queue</th>
            <th scope="col">Resource</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Price
            </th>
          </tr>
        </thead>
        <tbody>
          {adoptable.map((a) => (
            <tr key={a.instanceId}>
              <th scope="row">{a.instanceId}</th>
              <td>{a.name ?? '—'}</td>
              <td>{a.queue ?? '—'}</td>
              <td>
                {a.resource} ({a.instanceType})
              </td>
              <td>
                {a.blocker ? <span className="tone-warn">cannot adopt: {a.blocker}</span> : a.busy ? 'busy' : 'idle'}
              </td>
              <td className="num">
                {a.live === false ? 'not running' : a.hourlyPrice === undefined ? '—' : formatRate(a.hourlyPrice)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        disabled={!ready.length || pending || limit !== null}
        title={limit ?? undefined}
        onClick={() => setConfirming(true)}
      >
        Adopt {plural(ready.length, 'instance')}…
      </button>
      {confirming && (
        <ConfirmDialog
          title={`Adopt ${plural(ready.length, 'instance')}?`}
          tone="normal"
          confirmLabel="Adopt"
          onConfirm={() => void actions.adopt(ready.map((a) => a.instanceId))}
          onClose={() => setConfirming(false)}
        >
          <p>
            This app adds its tags to {ready.map((a) => a.instanceId).join(', ')} (their own tags, Name included, stay).
            From then on it terminates them when idle, as it does its own instances. Stop ClearML&apos;s autoscaler
            first, or both will manage them.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
