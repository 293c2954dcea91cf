#!/usr/bin/env node
// `npm start`: build, then launch Electron. Where no Electron binary exists (it comes from GitHub releases,
// which some machines cannot reach), say so and name what runs instead.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');

export function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const exe =
      process.platform === 'win32'
        ? 'electron.exe'
        : process.platform === 'darwin'
          ? 'Electron.app/Contents/MacOS/Electron'
          : 'electron';
    const p = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, exe);
    return existsSync(p) ? p : null;
  }
  try {
    const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathTxt = path.join(pkgDir, 'path.txt');
    if (!existsSync(pathTxt)) return null;
    const p = path.join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
    return existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
if (!bin) {
  console.error(`No Electron binary is installed on this machine (it is downloaded from GitHub releases, which this
machine cannot reach), so the desktop app cannot open here. Everything else runs in plain Node:

  npm run preview:web          the real dashboard in your browser, driven by the real engine (demo mode)
  npm run headless -- --demo   the engine's full scale-up / scale-down cycle in this terminal
  npm run headless -- --config my.yaml --dry-run   the engine against your own ClearML and AWS, deciding only

To get the desktop app, run 'npx install-electron' (or reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD) on a
machine that can reach GitHub, then 'npm start' again.`);
  process.exit(2);
}
const build = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
  { stdio: 'inherit', cwd: root },
);
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(bin, [root, ...(dev ? ['--inspect'] : [])], { stdio: 'inherit', cwd: root });
child.on('exit', (code) => process.exit(code ?? 0));
