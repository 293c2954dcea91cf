/** Identity shared by the composition root, notifications (Windows AppUserModelId) and packaging. */

/** Must equal `appId` in build/electron-builder.yml (a test checks): Windows groups notifications by it. */
export const APP_ID = 'io.github.clearml-tray-autoscaler';
export const PRODUCT_NAME = 'ClearML Tray Autoscaler';
/** Keychain service name for the stored credentials. */
export const KEYCHAIN_SERVICE = 'clearml-tray-autoscaler';
