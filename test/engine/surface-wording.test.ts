// Messages name where the user changes keys, in the words of whoever reads them: the app's Credentials tab, or on
// the command line (and for teammates of a served engine, whose keys live on that host) the environment and config
// files. A headless run used to tell its operator to open a Credentials tab that does not exist there.
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineHost, type EngineHost } from '../../electron/engine/host.js';
import { classifyEc2Error } from '../../electron/engine/ec2/errors.js';
import { errorFromFetchFailure, errorFromResult } from '../../electron/engine/clearml/errors.js';
import type { Surface } from '../../electron/engine/surface.js';
import { AWS_KEYS, baseConfig, CLEARML_KEYS } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

const TAB = /Credentials tab/;
/** What a teammate attached to a served engine would take for their own computer. */
const TEAMMATE_MISREAD = /this computer|this process|this host/;

describe('the classified messages, per surface', () => {
  const sdk = (code: string, status: number) =>
    Object.assign(new Error(`${code} message`), { name: code, Code: code, $metadata: { httpStatusCode: status } });
  const clearml = (status: number, subcode: number, surface?: Surface) =>
    errorFromResult(status, subcode, '', {
      endpoint: 'auth.login',
      apiHost: 'https://api',
      accessKeyHint: 'AKIA12…',
      ...(surface ? { surface } : {}),
    }).message;
  const ec2 = (code: string, status: number, surface?: Surface) =>
    classifyEc2Error(sdk(code, status), { action: 'DescribeInstances', ...(surface ? { surface } : {}) }).message;

  it.each([
    ['ClearML: no credentials sent', (s?: Surface) => clearml(401, 20, s)],
    ['ClearML: unreadable credentials', (s?: Surface) => clearml(401, 21, s)],
    ['ClearML: key refused', (s?: Surface) => clearml(401, 22, s)],
    ['ClearML: token refused after a new login', (s?: Surface) => clearml(401, 30, s)],
    ['ClearML: not allowed', (s?: Surface) => clearml(403, 0, s)],
  ])('%s', (_name, message) => {
    expect(message()).toMatch(TAB);
    expect(message('app')).toBe(message());
    expect(message('cli')).not.toMatch(TAB);
    expect(message('cli')).toContain('CLEARML_API_ACCESS_KEY, CLEARML_API_SECRET_KEY');
    // Teammates of a served engine read it too, in an app of their own: the keys (and clock) are the host's.
    expect(message('cli')).toMatch(/the engine host's environment/);
    expect(message('cli')).not.toMatch(TEAMMATE_MISREAD);
  });

  it.each([
    ['AWS: keys refused', 'AuthFailure', 401],
    ['AWS: unknown key id', 'InvalidClientTokenId', 403],
    ['AWS: no credentials found', 'CredentialsProviderError', 0],
  ])('%s', (_name, code, status) => {
    expect(ec2(code, status)).toMatch(TAB);
    expect(ec2(code, status, 'cli')).not.toMatch(TAB);
    expect(ec2(code, status, 'cli')).toMatch(/AWS_PROFILE.*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(ec2(code, status, 'cli')).toMatch(/the engine's (process uses on its )?host/);
    expect(ec2(code, status, 'cli')).not.toMatch(TEAMMATE_MISREAD);
  });

  it('ClearML unreachable without an error code: the app names Settings, the command line the config field', () => {
    // fetch refuses some ports (http://127.0.0.1:1, say) with a TypeError that carries no code.
    const unreachable = (surface?: Surface) =>
      errorFromFetchFailure(new TypeError('fetch failed'), 10_000, {
        endpoint: 'auth.login',
        apiHost: 'http://127.0.0.1:1',
        accessKeyHint: null,
        ...(surface ? { surface } : {}),
      }).message;
    expect(unreachable()).toMatch(/the API host in Settings/);
    expect(unreachable('app')).toBe(unreachable());
    expect(unreachable('cli')).not.toMatch(/Settings/);
    expect(unreachable('cli')).toMatch(
      /check clearml\.apiHost in the engine host's config file \(or CLEARML_API_HOST\)/,
    );
  });

  it('an expired AWS session blames the clock of the computer the reader means', () => {
    expect(ec2('ExpiredToken', 400)).toContain("this computer's clock");
    expect(ec2('ExpiredToken', 400, 'cli')).toContain("the engine host's clock");
  });
});

describe('a headless engine with refused keys: no message sends its operator to a Credentials tab', () => {
  let world: World;
  let host: EngineHost | null = null;
  afterEach(async () => {
    await host?.stop();
    host = null;
    await world?.close();
  });

  /** Every text one tick shows: events, the status line, the queues' decisions. */
  async function oneTick(surface: Surface, clearmlKeys = CLEARML_KEYS): Promise<string> {
    const texts: string[] = [];
    host = createEngineHost({
      clock: world.clock,
      dataDir: world.dir,
      onEvent: (e) => texts.push(e.message),
      reporting: { surface, retrying: true },
      makeEc2: (c) => world.clients(c, { surface }).ec2,
    });
    // The real ClearML client the host builds for this surface.
    host.configure(baseConfig({ clearml: { apiHost: world.clearml.url } }), { clearml: clearmlKeys, aws: AWS_KEYS });
    await host.tickNow();
    const s = host.store.getState();
    return [...texts, s.statusReason ?? '', ...s.queues.map((q) => q.lastDecision ?? '')].join('\n');
  }

  it.each([
    ['cli', false],
    ['app', true],
  ] as const)('ClearML refuses the key pair (surface %s): the Credentials tab named: %s', async (surface, named) => {
    world = await startWorld({ dataDir: true, clearmlKeys: CLEARML_KEYS });
    world.clearml.createQueue('gpu');
    // The start-up recovery reads ClearML's workers and quotes ClearML's refusal whole.
    const text = await oneTick(surface, { accessKey: 'WRONGKEY99', secretKey: 'wrong-secret' });
    expect(text).toMatch(/recovery: tasks of instances lost .*rejected the access key "WRONGK…"/);
    expect(TAB.test(text)).toBe(named);
    if (!named) expect(text).toContain("check the key pair in the engine host's environment (CLEARML_API_ACCESS_KEY");
  });

  it.each([
    ['cli', false],
    ['app', true],
  ] as const)('EC2 refuses a launch (surface %s): the Credentials tab named: %s', async (surface, named) => {
    world = await startWorld({ dataDir: true, clearmlKeys: CLEARML_KEYS });
    world.clearml.createQueue('gpu');
    world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 600 });
    world.ec2.faults.push({ action: 'RunInstances', code: 'AuthFailure', count: 1 });
    const text = await oneTick(surface);
    expect(text).toMatch(/AWS rejected the credentials \(AuthFailure\)/);
    expect(TAB.test(text)).toBe(named);
    if (!named) expect(text).toContain("check the credentials the engine's process uses on its host (AWS_PROFILE");
  });
});
