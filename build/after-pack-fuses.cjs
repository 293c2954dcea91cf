// electron-builder afterPack hook: flips Electron's fuses in the packaged binary (checklist item 19), before
// signing. Verify on the release machine with `npx @electron/fuses read --app <path to the app>`.
// Note: EnableNodeCliInspectArguments off also blocks Playwright's _electron.launch on the *packaged* app; the
// Electron e2e suite runs against the unpackaged build (out/main/index.js).
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS hook: electron-builder require()s it */
const path = require('node:path');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

/** The fuse wire we ship, exported for the packaging test. */
const FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** Path of the Electron executable inside the packed app, per platform. */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${name}.app`);
    case 'win32':
      return path.join(appOutDir, `${name}.exe`);
    default:
      return path.join(appOutDir, packager.executableName);
  }
}

async function afterPack(context) {
  const target = electronBinaryPath(context);
  // arm64 macOS binaries are ad-hoc signed; flipping fuses invalidates that signature unless it is redone.
  const resetAdHocDarwinSignature = context.electronPlatformName === 'darwin' && context.arch === 3; // Arch.arm64
  await flipFuses(target, { ...FUSES, resetAdHocDarwinSignature });
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.FUSES = FUSES;
module.exports.electronBinaryPath = electronBinaryPath;
