#!/usr/bin/env node
// `npm start`: build, then launch Electron. When the Electron binary is not installed yet, run Electron's own
// installer first (since Electron 42 it downloads its binary on demand, not at `npm install`); only when that download
// really fails, say what it tried to reach, why it failed, and what runs without Electron.
//
//   npm start                 build, install Electron if needed, launch
//   npm start -- --no-build   launch what out/ already holds
//   npm start -- --demo       launch in the demo (the app's own --demo, passed through)
//   npm start -- --hidden     launch in the tray without opening the window (the app's own, as a login item starts it)
//   npm run dev               the same with the main process inspector enabled
//   npm start -- --help       the above; an unknown option is refused before anything is built or downloaded
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary, electronDownloadUrl, runElectronInstaller, whyUnreachable } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dev = argv.includes('--dev');
const noBuild = argv.includes('--no-build');
// The app's own flags (electron/main), passed through after the app folder: the README names them for `npm start --`.
const APP_FLAGS = ['--demo', '--hidden'];
const log = (l) => process.stderr.write(`${l}\n`);
const USAGE = `usage: npm start [-- --no-build] [--demo] [--hidden]   build, install Electron's binary if it is missing, launch
       npm run dev                                     the same with the main process inspector enabled
  --no-build   launch what out/ already holds
  --demo       start in the demo: the real engine against built-in ClearML and EC2 emulators, nothing saved
  --hidden     start in the tray without opening the window, as the login item does
An Electron binary you already have: ELECTRON_OVERRIDE_DIST_PATH=<its folder> npm start (no download).
Without Electron: npm run preview:web (the dashboard in a browser), npm run headless -- --help (the engine).`;

// Before anything is built or downloaded: a typo should not cost a build and an Electron download.
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const unknown = argv.filter((a) => !['--dev', '--no-build', ...APP_FLAGS].includes(a));
if (unknown.length) {
  log(`Unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.join(' ')}\n${USAGE}`);
  process.exit(2);
}

let bin = electronBinary();
if (!bin) {
  const { version, url } = electronDownloadUrl();
  log(`Electron ${version} is not installed yet: running Electron's installer (npx install-electron).`);
  log(`  downloading ${url}`);
  const r = await runElectronInstaller({ log });
  bin = electronBinary();
  if (!r.ok || !bin) {
    const why = r.ok ? 'the installer finished but left no executable' : await whyUnreachable(url);
    const said = r.output.split('\n').filter(Boolean).at(-1) ?? '';
    log(`
Electron could not be installed, so the desktop app cannot open here.
  tried:  ${url}
  error:  ${said || 'no output'}${why ? ` (${why})` : ''}

Behind a proxy: ELECTRON_GET_USE_PROXY=true HTTPS_PROXY=http://proxy:port npm start; from a mirror:
ELECTRON_MIRROR=https://your.mirror/electron/ npm start; an Electron ${version} binary you already have (copied from
another machine): ELECTRON_OVERRIDE_DIST_PATH=<the folder holding it> npm start.
Everything else runs in plain Node:

  npm run preview:web                              the real dashboard in your browser (demo mode)
  npm run headless -- --demo                       the full scale-up / scale-down cycle in this terminal
  npm run headless -- --config my.yaml --dry-run   the engine against your own ClearML and AWS, deciding only`);
    process.exit(2);
  }
  log(`Electron installed: ${bin}`);
}
if (!noBuild) {
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    { stdio: 'inherit', cwd: root },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const child = spawn(bin, [root, ...(dev ? ['--inspect'] : []), ...APP_FLAGS.filter((f) => argv.includes(f))], {
  stdio: 'inherit',
  cwd: root,
});
child.on('exit', (code) => process.exit(code ?? 0));
