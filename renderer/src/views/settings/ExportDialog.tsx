/** The exported config (our format, no secrets), to copy or download. */
import { useState } from 'react';
import { Dialog, DialogText } from '../../components/Dialog.js';
import { Field } from '../../components/Field.js';
import { copyText, downloadText } from '../../components/misc.js';

export function ExportDialog({ text, onClose }: { text: string; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <Dialog
      title="Exported configuration"
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            onClick={() =>
              void copyText(text).then((ok) =>
                setCopied(ok ? 'Copied.' : 'The clipboard is not available; use Download.'),
              )
            }
          >
            Copy
          </button>
          <button
            type="button"
            className="primary"
            onClick={() =>
              text.trimStart().startsWith('{')
                ? downloadText('autoscaler-config.json', text, 'application/json')
                : downloadText('autoscaler-config.yaml', text, 'text/yaml')
            }
          >
            Download
          </button>
        </>
      }
    >
      <DialogText>
        <p className="muted small">No secrets are included: credentials live in the system keychain.</p>
      </DialogText>
      <Field label="Configuration" wide>
        {({ id }) => <textarea id={id} readOnly rows={14} value={text} spellCheck={false} />}
      </Field>
      {copied && <p role="status">{copied}</p>}
    </Dialog>
  );
}
