import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnvironmentFallback } from '../../electron/engine/service/fallback.js';

const CONF = `
api {
    web_server: https://app.clear.ml
    api_server: https://api.clear.ml
    credentials {
        "access_key" = "CONFACCESSKEY0000001"
        "secret_key" = "conf-secret-value"
    }
}
`;

describe('environment fallback', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(tmpdir(), 'fallback-home-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('nothing configured: ClearML has no fallback, AWS uses the SDK chain', async () => {
    const f = createEnvironmentFallback({ env: {}, homeDir: home });
    expect(f.clearml()).toEqual({ credentials: null, from: null, apiHost: null, problem: null });
    expect(f.aws()).toBe('AWS SDK chain');
    expect(await f.importClearmlConf()).toBeNull();
  });

  it('reads ~/clearml.conf (re-read on every call)', async () => {
    const f = createEnvironmentFallback({ env: {}, homeDir: home });
    expect(f.clearml().credentials).toBeNull();
    writeFileSync(path.join(home, 'clearml.conf'), CONF);
    expect(f.clearml()).toEqual({
      credentials: { accessKey: 'CONFACCESSKEY0000001', secretKey: 'conf-secret-value' },
      from: path.join(home, 'clearml.conf'),
      apiHost: 'https://api.clear.ml',
      problem: null,
    });
    expect(f.apiHost()).toBe('https://api.clear.ml');
    expect(await f.importClearmlConf()).toEqual({
      accessKey: 'CONFACCESSKEY0000001',
      secretKey: 'conf-secret-value',
      apiHost: 'https://api.clear.ml',
    });
  });

  it('the environment wins over the file, as in the ClearML SDK', () => {
    writeFileSync(path.join(home, 'clearml.conf'), CONF);
    const f = createEnvironmentFallback({
      env: {
        CLEARML_API_ACCESS_KEY: 'ENVKEY',
        CLEARML_API_SECRET_KEY: 'env-secret',
        CLEARML_API_HOST: 'https://env.example',
      },
      homeDir: home,
    });
    expect(f.clearml()).toEqual({
      credentials: { accessKey: 'ENVKEY', secretKey: 'env-secret' },
      from: 'environment',
      apiHost: 'https://env.example',
      problem: null,
    });
  });

  it('says what was ignored: a clearml.conf with a syntax error, half a key pair in the environment', () => {
    const file = path.join(home, 'clearml.conf');
    writeFileSync(file, CONF.replace(/}\n}\n$/, '}\n'));
    const broken = createEnvironmentFallback({ env: {}, homeDir: home }).clearml();
    expect(broken).toMatchObject({ credentials: null, from: null, apiHost: null });
    expect(broken.problem).toMatch(/ has a syntax error at line \d+, column \d+ and was ignored$/);
    expect(broken.problem?.startsWith(file)).toBe(true);
    // The environment's half pair is skipped; the file's keys are used and the problem still said.
    writeFileSync(file, CONF);
    const half = createEnvironmentFallback({ env: { CLEARML_API_ACCESS_KEY: 'ENVKEY' }, homeDir: home }).clearml();
    expect(half).toMatchObject({ from: file, credentials: { accessKey: 'CONFACCESSKEY0000001' } });
    expect(half.problem).toBe(
      'CLEARML_API_ACCESS_KEY is set without its pair (CLEARML_API_SECRET_KEY), so the environment was skipped',
    );
  });
});
