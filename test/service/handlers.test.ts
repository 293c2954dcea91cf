import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { invokeChannels, type InvokeChannel, type InvokeRequest } from '../../shared/ipc/contract.js';
import { createDispatcher, type CallContext } from '../../shared/ipc/dispatch.js';
import { createServiceHandlers, resolveCredentials, type ServiceDeps } from '../../electron/engine/service/handlers.js';
import { KnownSecrets } from '../../electron/engine/service/redact.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { FileSettingsRepo, MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { createConfigImporter } from '../../electron/engine/service/config-io.js';
import { createChangeFeed, watchSettings } from '../../electron/engine/service/changes.js';

const importOurConfigText = createConfigImporter(() => 'https://api.clear.ml');
import { FakeController, instance, validConfig, validConfigInput } from './fixtures.js';
import { USER_DATA_LIMIT_BYTES, userDataOverLimit } from '../../electron/engine/userdata/userdata.js';
import { ConfigSchema } from '../../shared/config.js';

const ctx: CallContext = { transport: 'test', caller: 'test' };

const SECRETS = {
  clearmlAccess: 'CLEARMLACCESS7Q2XK9PA',
  clearmlSecret: 'cLeArMlSeCrEt-8f3a9b2c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
  awsKeyId: 'AKIAZZZZEXAMPLE12345',
  awsSecret: 'aWsSeCrEtKeY/0123456789abcdefGHIJKLMNOPQR',
  awsSession: 'FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789',
  gitPassword: 'ghp_GiTtOkEn0123456789abcdefABCDEF012345',
};
const ALL_SECRET_VALUES = Object.values(SECRETS);

function makeDeps(over: Partial<ServiceDeps> = {}) {
  const controller = new FakeController({ instances: [instance({ instanceId: 'i-0123456789abcdef0' })] });
  const settings = new MemorySettingsRepo();
  const secrets = new MemorySecretStore({ backendName: 'test store', now: () => 1_700_000_000_000 });
  const known = new KnownSecrets();
  const leak = (s: string) => `server said: key ${SECRETS.awsKeyId} secret ${SECRETS.awsSecret} / ${s}`;
  const deps: ServiceDeps = {
    controller,
    settings,
    secrets,
    knownSecrets: known,
    // Deliberately careless collaborators: they echo secrets, and the handlers must not pass them on.
    testers: {
      clearml: async () => ({ ok: false, message: leak(SECRETS.clearmlSecret), details: [SECRETS.clearmlAccess] }),
      aws: async () => {
        throw new Error(`AuthFailure for ${SECRETS.awsKeyId}:${SECRETS.awsSecret}`);
      },
    },
    importClearmlConf: async () => ({
      accessKey: SECRETS.clearmlAccess,
      secretKey: SECRETS.clearmlSecret,
      apiHost: 'https://api.clear.ml',
    }),
    importConfigText: async (text) => {
      const r = await importOurConfigText(text);
      return { ...r, warnings: [...r.warnings, `ignored cloud_credentials_secret: ${SECRETS.awsSecret}`] };
    },
    exportConfig: () => JSON.stringify(settings.get().config),
    openExternal: vi.fn(async (url: string) => url.startsWith('https://app.clear.ml')),
    startDemo: vi.fn(async () => undefined),
    stopDemo: vi.fn(async () => undefined),
    isDemo: () => false,
    // Careless too: a region error that quotes the credentials it used.
    stopEverything: vi.fn(async () => ({
      regions: [
        { region: 'us-east-1', terminated: 2, error: null },
        { region: 'eu-west-1', terminated: 0, error: `AuthFailure: ${SECRETS.awsKeyId} / ${SECRETS.awsSecret}` },
      ],
    })),
    team: {
      status: () => ({ available: true, attachment: null }),
      probe: async () => ({ fingerprint: 'AA' }),
      attach: async () => ({ attached: true, as: null }),
      detach: async () => ({ attached: false }),
    },
    ...over,
  };
  return { deps, controller, settings, secrets, known };
}

/** One valid request per channel; typed so a new channel without an entry fails to compile. */
const VALID: { [C in InvokeChannel]: InvokeRequest<C> } = {
  'autoscaler:state.getSnapshot': {},
  'autoscaler:engine.setEnabled': { enabled: true },
  'autoscaler:engine.setLaunchesPaused': { paused: true },
  'autoscaler:engine.scaleToZero': {},
  'autoscaler:engine.stopEverything': { confirm: true },
  'autoscaler:queue.setPaused': { queue: 'gpu', paused: true },
  'autoscaler:instances.terminate': { instanceIds: ['i-0123456789abcdef0'] },
  'autoscaler:instances.adopt': { instanceIds: ['i-0123456789abcdef0'], confirm: true },
  'autoscaler:leadership.decide': { decision: 'standby' },
  'autoscaler:leadership.createLeaseTable': {},
  'autoscaler:config.get': {},
  'autoscaler:instances.detail': { instanceId: 'i-0123456789abcdef0' },
  'autoscaler:timeline.get': { hours: 6 },
  'autoscaler:config.validate': { config: validConfigInput() },
  'autoscaler:config.save': { config: validConfigInput() },
  'autoscaler:config.import': { text: JSON.stringify(validConfigInput()) },
  'autoscaler:config.export': {},
  'autoscaler:credentials.status': {},
  'autoscaler:credentials.set': {
    kind: 'aws',
    accessKeyId: SECRETS.awsKeyId,
    secretAccessKey: SECRETS.awsSecret,
    sessionToken: SECRETS.awsSession,
  },
  'autoscaler:credentials.clear': { kind: 'clearml' },
  'autoscaler:credentials.test': { kind: 'clearml' },
  'autoscaler:credentials.importClearmlConf': {},
  'autoscaler:demo.start': {},
  'autoscaler:demo.stop': {},
  'autoscaler:app.openExternal': { url: 'https://app.clear.ml/projects' },
  'autoscaler:settings.get': {},
  'autoscaler:settings.patch': { theme: 'dark', notificationMutes: { launched: true } },
  'autoscaler:team.status': {},
  'autoscaler:team.probe': { url: 'wss://team.example:7465' },
  'autoscaler:team.attach': { url: 'wss://team.example:7465', token: 'cta_x', fingerprint: 'AA' },
  'autoscaler:team.detach': {},
};

describe('secrets are write-only', () => {
  it('no response of any channel contains a stored secret', async () => {
    const { deps, secrets } = makeDeps();
    await secrets.set('clearml', { accessKey: SECRETS.clearmlAccess, secretKey: SECRETS.clearmlSecret });
    await secrets.set('aws', {
      accessKeyId: SECRETS.awsKeyId,
      secretAccessKey: SECRETS.awsSecret,
      sessionToken: SECRETS.awsSession,
    });
    await secrets.set('git', { username: 'ci-bot', password: SECRETS.gitPassword });
    const dispatch = createDispatcher(createServiceHandlers(deps), { knownSecrets: () => deps.knownSecrets!.list() });
    expect(Object.keys(VALID).sort()).toEqual([...invokeChannels].sort());

    const responses: string[] = [];
    // Every channel, twice (the second pass runs after set/import have re-stored the secrets), plus the
    // credentials.test channel for both kinds.
    for (let pass = 0; pass < 2; pass++) {
      for (const channel of invokeChannels) {
        const r = await dispatch(channel, VALID[channel], ctx);
        responses.push(`${channel} ${JSON.stringify(r)}`);
      }
      responses.push(JSON.stringify(await dispatch('autoscaler:credentials.test', { kind: 'aws' }, ctx)));
    }
    // The calls really ran (not all refused), or the scan proves nothing.
    const okCount = responses.filter((r) => r.includes('"ok":true')).length;
    expect(okCount).toBeGreaterThanOrEqual(invokeChannels.length * 2);
    for (const r of responses) {
      for (const secret of ALL_SECRET_VALUES) expect(r).not.toContain(secret);
    }
  });

  it('credentials.test with unsaved values: the typed keys reach the tester, never the answer, and nothing is stored', async () => {
    const typed = { accessKey: 'TYPEDACCESSKEY000001', secretKey: 'typed-secret-never-stored-0123' };
    const seen: unknown[] = [];
    const { deps, secrets } = makeDeps({
      testers: {
        // Careless: echoes what it was given, as a server's error text can.
        clearml: async (u) => {
          seen.push(u);
          return { ok: false, message: `refused ${u?.accessKey} / ${u?.secretKey}`, details: [u?.secretKey ?? ''] };
        },
        aws: async (u) => {
          seen.push(u);
          throw new Error(`AuthFailure for ${u?.accessKeyId}:${u?.secretAccessKey}`);
        },
      },
    });
    const dispatch = createDispatcher(createServiceHandlers(deps), { knownSecrets: () => deps.knownSecrets!.list() });
    const c = await dispatch(
      'autoscaler:credentials.test',
      { kind: 'clearml', unsaved: { apiHost: 'https://api.clear.ml', ...typed } },
      ctx,
    );
    const awsTyped = { accessKeyId: 'AKIATYPED00000000001', secretAccessKey: 'typed/aws/secret/0000000000' };
    const a = await dispatch(
      'autoscaler:credentials.test',
      { kind: 'aws', unsaved: { region: 'eu-west-1', ...awsTyped } },
      ctx,
    );
    expect(seen).toEqual([
      { apiHost: 'https://api.clear.ml', ...typed },
      { region: 'eu-west-1', ...awsTyped },
    ]);
    expect(c).toMatchObject({ ok: true, value: { ok: false } });
    expect(a).toMatchObject({ ok: true, value: { ok: false } });
    for (const secret of [...Object.values(typed), ...Object.values(awsTyped)]) {
      expect(JSON.stringify([c, a])).not.toContain(secret);
    }
    expect(await secrets.get('clearml')).toBeNull();
    expect(await secrets.get('aws')).toBeNull();
  });

  it('credentials.test that passes with the stored credentials tells the engine; unsaved or failed ones do not', async () => {
    let pass = false;
    const { deps, controller } = makeDeps({
      testers: {
        clearml: async () => ({ ok: pass, message: 'm', details: [] }),
        aws: async () => ({ ok: pass, message: 'm', details: [] }),
      },
    });
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const unsaved = { region: 'eu-west-1', accessKeyId: 'AKIATYPED00000000001', secretAccessKey: 'typed/0000000' };
    await dispatch('autoscaler:credentials.test', { kind: 'aws' }, ctx);
    pass = true;
    await dispatch('autoscaler:credentials.test', { kind: 'aws', unsaved }, ctx);
    expect(controller.callsTo('credentialsTested')).toEqual([]);
    await dispatch('autoscaler:credentials.test', { kind: 'aws' }, ctx);
    await dispatch('autoscaler:credentials.test', { kind: 'clearml' }, ctx);
    expect(controller.callsTo('credentialsTested')).toEqual([['aws'], ['clearml']]);
  });

  it('credentials.set stores the value and returns status only', async () => {
    const { deps, secrets } = makeDeps();
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const r = await dispatch(
      'autoscaler:credentials.set',
      { kind: 'clearml', accessKey: SECRETS.clearmlAccess, secretKey: SECRETS.clearmlSecret },
      ctx,
    );
    expect(r).toEqual({ ok: true, value: { set: true, setAt: 1_700_000_000_000, fallback: null } });
    expect((await secrets.get('clearml'))?.value).toEqual({
      accessKey: SECRETS.clearmlAccess,
      secretKey: SECRETS.clearmlSecret,
    });
  });

  it('git credentials: a write-only keychain kind the engine gets (user and password), the status shows only set/unset', async () => {
    const { deps, secrets, controller, settings } = makeDeps();
    settings.patch({ config: validConfig() });
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const r = await dispatch(
      'autoscaler:credentials.set',
      { kind: 'git', username: 'ci-bot', password: SECRETS.gitPassword },
      ctx,
    );
    expect(r).toEqual({ ok: true, value: { set: true, setAt: 1_700_000_000_000, fallback: null } });
    expect((await secrets.get('git'))?.value).toEqual({ username: 'ci-bot', password: SECRETS.gitPassword });
    const status = await dispatch('autoscaler:credentials.status', {}, ctx);
    expect(status).toMatchObject({ ok: true, value: { git: { set: true } } });
    expect(JSON.stringify(status)).not.toContain(SECRETS.gitPassword);
    expect(controller.configured?.credentials).toMatchObject({ gitUser: 'ci-bot', gitPassword: SECRETS.gitPassword });
    await dispatch('autoscaler:credentials.clear', { kind: 'git' }, ctx);
    expect(await secrets.get('git')).toBeNull();
    expect(controller.configured?.credentials.gitPassword).toBeUndefined();
    // Nothing to test a git token against from here: the channel refuses the kind instead of pretending.
    expect(await dispatch('autoscaler:credentials.test', { kind: 'git' }, ctx)).toMatchObject({ ok: false });
  });

  it('no contract response schema has a field named like a secret', async () => {
    const { invokeContract } = await import('../../shared/ipc/contract.js');
    const keys = new Set<string>();
    const walk = (schema: unknown, depth = 0): void => {
      if (depth > 8 || typeof schema !== 'object' || schema === null) return;
      const s = schema as { shape?: Record<string, unknown>; def?: Record<string, unknown> };
      if (s.shape) {
        for (const [k, v] of Object.entries(s.shape)) {
          keys.add(k);
          walk(v, depth + 1);
        }
      }
      for (const inner of ['innerType', 'element', 'schema', 'in', 'out'] as const) walk(s.def?.[inner], depth + 1);
      for (const opt of (s.def?.['options'] as unknown[] | undefined) ?? []) walk(opt, depth + 1);
    };
    for (const entry of Object.values(invokeContract)) walk(entry.res);
    expect(keys.size).toBeGreaterThan(20);
    expect([...keys].filter((k) => /secret|password|token|accessKey/i.test(k))).toEqual([]);
  });

  it('no secret lands in the settings file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settings-secrets-'));
    try {
      const file = path.join(dir, 'settings.json');
      const { deps } = makeDeps({ settings: new FileSettingsRepo(file) });
      const dispatch = createDispatcher(createServiceHandlers(deps));
      for (const channel of invokeChannels) await dispatch(channel, VALID[channel], ctx);
      await dispatch(
        'autoscaler:credentials.set',
        { kind: 'clearml', accessKey: SECRETS.clearmlAccess, secretKey: SECRETS.clearmlSecret },
        ctx,
      );
      // Smuggling attempts through the settings channel are refused by the strict patch schema.
      const smuggled = await dispatch('autoscaler:settings.patch', { awsSecretAccessKey: SECRETS.awsSecret }, ctx);
      expect(smuggled).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('"theme": "dark"');
      expect(text).toContain('api.clear.ml');
      for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config handlers', () => {
  let env: ReturnType<typeof makeDeps>;
  beforeEach(() => {
    env = makeDeps();
  });
  afterEach(() => vi.restoreAllMocks());

  it('config.save refuses an invalid config: issues, nothing saved, engine untouched', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const bad = { ...validConfigInput(), aws: { region: 'mars-1' } };
    const r = await dispatch('autoscaler:config.save', { config: bad }, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ ok: false });
    expect((r.value as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain('aws.region');
    expect(env.settings.get().config).toBeNull();
    expect(env.controller.callsTo('configure')).toEqual([]);
  });

  it('config.save stores the parsed config and configures the engine with the stored credentials', async () => {
    await env.secrets.set('aws', { accessKeyId: SECRETS.awsKeyId, secretAccessKey: SECRETS.awsSecret });
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const r = await dispatch('autoscaler:config.save', { config: validConfigInput() }, ctx);
    expect(r).toEqual({ ok: true, value: { ok: true, issues: [] } });
    expect(env.settings.get().config).toEqual(validConfig());
    expect(env.controller.configured?.config).toEqual(validConfig());
    expect(env.controller.configured?.credentials.aws?.accessKeyId).toBe(SECRETS.awsKeyId);
    expect(env.controller.configured?.credentials.clearml).toBeNull();
  });

  it('setting credentials after a config was saved reconfigures the engine', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    await dispatch('autoscaler:config.save', { config: validConfigInput() }, ctx);
    await dispatch(
      'autoscaler:credentials.set',
      { kind: 'clearml', accessKey: SECRETS.clearmlAccess, secretKey: SECRETS.clearmlSecret },
      ctx,
    );
    expect(env.controller.callsTo('configure')).toHaveLength(2);
    expect(env.controller.configured?.credentials.clearml?.accessKey).toBe(SECRETS.clearmlAccess);
  });

  it('engine.setEnabled(true) without a config is not_ready and the engine is not called', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const r = await dispatch('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'not_ready' } });
    expect(env.controller.callsTo('setEnabled')).toEqual([]);
    const off = await dispatch('autoscaler:engine.setEnabled', { enabled: false }, ctx);
    expect(off).toEqual({ ok: true, value: { enabled: false } });
  });

  it('credentials.status reports the backend, its warning and the fallbacks', async () => {
    const { deps } = makeDeps({
      secrets: new MemorySecretStore({ backendName: 'memory only', warning: 'not remembered' }),
      fallback: {
        aws: () => 'AWS SDK chain',
        clearml: () => ({
          credentials: { accessKey: 'CONFKEY', secretKey: 'conf-secret' },
          from: '~/clearml.conf',
          apiHost: 'https://api.conf.example.com',
          problem:
            'CLEARML_API_ACCESS_KEY is set without its pair (CLEARML_API_SECRET_KEY), so the environment was skipped',
        }),
      },
    });
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const r = await dispatch('autoscaler:credentials.status', {}, ctx);
    expect(r).toEqual({
      ok: true,
      value: {
        backend: 'memory only',
        warning: 'not remembered',
        // The server named beside the keys, so a first setup can take both.
        clearml: {
          set: false,
          setAt: null,
          fallback: '~/clearml.conf',
          fallbackApiHost: 'https://api.conf.example.com',
          // Keys were found, but not the ones the user may have meant: said, not hidden.
          fallbackProblem:
            'CLEARML_API_ACCESS_KEY is set without its pair (CLEARML_API_SECRET_KEY), so the environment was skipped',
        },
        aws: { set: false, setAt: null, fallback: 'AWS SDK chain' },
        git: { set: false, setAt: null, fallback: null },
      },
    });
    // Keys stored here: no fallback, and no server from it.
    await deps.secrets.set('clearml', { accessKey: 'a', secretKey: 'b' });
    const stored = await dispatch('autoscaler:credentials.status', {}, ctx);
    expect(stored).toMatchObject({ ok: true, value: { clearml: { set: true, fallback: null } } });
    expect(JSON.stringify(stored)).not.toContain('fallbackApiHost');
    expect(JSON.stringify(stored)).not.toContain('fallbackProblem');
  });

  it('a clearml.conf that was ignored is named wherever the keys are missing: status, engine, import', async () => {
    const problem = '/home/u/clearml.conf has a syntax error at line 9, column 1 and was ignored';
    const { deps, controller } = makeDeps({
      fallback: { aws: () => null, clearml: () => ({ credentials: null, from: null, apiHost: null, problem }) },
      importClearmlConf: async () => null,
    });
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const r = await dispatch('autoscaler:credentials.status', {}, ctx);
    expect(r).toMatchObject({ ok: true, value: { clearml: { set: false, fallback: null, fallbackProblem: problem } } });
    expect(JSON.stringify(r)).not.toContain('fallbackApiHost');
    // The engine's error says why instead of "No ClearML credentials are set: add…".
    await dispatch('autoscaler:config.save', { config: validConfigInput() }, ctx);
    expect(controller.configured?.credentials).toMatchObject({
      clearml: null,
      clearmlMissing: `No ClearML credentials are set: ${problem}. Fix it, or add an access key and secret key in the Credentials tab`,
    });
    const imported = await dispatch('autoscaler:credentials.importClearmlConf', {}, ctx);
    expect(imported).toMatchObject({ ok: true, value: { imported: false } });
    expect(JSON.stringify(imported)).toContain(problem);
  });

  it('credentials.status carries the network settings taken from the environment, and nothing when none', async () => {
    const network = {
      notes: ['proxy: HTTPS via http://proxy:3128'],
      problems: ['SSL_CERT_FILE names /x.pem, which was not used: it does not exist.'],
    };
    const withNetwork = await createDispatcher(createServiceHandlers(makeDeps({ network }).deps))(
      'autoscaler:credentials.status',
      {},
      ctx,
    );
    expect(withNetwork).toMatchObject({ ok: true, value: { network } });
    const none = await createDispatcher(createServiceHandlers(makeDeps({ network: { notes: [], problems: [] } }).deps))(
      'autoscaler:credentials.status',
      {},
      ctx,
    );
    expect(JSON.stringify(none)).not.toContain('"network"');
  });

  it('credentials.clear deletes the stored value', async () => {
    await env.secrets.set('clearml', { accessKey: 'a', secretKey: 'b' });
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const r = await dispatch('autoscaler:credentials.clear', { kind: 'clearml' }, ctx);
    expect(r).toMatchObject({ ok: true, value: { set: false } });
    expect(await env.secrets.get('clearml')).toBeNull();
  });

  it('importClearmlConf stores what it found and says so; nothing found is explained', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const r = await dispatch('autoscaler:credentials.importClearmlConf', {}, ctx);
    expect(r).toMatchObject({ ok: true, value: { imported: true, apiHost: 'https://api.clear.ml' } });
    expect((await env.secrets.get('clearml'))?.value.secretKey).toBe(SECRETS.clearmlSecret);

    const none = makeDeps({ importClearmlConf: async () => null });
    const r2 = await createDispatcher(createServiceHandlers(none.deps))(
      'autoscaler:credentials.importClearmlConf',
      {},
      ctx,
    );
    expect(r2).toMatchObject({ ok: true, value: { imported: false, apiHost: null } });
    expect(await none.secrets.get('clearml')).toBeNull();
  });

  it('the stored credentials win over the fallback, which is used when nothing is stored', async () => {
    const fallback = {
      aws: () => null,
      clearml: () => ({
        credentials: { accessKey: 'ENVKEY', secretKey: 'envsecret' },
        from: 'environment',
        apiHost: null,
        problem: null,
      }),
    };
    const secrets = new MemorySecretStore();
    expect((await resolveCredentials(secrets, new KnownSecrets(), fallback)).clearml?.accessKey).toBe('ENVKEY');
    await secrets.set('clearml', { accessKey: 'STORED', secretKey: 's' });
    expect((await resolveCredentials(secrets, new KnownSecrets(), fallback)).clearml?.accessKey).toBe('STORED');
  });

  it('forwards engine actions', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    expect(await dispatch('autoscaler:instances.terminate', { instanceIds: ['i-0123456789abcdef0'] }, ctx)).toEqual({
      ok: true,
      value: { terminating: ['i-0123456789abcdef0'] },
    });
    expect(await dispatch('autoscaler:engine.scaleToZero', {}, ctx)).toEqual({ ok: true, value: { terminating: 1 } });
    expect(
      await dispatch('autoscaler:instances.adopt', { instanceIds: ['i-0123456789abcdef0'], confirm: true }, ctx),
    ).toEqual({ ok: true, value: { adopted: ['i-0123456789abcdef0'], refused: [] } });
    // Adoption hands instances to this app's scale-down: never without the confirmation.
    expect(await dispatch('autoscaler:instances.adopt', { instanceIds: ['i-0123456789abcdef0'] }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid_args' },
    });
    expect(env.controller.callsTo('adopt')).toEqual([[['i-0123456789abcdef0']]]);
    await dispatch('autoscaler:queue.setPaused', { queue: 'gpu', paused: true }, ctx);
    expect(env.controller.callsTo('setQueuePaused')).toEqual([['gpu', true]]);
    expect(await dispatch('autoscaler:app.openExternal', { url: 'https://evil.example/' }, ctx)).toEqual({
      ok: true,
      value: { opened: false },
    });
  });

  it('instances.detail asks the engine for a valid id only; timeline.get is empty for an engine that keeps none', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const r = await dispatch('autoscaler:instances.detail', { instanceId: 'i-0123456789abcdef0' }, ctx);
    expect(r).toMatchObject({ ok: true, value: { instanceId: 'i-0123456789abcdef0', known: false } });
    expect(await dispatch('autoscaler:instances.detail', { instanceId: '../etc' }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid_args' },
    });
    expect(env.controller.callsTo('instanceDetail')).toEqual([['i-0123456789abcdef0']]);
    const t = await dispatch('autoscaler:timeline.get', { hours: 24 }, ctx);
    expect(t).toMatchObject({ ok: true, value: { hours: 24, points: [], markers: [], since: null } });
    expect(await dispatch('autoscaler:timeline.get', { hours: 5 }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'invalid_args' },
    });
  });

  it('settings.patch merges mutes and returns the public settings (no config)', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    await dispatch('autoscaler:settings.patch', { notificationMutes: { launched: true } }, ctx);
    const r = await dispatch('autoscaler:settings.patch', { notificationMutes: { terminated: true } }, ctx);
    expect(r).toMatchObject({
      ok: true,
      value: {
        settings: { notificationMutes: { launched: true, terminated: true, launchFailed: false } },
        notice: null,
      },
    });
    expect(JSON.stringify(r)).not.toContain('"config"');
  });

  it('settings.patch sets what the engine does at start, and refuses anything but as-left or off', async () => {
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    expect(env.deps.settings.get().autoscalingAtStart).toBe('as-left');
    const r = await dispatch('autoscaler:settings.patch', { autoscalingAtStart: 'off' }, ctx);
    expect(r).toMatchObject({ ok: true, value: { settings: { autoscalingAtStart: 'off' } } });
    expect(env.deps.settings.get().autoscalingAtStart).toBe('off');
    expect((await dispatch('autoscaler:settings.patch', { autoscalingAtStart: 'never' }, ctx)).ok).toBe(false);
  });
});

describe('change events', () => {
  it('each change says its topic once, whoever made it, and never carries a value', async () => {
    const { deps, settings } = makeDeps();
    const changes = createChangeFeed();
    const unwatch = watchSettings(settings, changes);
    const topics: string[] = [];
    changes.on((t) => topics.push(t));
    const dispatch = createDispatcher(createServiceHandlers({ ...deps, changes }));
    const step = async (channel: InvokeChannel) => {
      topics.length = 0;
      expect((await dispatch(channel, VALID[channel], ctx)).ok).toBe(true);
      return [...topics];
    };
    expect(await step('autoscaler:config.save')).toEqual(['config']);
    expect(await step('autoscaler:settings.patch')).toEqual(['settings']);
    expect(await step('autoscaler:credentials.set')).toEqual(['credentials']);
    expect(await step('autoscaler:credentials.clear')).toEqual(['credentials']);
    // Importing clearml.conf also records which host the imported keys belong to (a settings change).
    expect(await step('autoscaler:credentials.importClearmlConf')).toEqual(['settings', 'credentials']);
    expect(await step('autoscaler:demo.start')).toEqual(['config']);
    for (const c of ['autoscaler:config.get', 'autoscaler:credentials.status', 'autoscaler:config.validate'] as const)
      expect(await step(c)).toEqual([]);
    // The tray changes preferences straight on the settings store, not through a handler.
    topics.length = 0;
    settings.patch({ launchAtLogin: !settings.get().launchAtLogin });
    expect(topics).toEqual(['settings']);
    unwatch();
  });

  it('demo.stop ends the demo and says the config changed; outside the demo it does nothing', async () => {
    const { deps } = makeDeps();
    let demo = true;
    const stopDemo = vi.fn(async () => void (demo = false));
    const changes = createChangeFeed();
    const topics: string[] = [];
    changes.on((t) => topics.push(t));
    const dispatch = createDispatcher(createServiceHandlers({ ...deps, changes, stopDemo, isDemo: () => demo }));
    expect(await dispatch('autoscaler:demo.stop', {}, ctx)).toEqual({ ok: true, value: { demo: false } });
    expect([stopDemo.mock.calls.length, topics]).toEqual([1, ['config']]);
    expect(await dispatch('autoscaler:demo.stop', {}, ctx)).toEqual({ ok: true, value: { demo: false } });
    expect([stopDemo.mock.calls.length, topics]).toEqual([1, ['config']]);
    // A host that cannot leave the demo says so.
    const { stopDemo: _none, ...without } = deps;
    const refused = await createDispatcher(createServiceHandlers({ ...without, isDemo: () => true }))(
      'autoscaler:demo.stop',
      {},
      ctx,
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_ready', message: /restart it/ } });
  });
});

describe('secrets typed into config fields', () => {
  const withAgent = (agent: Record<string, unknown>) => ({ ...validConfigInput(), agent });
  const leaks: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'ClearML keys in the extra clearml.conf',
      { extraClearmlConf: 'api { credentials { "access_key" = "ABCDEF", "secret_key" = "xyz" } }' },
      'agent.extraClearmlConf',
      /access key or secret key.*the Credentials tab/,
    ],
    [
      'an AWS key id in the init script',
      { initScript: 'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' },
      'agent.initScript',
      /AWS access key id/,
    ],
    [
      'a password in a git URL',
      { initScript: 'git clone https://bob:hunter2@github.com/org/repo' },
      'agent.initScript',
      /password in a URL/,
    ],
  ];
  it.each(leaks)('refuses %s: issue on the field, nothing saved', async (_name, agent, path, message) => {
    const env = makeDeps();
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    for (const channel of ['autoscaler:config.validate', 'autoscaler:config.save'] as const) {
      const r = await dispatch(channel, { config: withAgent(agent) }, ctx);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const v = r.value as { ok: boolean; issues: { path: string; message: string }[] };
      expect(v.ok).toBe(false);
      expect(v.issues.map((i) => i.path)).toEqual([path]);
      expect(v.issues[0]?.message).toMatch(message);
    }
    expect(env.settings.get().config).toBeNull();
  });

  it('allows references to variables and ordinary scripts', async () => {
    const env = makeDeps();
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const agent = {
      initScript:
        'export HF_HOME=/data\ngit clone https://$GIT_USER:$GIT_TOKEN@github.com/org/repo\necho "secret_key=$SECRET"',
      extraClearmlConf: 'agent.docker_force_pull: true\nsdk.aws.s3.key: ${S3_KEY}',
    };
    const confirm = { instanceSetup: true as const };
    expect(await dispatch('autoscaler:config.save', { config: withAgent(agent), confirm }, ctx)).toEqual({
      ok: true,
      value: { ok: true, issues: [] },
    });
  });
});

describe('a startup script over EC2 16 KB limit', () => {
  it('is refused at validation and save, at the init script, with the numbers: nothing saved', async () => {
    const env = makeDeps();
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const config = { ...validConfigInput(), agent: { initScript: 'echo 0123456789abcdef\n'.repeat(800) } };
    const confirm = { instanceSetup: true as const };
    for (const channel of ['autoscaler:config.validate', 'autoscaler:config.save'] as const) {
      const r = await dispatch(channel, channel === 'autoscaler:config.save' ? { config, confirm } : { config }, ctx);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const v = r.value as { ok: boolean; issues: { path: string; message: string }[] };
      expect(v.ok).toBe(false);
      expect(v.issues.map((i) => i.path)).toEqual(['agent.initScript']);
      expect(v.issues[0]?.message).toMatch(
        /is \d+ bytes, over EC2's 16384-byte user-data limit, so every launch would be refused: the init script is 17600 bytes/,
      );
    }
    expect(env.settings.get().config).toBeNull();
  });

  it('counts the stored git credentials, which every startup script carries: a config that fits only without them is refused', async () => {
    const withInit = (initScript: string) => ({ ...validConfigInput(), agent: { initScript } });
    // The largest init script that fits without git credentials: the script is then exactly at the limit.
    const over = userDataOverLimit(ConfigSchema.parse(withInit('x'.repeat(20_000))))!;
    const config = withInit('x'.repeat(20_000 - (over.bytes - USER_DATA_LIMIT_BYTES)));
    expect(userDataOverLimit(ConfigSchema.parse(config))).toBeNull();

    const env = makeDeps();
    const dispatch = createDispatcher(createServiceHandlers(env.deps));
    const confirm = { instanceSetup: true as const };
    // A GitHub token is 40 characters.
    await env.secrets.set('git', { username: 'ci-bot', password: SECRETS.gitPassword });
    for (const channel of ['autoscaler:config.validate', 'autoscaler:config.save'] as const) {
      const r = await dispatch(channel, channel === 'autoscaler:config.save' ? { config, confirm } : { config }, ctx);
      const issues = r.ok ? (r.value as { issues: { path: string; message: string }[] }).issues : [];
      expect(issues.map((i) => i.path)).toEqual(['agent.initScript']);
      expect(issues[0]?.message).toMatch(/is 16\d{3} bytes, over EC2's 16384-byte user-data limit/);
    }
    expect(env.settings.get().config).toBeNull();
    // Without them it is saved.
    await env.secrets.delete('git');
    const saved = await dispatch('autoscaler:config.save', { config, confirm }, ctx);
    expect(saved.ok && saved.value).toMatchObject({ ok: true });
  });
});

describe('engine.stopEverything', () => {
  it('turns autoscaling off first, then sweeps, and returns one redacted result per region', async () => {
    const { deps, controller, secrets } = makeDeps();
    await controller.setEnabled(true);
    // Stored but never read by any handler yet: the redaction must still know them.
    await secrets.set('aws', { accessKeyId: SECRETS.awsKeyId, secretAccessKey: SECRETS.awsSecret });
    const enabledAtSweep: boolean[] = [];
    const sweep = vi.fn(async () => {
      enabledAtSweep.push(controller.store.getState().enabled);
      return deps.stopEverything!();
    });
    const dispatch = createDispatcher(createServiceHandlers({ ...deps, stopEverything: sweep }));
    const r = await dispatch('autoscaler:engine.stopEverything', { confirm: true }, ctx);
    expect(r).toEqual({
      ok: true,
      value: {
        regions: [
          { region: 'us-east-1', terminated: 2, error: null },
          { region: 'eu-west-1', terminated: 0, error: expect.stringMatching(/^AuthFailure: /) as unknown },
        ],
      },
    });
    expect(enabledAtSweep).toEqual([false]);
    expect(controller.callsTo('setEnabled')).toEqual([[true], [false]]);
    expect(JSON.stringify(r)).not.toContain(SECRETS.awsSecret);
    expect(JSON.stringify(r)).not.toContain(SECRETS.awsKeyId);
  });

  it('without the sweep it is not_ready, says what to do instead, and changes nothing', async () => {
    const { deps, controller } = makeDeps({ stopEverything: undefined });
    await controller.setEnabled(true);
    const dispatch = createDispatcher(createServiceHandlers(deps));
    const r = await dispatch('autoscaler:engine.stopEverything', { confirm: true }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'not_ready' } });
    if (r.ok) return;
    expect(r.error.message).toMatch(/nothing was terminated.*Scale to zero.*EC2 console/);
    expect(controller.callsTo('setEnabled')).toEqual([[true]]);
    expect(controller.store.getState().enabled).toBe(true);
  });

  it.each([[{}], [{ confirm: false }], [{ confirm: 'yes' }], [{ confirm: true, regions: ['us-east-1'] }]])(
    'refuses %j without calling the sweep or touching the engine',
    async (req) => {
      const { deps, controller } = makeDeps();
      const dispatch = createDispatcher(createServiceHandlers(deps));
      const r = await dispatch('autoscaler:engine.stopEverything', req, ctx);
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
      expect(deps.stopEverything).not.toHaveBeenCalled();
      expect(controller.callsTo('setEnabled')).toEqual([]);
    },
  );

  it('a sweep that throws is reported as failed (redacted), and autoscaling stays off', async () => {
    const { deps, controller, known } = makeDeps({
      stopEverything: async () => {
        throw new Error(`could not list instances with ${SECRETS.awsSecret}`);
      },
    });
    known.remember([SECRETS.awsSecret]);
    await controller.setEnabled(true);
    const dispatch = createDispatcher(createServiceHandlers(deps), { knownSecrets: () => known.list() });
    const r = await dispatch('autoscaler:engine.stopEverything', { confirm: true }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(JSON.stringify(r)).not.toContain(SECRETS.awsSecret);
    expect(JSON.stringify(r)).toContain('could not list instances');
    expect(controller.store.getState().enabled).toBe(false);
  });
});

describe('the engine as the user leaves it, kept for the next start', () => {
  async function leaveIt(isDemo = false, refuse = false) {
    const { deps, controller, settings } = makeDeps({ isDemo: () => isDemo });
    settings.patch({ config: validConfig() });
    // An engine that has nothing to run stays off, whatever was asked.
    if (refuse) controller.setEnabled = async () => undefined;
    const dispatch = createDispatcher(
      createServiceHandlers({ ...deps, stopEverything: async () => ({ regions: [] }) }),
    );
    const kept = () => settings.get().autoscaling;
    return { dispatch, kept };
  }

  it('keeps on/off, the launch pause and the queue pauses as they change', async () => {
    const { dispatch, kept } = await leaveIt();
    expect(kept()).toEqual({ on: false, launchesPaused: false, pausedQueues: [] });
    await dispatch('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    expect(kept().on).toBe(true);
    await dispatch('autoscaler:queue.setPaused', { queue: 'gpu', paused: true }, ctx);
    await dispatch('autoscaler:queue.setPaused', { queue: 'cpu', paused: true }, ctx);
    await dispatch('autoscaler:queue.setPaused', { queue: 'gpu', paused: true }, ctx);
    expect(kept().pausedQueues).toEqual(['cpu', 'gpu']);
    await dispatch('autoscaler:queue.setPaused', { queue: 'cpu', paused: false }, ctx);
    expect(kept().pausedQueues).toEqual(['gpu']);
    await dispatch('autoscaler:engine.setLaunchesPaused', { paused: true }, ctx);
    expect(kept().launchesPaused).toBe(true);
    await dispatch('autoscaler:engine.setLaunchesPaused', { paused: false }, ctx);
    expect(kept().launchesPaused).toBe(false);
    // Scale to zero pauses launches; autoscaling stays on.
    await dispatch('autoscaler:engine.scaleToZero', {}, ctx);
    expect(kept()).toEqual({ on: true, launchesPaused: true, pausedQueues: ['gpu'] });
    // The kill switch stays off at the next start.
    await dispatch('autoscaler:engine.stopEverything', { confirm: true }, ctx);
    expect(kept().on).toBe(false);
  });

  it('keeps what took effect, and nothing of the demo', async () => {
    const refused = await leaveIt(false, true);
    await refused.dispatch('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    expect(refused.kept().on).toBe(false);

    const demo = await leaveIt(true);
    await demo.dispatch('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    await demo.dispatch('autoscaler:engine.setLaunchesPaused', { paused: true }, ctx);
    expect(demo.kept()).toEqual({ on: false, launchesPaused: false, pausedQueues: [] });
  });
});
