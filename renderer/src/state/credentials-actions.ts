/** The store's credentials actions: status, set, clear, test and import from clearml.conf (secrets go one way, into main). */
import type { AppActions, StoreKit } from './app-state.js';

export function credentialsActions(
  kit: StoreKit,
): Pick<
  AppActions,
  'refreshCredentials' | 'setCredentials' | 'clearCredentials' | 'testCredentials' | 'importClearmlConf'
> {
  return {
    async refreshCredentials() {
      const r = await kit.call(null, () => kit.api['credentials.status']({}), true);
      if (r.ok) kit.set({ credentials: r.value });
    },

    async setCredentials(req) {
      const r = await kit.call(`credentials:${req.kind}`, () => kit.api['credentials.set'](req), true);
      if (r.ok) await kit.actions().refreshCredentials();
      return r;
    },

    async clearCredentials(kind) {
      const r = await kit.call(`credentials:${kind}`, () => kit.api['credentials.clear']({ kind }));
      if (r.ok) await kit.actions().refreshCredentials();
      return r;
    },

    testCredentials(req) {
      const r = typeof req === 'string' ? { kind: req } : req;
      return kit.call(`credentialsTest:${r.kind}`, () => kit.api['credentials.test'](r), true);
    },

    async importClearmlConf() {
      const r = await kit.call('importClearmlConf', () => kit.api['credentials.importClearmlConf']({}));
      if (r.ok && r.value.imported) {
        await kit.actions().refreshCredentials();
        await kit.actions().refreshConfig();
      }
      return r;
    },
  };
}
