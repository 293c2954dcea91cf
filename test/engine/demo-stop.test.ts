// What the engine says when autoscaling goes off in the demo: turned off, the emulated instances keep running in the
// demo world; the run stopping, the demo world ends with it, so "keep running" would be untrue.
import { rmSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { createEngineHost } from '../../electron/engine/host.js';
import type { EngineEvent } from '../../shared/domain.js';
import { tempDir } from '../fixtures/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function demoHost() {
  const dir = tempDir('demo-stop-');
  dirs.push(dir);
  const events: EngineEvent[] = [];
  const host = createEngineHost({ dataDir: dir, onEvent: (e) => events.push(e) });
  await host.startDemo();
  await host.setEnabled(true);
  const offLines = () => events.map((e) => e.message).filter((m) => m.startsWith('autoscaling turned off'));
  return { host, offLines };
}

it.each([
  ['turned off, the demo world still runs', false, 'autoscaling turned off: running instances keep running'],
  [
    'the run stops, the demo world ends with it',
    true,
    'autoscaling turned off: the demo world and its emulated instances end with this run',
  ],
])('%s', async (_name, stopping, line) => {
  const { host, offLines } = await demoHost();
  if (stopping) await host.stop();
  else {
    await host.setEnabled(false);
    await host.stop();
  }
  expect(offLines()).toEqual([line]);
});
