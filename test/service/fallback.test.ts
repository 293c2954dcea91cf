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
    expect(f.describe('clearml')).toBeNull();
    expect(f.describe('aws')).toBe('AWS SDK chain');
    expect(f.clearml()).toBeNull();
    expect(await f.importClearmlConf()).toBeNull();
  });

  it('reads ~/clearml.conf (re-read on every call)', async () => {
    const f = createEnvironmentFallback({ env: {}, homeDir: home });
    expect(f.clearml()).toBeNull();
    writeFileSync(path.join(home, 'clearml.conf'), CONF);
    expect(f.describe('clearml')).toBe(path.join(home, 'clearml.conf'));
    expect(f.clearml()).toEqual({ accessKey: 'CONFACCESSKEY0000001', secretKey: 'conf-secret-value' });
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
    expect(f.describe('clearml')).toBe('environment');
    expect(f.clearml()).toEqual({ accessKey: 'ENVKEY', secretKey: 'env-secret' });
    expect(f.apiHost()).toBe('https://env.example');
  });
});
