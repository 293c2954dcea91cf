import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  defaultClearmlConfPath,
  readClearmlConf,
  resolveClearmlCredentials,
} from '../../electron/engine/clearml/credentials.js';

const dir = mkdtempSync(path.join(tmpdir(), 'clearml-cred-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = path.join(import.meta.dirname, 'fixtures', 'clearml-init.conf');
const FIXTURE_KEYS = { accessKey: '8K2XQJ4M7Z1C0VA9RB3T', secretKey: 's3cr3t-Zq8vN2mL5pR7xT1wY4kB6dF9hJ0gC3sA5eU7iO2' };

function confFile(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readClearmlConf', () => {
  it('reads the file clearml-init writes (api section, sdk and agent sections around it)', () => {
    expect(readClearmlConf(readFileSync(fixture, 'utf8'))).toEqual({
      credentials: FIXTURE_KEYS,
      apiHost: 'http://clearml.example.internal:8008',
      webHost: 'http://clearml.example.internal:8080',
      filesHost: 'http://clearml.example.internal:8081',
      verifyCertificate: null,
    });
  });

  it('reads the snippet the web app copies to the clipboard', () => {
    const text = `api {
  web_server: https://app.clear.ml/
  api_server: https://api.clear.ml
  files_server: https://files.clear.ml
  credentials {
    "access_key" = "WEBAK"
    "secret_key" = "WEBSK"
  }
}`;
    expect(readClearmlConf(text)).toEqual({
      credentials: { accessKey: 'WEBAK', secretKey: 'WEBSK' },
      apiHost: 'https://api.clear.ml',
      webHost: 'https://app.clear.ml',
      filesHost: 'https://files.clear.ml',
      verifyCertificate: null,
    });
  });

  it('dotted keys, the legacy api.host, and substitutions from the environment', () => {
    const text = `api.host: "http://old:8008"\napi.credentials.access_key: \${?MY_AK}\napi.credentials.secret_key = SK`;
    expect(readClearmlConf(text, { MY_AK: 'ENVAK' })).toEqual({
      credentials: { accessKey: 'ENVAK', secretKey: 'SK' },
      apiHost: 'http://old:8008',
      webHost: null,
      filesHost: null,
      verifyCertificate: null,
    });
  });

  it('a default then ${?VAR} over it: the variable when set, else the default (as the SDK reads it)', () => {
    const text = `api {\n  api_server: "http://default:8008"\n  api_server: \${?MY_API}\n}\napi.credentials.access_key: "\${?MY_AK}"\n`;
    expect(readClearmlConf(text, {}).apiHost).toBe('http://default:8008');
    expect(readClearmlConf(text, { MY_API: 'http://env:8008' }).apiHost).toBe('http://env:8008');
    // In quotes it is the text itself, for the SDK too.
    expect(readClearmlConf(`${text}api.credentials.secret_key: SK`, { MY_AK: 'ENVAK' }).credentials).toEqual({
      accessKey: '${?MY_AK}',
      secretKey: 'SK',
    });
  });

  it('half a key pair is no key pair', () => {
    expect(readClearmlConf('api.credentials.access_key: AK').credentials).toBeNull();
  });
});

describe('resolveClearmlCredentials', () => {
  const missing = path.join(dir, 'does-not-exist.conf');
  const stored = { accessKey: 'KEYCHAINAK', secretKey: 'KEYCHAINSK' };
  const env = {
    CLEARML_API_ACCESS_KEY: 'ENVAK',
    CLEARML_API_SECRET_KEY: 'ENVSK',
    CLEARML_API_HOST: 'http://env-host:8008/',
  };

  it.each([
    ['keychain first', stored, env, fixture, 'keychain', stored],
    ['environment second', null, env, fixture, 'environment', { accessKey: 'ENVAK', secretKey: 'ENVSK' }],
    [
      'legacy TRAINS_* names',
      null,
      { TRAINS_API_ACCESS_KEY: 'TAK', TRAINS_API_SECRET_KEY: 'TSK' },
      missing,
      'environment',
      { accessKey: 'TAK', secretKey: 'TSK' },
    ],
    ['clearml.conf third', null, {}, fixture, 'clearml.conf', FIXTURE_KEYS],
    ['none', null, {}, missing, 'none', null],
    ['blank stored keys are ignored', { accessKey: ' ', secretKey: '' }, {}, fixture, 'clearml.conf', FIXTURE_KEYS],
  ] as const)('%s', (_name, s, e, conf, source, credentials) => {
    const r = resolveClearmlCredentials({ stored: s, env: e, clearmlConfPath: conf });
    expect(r.source).toBe(source);
    expect(r.credentials).toEqual(credentials);
  });

  it('hosts: each environment variable overrides its clearml.conf key, whatever the key source', () => {
    const r = resolveClearmlCredentials({ stored, env, clearmlConfPath: fixture });
    expect(r).toMatchObject({
      apiHost: 'http://env-host:8008',
      webHost: 'http://clearml.example.internal:8080',
      filesHost: 'http://clearml.example.internal:8081',
    });
  });

  it('half a pair in the environment is skipped with a warning, and the conf is used', () => {
    const r = resolveClearmlCredentials({
      stored: null,
      env: { CLEARML_API_ACCESS_KEY: 'ENVAK' },
      clearmlConfPath: fixture,
    });
    expect(r.source).toBe('clearml.conf');
    expect(r.warning).toMatch(/CLEARML_API_ACCESS_KEY is set without its pair/);
  });

  it('a broken clearml.conf gives a warning with a position and never quotes the file', () => {
    const secret = 'verysecretvalue123';
    const p = confFile('broken.conf', `api {\n  credentials {\n    access_key: AK\n    ${secret}\n  }\n}\n`);
    const r = resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: p });
    expect(r.source).toBe('none');
    expect(r.warning).toMatch(/syntax error at line \d+, column \d+/);
    expect(r.warning).not.toContain(secret);
  });

  it('a substitution naming nothing refuses the file (the SDK refuses it too), with a position', () => {
    const p = confFile('unset.conf', `api {\n  credentials { access_key: AK, secret_key: \${MY_UNSET_SK} }\n}\n`);
    const r = resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: p });
    expect(r.source).toBe('none');
    expect(r.warning).toMatch(
      /unset\.conf has a substitution that names nothing in the file or the environment at line 2, column \d+ and was ignored$/,
    );
    expect(resolveClearmlCredentials({ stored: null, env: { MY_UNSET_SK: 'SK' }, clearmlConfPath: p })).toMatchObject({
      credentials: { accessKey: 'AK', secretKey: 'SK' },
      source: 'clearml.conf',
    });
  });

  it('keys perhaps in an included file: the include is said not to be read; with keys in the file, nothing is said', () => {
    const p = confFile('with-include.conf', `include "secrets.conf"\napi { api_server: "http://inc:8008" }\n`);
    const r = resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: p });
    expect(r).toMatchObject({ credentials: null, apiHost: 'http://inc:8008' });
    expect(r.warning).toBe(
      `${p} includes other files, which are not read: put the api section with its keys in ${p} itself`,
    );
    const both = confFile(
      'include-and-keys.conf',
      `include "x.conf"\napi.credentials { access_key: AK, secret_key: SK }\n`,
    );
    expect(resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: both }).warning).toBeUndefined();
  });

  it('a missing clearml.conf is not a warning', () => {
    expect(resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: missing }).warning).toBeUndefined();
  });

  it('an unreadable path (a directory) is a warning', () => {
    const r = resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: dir });
    expect(r.warning).toMatch(/could not be read \(EISDIR\)/);
  });
});

describe('defaultClearmlConfPath', () => {
  it.each([
    [{}, '/home/u/clearml.conf'],
    [{ CLEARML_CONFIG_FILE: '/etc/clearml.conf' }, '/etc/clearml.conf'],
    [{ CLEARML_CONFIG_FILE: '~/other.conf' }, '/home/u/other.conf'],
    [{ TRAINS_CONFIG_FILE: '/t.conf' }, '/t.conf'],
  ])('%j', (env, expected) => {
    expect(defaultClearmlConfPath(env, '/home/u')).toBe(expected);
  });
});

describe('certificate checks, as the ClearML SDK reads them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const conf = (value: string) => {
    const p = path.join(dir, `c${++n}.conf`);
    writeFileSync(p, `api { api_server: "https://clearml.corp.example", verify_certificate: ${value} }`);
    return p;
  };
  it.each([
    ['True', {}, null],
    ['yes', {}, null],
    ['false', {}, { value: 'off' }],
    ['"/etc/ssl/corp-ca.pem"', {}, { value: { caFile: '/etc/ssl/corp-ca.pem' } }],
    // The variable wins over the file, in either direction.
    ['false', { CLEARML_API_HOST_VERIFY_CERT: '1' }, null],
    ['True', { CLEARML_API_HOST_VERIFY_CERT: '0' }, { value: 'off', setBy: 'CLEARML_API_HOST_VERIFY_CERT' }],
    [
      'True',
      { TRAINS_API_HOST_VERIFY_CERT: '/ca.pem' },
      { value: { caFile: '/ca.pem' }, setBy: 'TRAINS_API_HOST_VERIFY_CERT' },
    ],
  ] as const)('api.verify_certificate: %s with %j → %j', (value, env, expected) => {
    const p = conf(value);
    const r = resolveClearmlCredentials({ stored: null, env, clearmlConfPath: p }).verifyCertificate;
    if (expected === null) expect(r).toBeNull();
    else expect(r).toEqual({ setBy: `api.verify_certificate in ${p}`, ...expected });
  });
});
