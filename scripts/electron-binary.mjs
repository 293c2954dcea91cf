// Where Electron's binary is, and how to get it: one definition for `npm start` and the Electron e2e suite.
// Since Electron 42 the binary is not downloaded when the package is installed; its own `install-electron` command
// (node_modules/electron/install.js) does, on demand. Nothing here `require('electron')`s: that starts a download.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const exeName = (platform = process.platform) =>
  platform === 'win32' ? 'electron.exe' : platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';

/** The electron package's folder, or null when the package itself is missing. */
export function electronPackageDir() {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/** The installed executable, or null. Honors ELECTRON_OVERRIDE_DIST_PATH like Electron itself. */
export function electronBinary(env = process.env) {
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, exeName());
    return existsSync(p) ? p : null;
  }
  const dir = electronPackageDir();
  if (!dir) return null;
  const pathTxt = path.join(dir, 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const p = path.join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(p) ? p : null;
}

/** The address Electron's installer downloads from (its mirror settings applied), for messages. */
export function electronDownloadUrl(env = process.env) {
  const dir = electronPackageDir();
  const version = dir ? JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version : '?';
  const platform = env.ELECTRON_INSTALL_PLATFORM || env.npm_config_platform || process.platform;
  const arch = env.ELECTRON_INSTALL_ARCH || env.npm_config_arch || process.arch;
  const mirror =
    env.ELECTRON_MIRROR || env.npm_config_electron_mirror || 'https://github.com/electron/electron/releases/download/';
  const customDir = env.ELECTRON_CUSTOM_DIR || env.npm_config_electron_custom_dir || `v${version}`;
  const file = env.ELECTRON_CUSTOM_FILENAME || `electron-v${version}-${platform}-${arch}.zip`;
  return { version, url: `${mirror.replace(/\/?$/, '/')}${customDir.replace('{{ version }}', version)}/${file}` };
}

/** Why `url` cannot be fetched, in a few words (the installer itself only says "fetch failed"). */
export async function whyUnreachable(url) {
  try {
    const r = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    return `it answered HTTP ${r.status}`;
  } catch (e) {
    let cur = e;
    for (let i = 0; i < 4 && cur; i++) {
      if (cur.code)
        return `${cur.code}${cur.hostname ? ` ${cur.hostname}` : cur.address ? ` ${cur.address}:${cur.port}` : ''}`;
      cur = cur.cause;
    }
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Runs Electron's own installer with its output shown (its progress bar appears once a download takes longer
 * than 30 s, so a heartbeat line says it is still working). Resolves to { ok, output }.
 * AUTOSCALER_ELECTRON_INSTALLER replaces the installer script (tests put a stub there).
 */
export function runElectronInstaller({ env = process.env, log = (l) => process.stderr.write(`${l}\n`) } = {}) {
  const dir = electronPackageDir();
  const installer = env.AUTOSCALER_ELECTRON_INSTALLER || (dir ? path.join(dir, 'install.js') : null);
  if (!installer || !existsSync(installer))
    return Promise.resolve({ ok: false, output: 'the electron package is not installed: run npm install first' });
  return new Promise((resolve) => {
    const started = Date.now();
    let output = '';
    const child = spawn(process.execPath, [installer], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (chunk) => {
      const text = chunk.toString();
      output = (output + text).slice(-8000);
      process.stderr.write(text);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    const beat = setInterval(
      () => log(`  … still installing Electron (${Math.round((Date.now() - started) / 1000)} s)`),
      10_000,
    );
    child.on('error', (e) => {
      clearInterval(beat);
      resolve({ ok: false, output: e.message });
    });
    child.on('exit', (code) => {
      clearInterval(beat);
      resolve({ ok: code === 0, output: output.trim() });
    });
  });
}
