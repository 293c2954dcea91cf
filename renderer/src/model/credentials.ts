/** Credential form messages from the contract's own request schema, before anything is sent. Pure. */
import { invokeContract, type InvokeRequest } from '../../../shared/ipc/contract.js';
import type { Snapshot } from '../../../shared/domain.js';

export type Issues = Record<string, string[]>;

const SetRequest = invokeContract['autoscaler:credentials.set'].req;

export function credentialIssues(req: InvokeRequest<'autoscaler:credentials.set'>): Issues {
  const r = SetRequest.safeParse(req);
  const out: Issues = {};
  if (r.success) return out;
  for (const i of r.error.issues) {
    const key = i.path.map(String).join('.');
    const msg =
      i.code === 'too_small' && i.origin === 'string'
        ? i.minimum === 1
          ? 'required'
          : `must be at least ${String(i.minimum)} characters`
        : i.code === 'too_big' && i.origin === 'string'
          ? `must be at most ${String(i.maximum)} characters`
          : i.message;
    (out[key] ??= []).push(msg);
  }
  return out;
}

/**
 * What the engine last said was wrong with the credentials, when that is why it stopped; null otherwise. "Stored"
 * only says a value is kept, not that the server took it: a user sent here by the error must see why.
 */
export function engineCredentialsProblem(
  snapshot: Pick<Snapshot, 'status' | 'statusReason' | 'statusFix'> | null,
): string | null {
  if (!snapshot || snapshot.status !== 'error' || !snapshot.statusFix?.includes('credentials')) return null;
  return snapshot.statusReason;
}
