/**
 * The window's own storage for unsaved Settings edits (kept-draft.ts). Storage that is off, full or refused (a
 * private window, a quota) keeps nothing and never breaks the form: the edits stay in the window as before.
 */
import type { KeptDraftStorage } from './app-state.js';

export const KEPT_DRAFT_KEY = 'cta.settings.unsavedDraft';

export function localKeptDraft(w: { localStorage?: Storage }): KeptDraftStorage {
  const storage = (): Storage | null => {
    try {
      return w.localStorage ?? null;
    } catch {
      return null; // reading localStorage itself throws where storage is blocked
    }
  };
  return {
    read() {
      try {
        return storage()?.getItem(KEPT_DRAFT_KEY) ?? null;
      } catch {
        return null;
      }
    },
    write(text) {
      try {
        storage()?.setItem(KEPT_DRAFT_KEY, text);
      } catch {
        // full or refused: the edits stay in this window only
      }
    },
    clear() {
      try {
        storage()?.removeItem(KEPT_DRAFT_KEY);
      } catch {
        // as above
      }
    },
  };
}
