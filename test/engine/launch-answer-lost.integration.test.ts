// A RunInstances whose answer is lost after EC2 launched the instance (a 503 or a reset from a proxy or EC2 itself),
// while EC2's listing lags: the next tick must not launch a second instance for the same task. The real engine and
// provider against the EC2 emulator, through a proxy that replaces the answer of the first RunInstances calls.
import { afterEach, expect, it } from 'vitest';
import { createEc2Provider, type Ec2Provider } from '../../electron/engine/ec2/provider.js';
import type { EngineEvent } from '../../shared/domain.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startEc2Proxy, type Ec2Proxy } from '../fixtures/ec2-proxy.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
let proxy: Ec2Proxy | null = null;
let ec2: Ec2Provider | null = null;
afterEach(async () => {
  ec2?.close();
  await proxy?.close();
  await world?.close();
  [world, proxy, ec2] = [null, null, null];
});

const UNAVAILABLE =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>ServiceUnavailable</Code><Message>' +
  'The request has failed due to a temporary failure of the server.</Message></Error></Errors><RequestID>r-1' +
  '</RequestID></Response>';

it.each([1, 2])('%i lost RunInstances answer(s) with a 30 s listing delay: one task, one instance', async (lost) => {
  const w = (world = await startWorld({ queues: ['cpu', 'gpu'], listingDelaySec: 30 }));
  let left = lost;
  proxy = await startEc2Proxy(w.ec2.url, (params) => {
    if (params.get('Action') !== 'RunInstances' || left <= 0) return null;
    left--;
    return { status: 503, body: UNAVAILABLE };
  });
  ec2 = createEc2Provider({ region: 'us-east-1', endpoint: proxy.url, credentials: w.awsKeys, clock: w.local });
  const events: EngineEvent[] = [];
  const engine = w.newEngine(baseConfig(), { onEvent: (e) => events.push(e) }, { clearml: w.clearmlClient(), ec2 });
  addTasks(w.clearml, 'cpu', 1, 3600);
  await w.run(engine, 300);
  expect(w.ec2.instances().map((i) => i.state)).toEqual(['running']);
  expect(w.clearml.tasks().map((t) => t.status)).toEqual(['in_progress']);
  expect(events.filter((e) => e.kind === 'launch-failed')).toHaveLength(lost);
});
