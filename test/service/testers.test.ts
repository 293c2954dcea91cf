// "Test connection" against the real wire protocols: the project's ClearML and EC2 emulators are HTTP servers on
// 127.0.0.1, so the real ClearML client and the real AWS SDK run end to end.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { systemClock } from '../../electron/engine/ports.js';
import { createCredentialTesters, testAws, testClearml } from '../../electron/engine/service/testers.js';
import type { CredentialFallback } from '../../electron/engine/service/handlers.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { validConfig } from './fixtures.js';

let clearml: ClearmlEmulator;
let ec2: Ec2Emulator;
beforeAll(async () => {
  clearml = await startClearmlEmulator({ clock: systemClock });
  ec2 = await startEc2Emulator({ clock: systemClock });
});
afterAll(async () => {
  await clearml.close();
  await ec2.close();
});

describe('testClearml', () => {
  it('accepts valid keys and names the user', async () => {
    const r = await testClearml({
      apiHost: clearml.url,
      credentials: { accessKey: clearml.accessKey, secretKey: clearml.secretKey },
    });
    expect(r).toMatchObject({ ok: true });
    expect(r.message).toMatch(/^Connected to http:\/\/127\.0\.0\.1:\d+ as .+\.$/);
  });

  it('explains rejected keys and what to do', async () => {
    const r = await testClearml({ apiHost: clearml.url, credentials: { accessKey: 'WRONGKEY', secretKey: 'wrong' } });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/rejected these credentials.*Create a new access key/);
  });

  it('explains an unreachable host', async () => {
    const r = await testClearml({
      apiHost: 'http://127.0.0.1:1',
      credentials: { accessKey: 'A', secretKey: 'B' },
      timeoutMs: 2000,
    });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/Could not reach the ClearML server at http:\/\/127\.0\.0\.1:1/);
  });

  it.each([
    ['never answers', null, /did not answer auth\.login within 0\.3 s: .*VPN; try again in a moment$/],
    ['is in maintenance', 503, /unavailable or in maintenance \(auth\.login \(HTTP 503\/0\)\): try again in a moment$/],
    ['fails', 500, /failed auth\.login \(HTTP 500\/0\): try again in a moment; if it persists/],
  ])('a server that %s: the test does not promise a retry that only the engine makes', async (_, status, detail) => {
    const server = createServer((_req, res) => {
      if (status === null) return; // hangs
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ meta: { result_code: status, result_subcode: 0, result_msg: '' }, data: {} }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await testClearml({
        apiHost: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKey: 'A', secretKey: 'B' },
        timeoutMs: 300,
      });
      expect(r.ok).toBe(false);
      expect(r.details).toEqual([expect.stringMatching(detail)]);
      expect(r.details.join(' ')).not.toMatch(/next poll|autoscaling resumes/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('says when nothing is stored', async () => {
    expect(await testClearml({ apiHost: clearml.url, credentials: null })).toMatchObject({ ok: false });
  });
});

describe('testAws', () => {
  const creds = { accessKeyId: 'AKIAEMULATOR00000001', secretAccessKey: 'emulator/secret/key/0000000000000000000' };

  it('accepts credentials AWS accepts', async () => {
    const r = await testAws({ region: 'us-east-1', credentials: creds, endpoint: ec2.url });
    expect(r).toEqual({ ok: true, message: 'AWS accepted the stored AWS keys in us-east-1.', details: [] });
  });

  it('reports rejected keys (AuthFailure)', async () => {
    ec2.faults.push({ action: 'DescribeInstances', code: 'AuthFailure', count: 1 });
    const r = await testAws({ region: 'us-east-1', credentials: creds, endpoint: ec2.url });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/AWS rejected the stored AWS keys \(AuthFailure\)/);
  });

  it('tells valid-but-unauthorized apart from rejected', async () => {
    ec2.faults.push({ action: 'DescribeInstances', code: 'UnauthorizedOperation', count: 1 });
    const r = await testAws({ region: 'us-east-1', credentials: creds, endpoint: ec2.url });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/accepted the stored AWS keys, but they may not describe EC2 instances/);
  });

  it("with a config, dry-runs the first resource's launch and says it is allowed", async () => {
    const before = ec2.calls.byAction['RunInstances'] ?? 0;
    const r = await testAws({ region: 'us-east-1', credentials: creds, endpoint: ec2.url, config: validConfig() });
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/A DryRun launch of g4dn\.xlarge, tagging and terminating are allowed/);
    expect(r.details.join('\n')).toMatch(/ec2:RunInstances: allowed for g4dn\.xlarge \(spot\)/);
    expect(ec2.calls.byAction['RunInstances']).toBe(before + 1);
    expect(ec2.instances().filter((i) => i.state !== 'terminated')).toEqual([]);
  });

  it('with a config, names the permission the IAM policy lacks', async () => {
    ec2.faults.push({
      action: 'RunInstances',
      code: 'UnauthorizedOperation',
      count: 1,
      when: (p) => p['DryRun'] === 'true',
    });
    const r = await testAws({ region: 'us-east-1', credentials: creds, endpoint: ec2.url, config: validConfig() });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/accepted the stored AWS keys, but the IAM policy does not allow ec2:RunInstances\./);
    expect(r.details.find((d) => d.startsWith('ec2:RunInstances'))).toMatch(/not allowed/);
    expect(r.details.join('\n')).toMatch(/ec2:DescribeInstances: allowed/);
  });
});

describe('createCredentialTesters', () => {
  it('asks for an API host before there is a config', async () => {
    const t = createCredentialTesters({ settings: new MemorySettingsRepo(), secrets: new MemorySecretStore() });
    expect((await t.clearml()).message).toMatch(/no ClearML API host yet/);
  });

  it('tests the stored credentials against the configured host', async () => {
    const cfg = validConfig();
    const settings = new MemorySettingsRepo({ config: { ...cfg, clearml: { apiHost: clearml.url } } });
    const secrets = new MemorySecretStore();
    await secrets.set('clearml', { accessKey: clearml.accessKey, secretKey: clearml.secretKey });
    const t = createCredentialTesters({ settings, secrets, awsEndpoint: ec2.url });
    expect(await t.clearml()).toMatchObject({ ok: true });
    await secrets.set('aws', { accessKeyId: 'AKIAEMULATOR00000001', secretAccessKey: 'x'.repeat(40) });
    expect(await t.aws()).toMatchObject({ ok: true });
  });

  it("the Test button checks the saved config's launch permissions", async () => {
    const settings = new MemorySettingsRepo({ config: validConfig() });
    const secrets = new MemorySecretStore();
    await secrets.set('aws', { accessKeyId: 'AKIAEMULATOR00000001', secretAccessKey: 'x'.repeat(40) });
    ec2.faults.push({ action: 'CreateTags', code: 'UnauthorizedOperation', count: 1 });
    const r = await createCredentialTesters({ settings, secrets, awsEndpoint: ec2.url }).aws();
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/does not allow ec2:CreateTags/);
  });

  it('tests a host and keys typed but not saved (the first-run setup), and stores nothing', async () => {
    const settings = new MemorySettingsRepo();
    const secrets = new MemorySecretStore();
    const t = createCredentialTesters({ settings, secrets, awsEndpoint: ec2.url });
    const right = await t.clearml({ apiHost: clearml.url, accessKey: clearml.accessKey, secretKey: clearml.secretKey });
    expect(right).toMatchObject({ ok: true });
    const wrong = await t.clearml({ apiHost: clearml.url, accessKey: 'WRONGKEY', secretKey: 'wrong' });
    expect(wrong.message).toMatch(/rejected these credentials/);
    expect(await secrets.get('clearml')).toBeNull();
    expect(settings.get().config).toBeNull();
  });

  it('without typed keys, tests the keys found outside only against their own server', async () => {
    const fallback: CredentialFallback = {
      aws: () => null,
      clearml: () => ({
        credentials: { accessKey: clearml.accessKey, secretKey: clearml.secretKey },
        from: '~/clearml.conf',
        apiHost: clearml.url,
        problem: null,
      }),
    };
    const t = createCredentialTesters({
      settings: new MemorySettingsRepo(),
      secrets: new MemorySecretStore(),
      fallback,
    });
    expect(await t.clearml({ apiHost: clearml.url })).toMatchObject({ ok: true });
    const other = await t.clearml({ apiHost: 'https://api.other.example.com' });
    expect(other.ok).toBe(false);
    expect(other.message).not.toMatch(/Connected/);
  });

  it('tests AWS keys and a region typed but not saved, named as such', async () => {
    const t = createCredentialTesters({
      settings: new MemorySettingsRepo(),
      secrets: new MemorySecretStore(),
      awsEndpoint: ec2.url,
    });
    const r = await t.aws({
      region: 'eu-west-1',
      accessKeyId: 'AKIAEMULATOR00000001',
      secretAccessKey: 'x'.repeat(40),
    });
    expect(r).toEqual({ ok: true, message: 'AWS accepted these AWS keys in eu-west-1.', details: [] });
  });
});
