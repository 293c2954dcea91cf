import { describe, expect, it } from 'vitest';
import { createLogger, KnownSecrets, redact } from '../../electron/engine/service/redact.js';

const known = new KnownSecrets();

describe('redact', () => {
  const cases: [string, string, string[]][] = [
    ['AWS access key id (long-term)', 'using AKIAIOSFODNN7EXAMPLE now', ['AKIAIOSFODNN7EXAMPLE']],
    ['AWS access key id (temporary)', 'key=ASIAY34FZKBOKMUTVV7A', ['ASIAY34FZKBOKMUTVV7A']],
    [
      'AWS secret access key (40 chars)',
      'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end',
      ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ],
    ['ClearML access key', 'access 7QZKX2M9PDB4HJ1RWE5T given', ['7QZKX2M9PDB4HJ1RWE5T']],
    [
      'ClearML secret key',
      'secret qL3vN8mR2tY6wZ0aB4cD7eF1gH5iJ9kM3nP6rS0uV2xY4zA8bC1d here',
      ['qL3vN8mR2tY6wZ0aB4cD7eF1gH5iJ9kM3nP6rS0uV2xY4zA8bC1d'],
    ],
    [
      'Bearer token',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-value_1',
      ['eyJhbGciOiJIUzI1NiJ9'],
    ],
    ['Basic auth', 'Authorization: Basic QUtJQTpzZWNyZXQ=', ['QUtJQTpzZWNyZXQ=']],
    ['HOCON secret_key', 'credentials { "secret_key" = "abc def ghi" }', ['abc def ghi']],
    ['YAML cloud_credentials_secret', 'cloud_credentials_secret: s3cr3t-value', ['s3cr3t-value']],
    ['env assignment', "CLEARML_API_SECRET_KEY='plainvalue'", ['plainvalue']],
    ['git password', 'agent.git_pass="hunter2"', ['hunter2']],
    ['password in URL', 'cloning https://bob:p4ssw0rd@github.com/org/repo.git', ['p4ssw0rd']],
    ['JSON secretAccessKey', '{"accessKeyId":"X","secretAccessKey":"shortbutsecret"}', ['shortbutsecret']],
    ['session token', 'sessionToken=FwoGZXIvYXdzEBYaDH', ['FwoGZXIvYXdzEBYaDH']],
  ];
  it.each(cases)('masks %s', (_name, input, secrets) => {
    const out = redact(input, known);
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain('***');
  });

  const untouched: [string, string][] = [
    ['instance ids', 'terminated i-0123456789abcdef0 and i-0abcdef1234567890'],
    ['task ids (32 hex)', 'task 3f2a9c8b7d6e5f4a3b2c1d0e9f8a7b6c requeued'],
    ['git sha (40 hex)', 'commit 0de859e5b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6'],
    ['plain words', 'The ClearML credentials were rejected (invalid credentials). Enter new ones.'],
    ['hosts and queues', 'queue gpu on https://api.clear.ml: 3 pending / 2 running, $2.41/h'],
    ['ami and subnet', 'launch g4dn.xlarge from ami-0123456789abcdef0 in subnet-0de0a001 failed'],
  ];
  it.each(untouched)('leaves %s readable', (_name, input) => {
    expect(redact(input, known)).toBe(input);
  });

  it('masks exact known secrets that match no pattern, longest first', () => {
    const k = new KnownSecrets();
    k.remember(['abcd', 'abcd-efgh', undefined, 'x']);
    expect(redact('value abcd-efgh and abcd and x', k)).toBe('value *** and *** and x');
    k.forget(['abcd']);
    expect(redact('abcd', k)).toBe('abcd');
  });
});

describe('createLogger', () => {
  it('redacts every line, including error objects and structured arguments', () => {
    const lines: string[] = [];
    const k = new KnownSecrets();
    k.remember(['my-very-own-secret']);
    const log = createLogger({ sink: (_l, line) => lines.push(line), known: k, now: () => 0, scope: 'test' });
    log.info('starting with key AKIAIOSFODNN7EXAMPLE');
    log.error('failed', new Error('bad secret my-very-own-secret'));
    log.warn('creds', { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    log.child('sub').info('url https://u:pw12345@host/x');
    log.debug('not shown at info level');
    expect(lines).toHaveLength(4);
    const all = lines.join('\n');
    for (const s of ['AKIAIOSFODNN7EXAMPLE', 'my-very-own-secret', 'wJalrXUtnFEMI', 'pw12345'])
      expect(all).not.toContain(s);
    expect(lines[0]).toMatch(/^1970-01-01T00:00:00.000Z INFO \[test\] starting with key \*\*\*$/);
    expect(lines[3]).toContain('[test:sub]');
  });
});
