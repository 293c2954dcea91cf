/**
 * The explicit yes main asks for: instance-setup changes (shown as a diff), the API host the ClearML keys (stored,
 * or read from ~/clearml.conf) will be sent to (named, with a warning for plain http to another machine), and what
 * becomes of running instances when the config moves to another server, region or workers prefix.
 */
import { Dialog, DialogText } from '../../components/Dialog.js';
import { worldMoveText, type SaveNeeds } from '../../model/settings-form.js';
import { SetupDiff } from './SetupDiff.js';

export function ConfirmSaveDialog({
  needs,
  busy,
  onCancel,
  onConfirm,
}: {
  needs: SaveNeeds;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const host = needs.apiHost;
  return (
    <Dialog
      title="Confirm before saving"
      tone="danger"
      onClose={onCancel}
      footer={
        <>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="primary" disabled={busy} onClick={onConfirm}>
            {busy ? 'Saving…' : 'Confirm and save'}
          </button>
        </>
      }
    >
      {needs.instanceSetup.length > 0 && (
        <>
          <DialogText>
            <p>These settings change what runs on every new instance (the init script runs as root):</p>
          </DialogText>
          <SetupDiff changes={needs.instanceSetup} />
        </>
      )}
      {needs.worldMove && (
        <div role="note" aria-label="Instances of the current config">
          <DialogText>
            {worldMoveText(needs.worldMove).map((p) => (
              <p key={p}>{p}</p>
            ))}
          </DialogText>
        </div>
      )}
      {host && (
        <div role="note" aria-label="API host change">
          <DialogText>
            <p>
              {host.keysFrom ? (
                <>
                  The ClearML keys from <code>{host.keysFrom}</code>
                </>
              ) : (
                'The stored ClearML keys'
              )}{' '}
              will be sent to <code>{host.to}</code>
              {host.from ? (
                <>
                  {' '}
                  instead of <code>{host.from}</code>
                </>
              ) : null}
              . If that is not your ClearML server, cancel and enter the keys for it under Credentials instead.
            </p>
            {host.insecure && (
              <p className="note tone-warn">
                This is plain http to another machine: the keys and every request cross the network unencrypted.
              </p>
            )}
          </DialogText>
        </div>
      )}
    </Dialog>
  );
}
