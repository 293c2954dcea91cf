/**
 * Team mode: attach this app to a team engine (URL and token), after confirming the certificate fingerprint the
 * engine presents (compare it with the one its admin sees when it starts), or detach. Only the desktop app can
 * attach (`team.status` says `available`); the token is write-only: it goes to the keychain, the form forgets it.
 */
import { useEffect, useState } from 'react';
import type { InvokeResponse } from '../../../../shared/ipc/contract.js';
import { TextField } from '../../components/Field.js';
import { describeError } from '../../state/app-store.js';
import { useActions, useApp, usePending } from '../../state/react.js';

type Status = InvokeResponse<'autoscaler:team.status'>;
type Message = { ok: boolean; text: string } | null;

export function TeamSection() {
  const actions = useActions();
  const remote = useApp((s) => s.snapshot?.remote);
  const focus = useApp((s) => s.focus);
  const probing = usePending('teamProbe');
  const attaching = usePending('teamAttach');
  const detaching = usePending('teamDetach');
  const [status, setStatus] = useState<Status | null>(null);
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);

  useEffect(() => {
    void actions.teamStatus().then((r) => r.ok && setStatus(r.value));
  }, [actions, remote?.url]);
  useEffect(() => {
    if (focus === 'team') document.getElementById('team-heading')?.scrollIntoView();
  }, [focus]);

  if (!status?.available) return null;

  const check = async () => {
    setMessage(null);
    setFingerprint(null);
    const r = await actions.teamProbe(url);
    if (r.ok) setFingerprint(r.value.fingerprint);
    else setMessage({ ok: false, text: describeError(r.error) });
  };
  const attach = async () => {
    if (!fingerprint) return;
    const r = await actions.teamAttach({ url, token, fingerprint });
    // The token never stays in the form, whatever the outcome.
    setToken('');
    setFingerprint(null);
    if (r.ok) {
      setMessage({
        ok: true,
        text: `Attached${r.value.as ? ` as ${r.value.as.name} (${r.value.as.role})` : ''}. This app's own engine is off.`,
      });
      const s = await actions.teamStatus();
      if (s.ok) setStatus(s.value);
    } else setMessage({ ok: false, text: describeError(r.error) });
  };
  const detach = async () => {
    const r = await actions.teamDetach();
    setMessage(
      r.ok
        ? { ok: true, text: 'Detached. This app runs its own engine again (autoscaling off until you turn it on).' }
        : { ok: false, text: describeError(r.error) },
    );
    const s = await actions.teamStatus();
    if (s.ok) setStatus(s.value);
  };

  return (
    <section className="card" aria-labelledby="team-heading" data-testid="team-section">
      <h2 id="team-heading">Team engine</h2>
      {status.attachment ? (
        <>
          <p>
            Attached to <strong>{status.attachment.url}</strong>
            {remote?.actor ? ` as ${remote.actor.name} (${remote.actor.role})` : ''}. This app runs no engine of its
            own: the tray, notifications and this dashboard show the team engine.
          </p>
          <p className="muted small">Certificate fingerprint (SHA-256): {status.attachment.fingerprint}</p>
          <div className="toolbar">
            <button type="button" className="danger" disabled={detaching} onClick={() => void detach()}>
              {detaching ? 'Disconnecting…' : 'Disconnect'}
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void (fingerprint ? attach() : check());
          }}
        >
          <p className="muted small">
            Show and steer the engine your team runs on an always-on host instead of running one here. Its admin gives
            you the address and a token (viewer, operator or admin).
          </p>
          <div className="grid">
            <TextField
              label="Address"
              placeholder="wss://autoscaler.example.com:7465"
              value={url}
              onChange={(v) => {
                setUrl(v);
                setFingerprint(null);
              }}
            />
            <TextField label="Token" type="password" value={token} onChange={setToken} />
          </div>
          {fingerprint && (
            <div className="note tone-warn" role="status" data-testid="team-fingerprint">
              <p>The engine presents a certificate with the SHA-256 fingerprint</p>
              <p>
                <code>{fingerprint}</code>
              </p>
              <p>
                Compare it with the one the engine printed when it started (ask its admin). Connect only if they match;
                it is remembered, and a different one later is refused.
              </p>
            </div>
          )}
          <div className="toolbar">
            {fingerprint ? (
              <>
                <button type="submit" className="primary" disabled={attaching || !token}>
                  {attaching ? 'Connecting…' : 'It matches: connect'}
                </button>
                <button type="button" onClick={() => setFingerprint(null)}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="submit" className="primary" disabled={probing || !url.trim()}>
                {probing ? 'Checking…' : 'Check the certificate'}
              </button>
            )}
          </div>
        </form>
      )}
      {message && (
        <p role="status" className={message.ok ? 'tone-ok' : 'tone-error'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
