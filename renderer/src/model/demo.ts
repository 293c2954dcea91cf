/**
 * How to leave the demo for a real setup. The engine has no call that ends the demo while the app runs: the host
 * keeps the demo's made-up world (timeline, events, spend) out of the data folder until it stops, and nothing of the
 * demo is saved. So the way out is a restart, which starts the engine from the saved settings (none after a demo
 * tried from the first-run screen): these steps say so for the transport the dashboard runs in. Pure.
 */
import type { Bridge } from '../bridge/bridge.js';

export function leaveDemoSteps(transport: Bridge['transport']): string[] {
  if (transport === 'websocket')
    return [
      'Stop `npm run preview:web` (Ctrl+C in its terminal).',
      'Start it again with `npm run preview:web -- --first-run` for the setup screen, or with `-- --config FILE` to run against your own ClearML and AWS.',
      'Open the new address it prints: the token changes with every start.',
    ];
  return [
    'Quit the app: tray menu → Quit. Closing the window is not enough, the app keeps running in the tray.',
    'Start it again. Nothing of the demo is kept, so it opens on the setup screen: connect ClearML and AWS, or import the configuration of ClearML’s autoscaler. Keys stored under Credentials during the demo are kept; then it opens on the dashboard, with Settings to fill in.',
    'If the app was started with `--demo` (or AUTOSCALER_DEMO=1), start it without.',
  ];
}
