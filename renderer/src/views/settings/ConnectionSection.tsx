/** Settings → ClearML and AWS: where the API is and which region launches. */
import { isInsecureApiHost } from '../../../../shared/config-review.js';
import { webHostFromApiHost } from '../../../../shared/clearml-hosts.js';
import { TextField } from '../../components/Field.js';
import type { ConfigDraft } from '../../model/config-form.js';
import type { Edit, Shown } from '../../model/settings-form.js';

export function ConnectionSection({ draft, shown, edit }: { draft: ConfigDraft; shown: Shown; edit: Edit }) {
  return (
    <fieldset className="card">
      <legend>
        <h2>ClearML and AWS</h2>
      </legend>
      <div className="grid">
        <TextField
          label="ClearML API host"
          value={draft.apiHost}
          placeholder="https://api.clear.ml"
          hint="The api_server from clearml.conf"
          issues={shown('apiHost')}
          onChange={(x) => edit('apiHost', (d) => ({ ...d, apiHost: x }))}
        />
        <TextField
          label="ClearML web app (optional)"
          value={draft.webHost}
          placeholder="https://app.clear.ml"
          hint={webHostHint(draft.webHost, draft.apiHost)}
          issues={shown('webHost')}
          onChange={(x) => edit('webHost', (d) => ({ ...d, webHost: x }))}
        />
        <TextField
          label="ClearML files server (optional)"
          value={draft.filesHost}
          placeholder="https://files.clear.ml"
          hint="The files_server from clearml.conf; the agents get it as CLEARML_FILES_HOST"
          issues={shown('filesHost')}
          onChange={(x) => edit('filesHost', (d) => ({ ...d, filesHost: x }))}
        />
        <TextField
          label="AWS region"
          value={draft.region}
          placeholder="us-east-1"
          issues={shown('region')}
          onChange={(x) => edit('region', (d) => ({ ...d, region: x }))}
        />
      </div>
      {isInsecureApiHost(draft.apiHost) && (
        <p className="note tone-warn" role="note">
          Plain http to another machine: the ClearML keys and every request cross the network unencrypted. Use https if
          the server offers it; saving asks you to confirm this host.
        </p>
      )}
    </fieldset>
  );
}

/** What an empty web app field stands for: the address derived from the API host as ClearML's SDK derives it. */
function webHostHint(webHost: string, apiHost: string): string {
  if (webHost.trim()) return 'For task links';
  const derived = apiHost.trim() ? webHostFromApiHost(apiHost) : null;
  if (derived) return `For task links; empty: ${derived}, from the API host`;
  return apiHost.trim()
    ? 'For task links: none follows from this API host, so task names are not links until you enter it'
    : 'For task links; derived from the API host when empty';
}
