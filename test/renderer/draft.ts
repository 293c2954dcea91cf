/** Shared by the Settings-form model suites. */
import type { ConfigDraft } from '../../renderer/src/model/config-form.js';

/** A changed copy of a draft: `f` mutates the copy, the original stays as it was. */
export function edit(d: ConfigDraft, f: (d: ConfigDraft) => void): ConfigDraft {
  const copy = structuredClone(d);
  f(copy);
  return copy;
}
