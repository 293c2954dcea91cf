/** The store's config actions: fetch, validate, save, import and export the autoscaler config. */
import type { AppActions, StoreKit } from './app-state.js';

export function configActions(
  kit: StoreKit,
): Pick<AppActions, 'refreshConfig' | 'validateConfig' | 'saveConfig' | 'importConfig' | 'exportConfig'> {
  return {
    async refreshConfig() {
      const r = await kit.call(null, () => kit.api['config.get']({}), true);
      if (r.ok) kit.set({ config: r.value });
    },

    validateConfig(config) {
      return kit.call(null, () => kit.api['config.validate']({ config }), true);
    },

    async saveConfig(config, confirm) {
      const r = await kit.call('saveConfig', () => kit.api['config.save'](confirm ? { config, confirm } : { config }));
      if (r.ok && r.value.ok) await kit.actions().refreshConfig();
      return r;
    },

    importConfig(text, apiHost, region) {
      return kit.call('importConfig', () =>
        kit.api['config.import']({ text, ...(apiHost ? { apiHost } : {}), ...(region ? { region } : {}) }),
      );
    },

    exportConfig() {
      return kit.call('exportConfig', () => kit.api['config.export']({}));
    },
  };
}
