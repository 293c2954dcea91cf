// A proxy from the environment, as ClearML's autoscaler honours one (requests and boto3 read HTTPS_PROXY, HTTP_PROXY
// and NO_PROXY): the ClearML client (fetch) and the EC2 provider (the AWS SDK's own agents) go through a real HTTP
// proxy server (the `proxy` package, a Squid-like forward proxy, in its own process as a proxy is: in this one, its
// own outgoing requests would follow the proxy settings under test back to itself) and reach the emulators behind
// it. The emulators listen on 127.0.0.2: this machine, but not an address the app bypasses the proxy for by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHeadless } from '../../electron/engine/cli/headless.js';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/emulators/clearml-emulator.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/emulators/ec2-emulator.js';
import {
  describeProxy,
  inIpv4Range,
  proxyEnvFrom,
  proxyRefusal,
  proxyRefusalText,
  useProxyFromEnv,
  type ProxyUse,
} from '../../electron/engine/net/proxy.js';
import { fixPlace, problemFrom, renderProblem, type Service } from '../../electron/engine/connections.js';
import { testClearml } from '../../electron/engine/service/testers.js';
import {
  proxyChoice,
  resolveSystemProxy,
  systemProxyFrom,
  systemProxyUrls,
} from '../../electron/engine/net/system-proxy.js';
import { hostsOf, useNetworkFromEnv, useNetworkFromEnvOrSystem } from '../../electron/engine/net/network.js';
import { makeConfig } from '../engine/fixtures.js';
import { systemClock } from '../../electron/engine/ports.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KEYS } from '../engine/world.js';
import { emulatorEc2, headlessConfigFile } from '../fixtures/index.js';

describe('proxyEnvFrom / describeProxy', () => {
  it.each([
    [{}, null],
    [{ NO_PROXY: 'corp.example' }, null],
    [{ HTTPS_PROXY: 'http://proxy:3128' }, { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,127.0.0.1,::1' }],
    // Lower case wins, as Node (and curl) read them; the user's exceptions come first, this machine is added.
    [
      { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', no_proxy: '.corp.example, 127.0.0.1' },
      { HTTPS_PROXY: 'http://lower:2', NO_PROXY: '.corp.example,127.0.0.1,localhost,::1' },
    ],
    [{ http_proxy: ' http://p:8080 ' }, { HTTP_PROXY: 'http://p:8080', NO_PROXY: 'localhost,127.0.0.1,::1' }],
  ])('%j → %j', (env, expected) => {
    expect(proxyEnvFrom(env)).toEqual(expected);
  });

  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['10.1.2.3', '10.1.2.3/32', true],
    ['10.1.2.4', '10.1.2.3/32', false],
    ['11.0.0.1', '10.0.0.0/8', false],
    ['192.168.7.9', '192.168.0.0/16', true],
    ['1.2.3.4', '0.0.0.0/0', true],
    ['api.corp.example', '10.0.0.0/8', false],
    ['10.1.2.3', '10.0.0.0', false],
    ['10.1.2.3', '10.0.0.0/33', false],
    ['10.1.2.300', '10.0.0.0/8', false],
  ])('inIpv4Range(%s, %s) → %s', (host, range, inside) => {
    expect(inIpv4Range(host, range)).toBe(inside);
  });

  it('an address the app talks to inside a NO_PROXY range is excepted by itself (Node takes no ranges)', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '10.0.0.0/8,.corp.example' };
    expect(proxyEnvFrom(env, ['10.1.2.3', '172.16.0.1', 'api.corp.example', '10.1.2.3'])?.NO_PROXY).toBe(
      '10.0.0.0/8,.corp.example,localhost,127.0.0.1,::1,10.1.2.3',
    );
    expect(proxyEnvFrom(env)?.NO_PROXY).toBe('10.0.0.0/8,.corp.example,localhost,127.0.0.1,::1');
  });

  it('never prints the proxy password', () => {
    const p = proxyEnvFrom({ HTTPS_PROXY: 'http://alice:s3cret@proxy:3128', HTTP_PROXY: 'http://proxy:3128' })!;
    expect(describeProxy(p)).toBe(
      'HTTPS via http://proxy:3128, HTTP via http://proxy:3128; not for localhost,127.0.0.1,::1',
    );
  });
});

describe('the proxy the system settings name (desktop app)', () => {
  it.each([
    ['DIRECT', { kind: 'direct' }],
    ['', { kind: 'direct' }],
    ['PROXY proxy.corp:3128', { kind: 'proxy', url: 'http://proxy.corp:3128' }],
    ['PROXY proxy.corp:3128; DIRECT', { kind: 'proxy', url: 'http://proxy.corp:3128' }],
    ['HTTPS secure.corp:443;DIRECT', { kind: 'proxy', url: 'https://secure.corp:443' }],
    // Chromium moves on from an entry that fails; one this app cannot speak fails every time.
    ['SOCKS5 socks.corp:1080; PROXY proxy.corp:3128', { kind: 'proxy', url: 'http://proxy.corp:3128' }],
    ['SOCKS5 socks.corp:1080; DIRECT', { kind: 'direct' }],
    ['SOCKS5 socks.corp:1080', { kind: 'unusable', entry: 'SOCKS5 socks.corp:1080' }],
  ])('%j → %j', (list, expected) => {
    expect(proxyChoice(list)).toEqual(expected);
  });

  const CLEARML = 'https://api.corp.example';
  const EC2 = 'https://ec2.eu-west-1.amazonaws.com';
  const PRICING = 'https://api.pricing.us-east-1.amazonaws.com';

  it('one proxy for the hosts not sent direct; the direct ones are the exceptions', () => {
    const s = systemProxyFrom([
      { url: CLEARML, list: 'DIRECT' },
      { url: EC2, list: 'PROXY proxy.corp:3128; DIRECT' },
      { url: PRICING, list: 'PROXY proxy.corp:3128' },
    ]);
    expect(s.env).toEqual({
      HTTPS_PROXY: 'http://proxy.corp:3128',
      HTTP_PROXY: 'http://proxy.corp:3128',
      NO_PROXY: 'api.corp.example',
    });
    expect(s.note).toMatch(/^proxy from the system settings .* as they answer for api\.corp\.example, ec2\./);
    expect(s.problems).toEqual([]);
  });

  it('every host direct: nothing to set and nothing to say', () => {
    expect(systemProxyFrom([{ url: CLEARML, list: 'DIRECT' }])).toEqual({ env: null, note: null, problems: [] });
  });

  it('what it cannot follow is said: two proxies, a SOCKS one, a resolution that failed', () => {
    const s = systemProxyFrom([
      { url: CLEARML, list: 'PROXY a.corp:1' },
      { url: EC2, list: 'PROXY user:pw@b.corp:2' },
      { url: PRICING, list: 'SOCKS5 s.corp:1080' },
      { url: 'https://sts.eu-west-1.amazonaws.com', list: new Error('PAC script failed') },
    ]);
    expect(s.env?.HTTPS_PROXY).toBe('http://a.corp:1');
    expect(s.problems).toEqual([
      'The system settings send api.pricing.us-east-1.amazonaws.com through SOCKS5 s.corp:1080, which this app ' +
        'cannot use (HTTP and HTTPS proxies only): set HTTPS_PROXY to an HTTP proxy for it.',
      'The system proxy for sts.eu-west-1.amazonaws.com could not be resolved (PAC script failed).',
      'The system settings name 2 proxies (http://a.corp:1 for api.corp.example; http://b.corp:2 for ' +
        'ec2.eu-west-1.amazonaws.com); this app uses one, http://a.corp:1, for every host not sent direct.',
    ]);
    expect(JSON.stringify(s.problems)).not.toContain('pw@');
  });

  it('asks for the ClearML server first, then EC2, the price list and the team lease', () => {
    const config = makeConfig();
    expect(systemProxyUrls(config, {})).toEqual([
      config.clearml.apiHost,
      `https://ec2.${config.aws.region}.amazonaws.com`,
      PRICING,
      `https://dynamodb.${config.aws.region}.amazonaws.com`,
      `https://sts.${config.aws.region}.amazonaws.com`,
    ]);
    // Before the first save: the hosts the first run will try.
    expect(systemProxyUrls(null, { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' }).slice(0, 2)).toEqual([
      'https://api.clear.ml',
      'http://127.0.0.1:9',
    ]);
  });

  it('a resolver that never answers counts as failed after the timeout, and the others still count', async () => {
    const s = await resolveSystemProxy(
      (url) => (url === CLEARML ? new Promise<string>(() => undefined) : Promise.resolve('PROXY p.corp:3128')),
      [CLEARML, EC2],
      50,
    );
    expect(s.env?.HTTPS_PROXY).toBe('http://p.corp:3128');
    expect(s.problems).toEqual([
      'The system proxy for api.corp.example could not be resolved (no answer within 0.05 s).',
    ]);
  });
});

/** The proxy in a child process: it prints its port, then one line per request it is asked to carry. */
const PROXY_PROCESS = `
import http from 'node:http';
import { createProxy } from 'proxy';
const proxy = createProxy(http.createServer());
// PROXY_LOGIN=user:password: a proxy that asks for a login (407 without it), checked before it connects anywhere.
const login = process.env.PROXY_LOGIN;
if (login) proxy.authenticate = (req) => req.headers['proxy-authorization'] === 'Basic ' + Buffer.from(login).toString('base64');
proxy.on('connect', (req) => console.log('CONNECT ' + req.url));
proxy.on('request', (req) => console.log(req.method + ' ' + req.url));
proxy.listen(0, '127.0.0.1', () => console.log('PORT ' + proxy.address().port));
`;

async function startProxyProcess(login?: string): Promise<{ proc: ChildProcess; url: string; seen: string[] }> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', PROXY_PROCESS], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', ...(login ? { PROXY_LOGIN: login } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const seen: string[] = [];
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the proxy process exited with ${code}`)));
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('PORT ')) resolve(Number(l.slice(5)));
        else seen.push(l);
      }
    });
  });
  return { proc, url: `http://127.0.0.1:${port}`, seen };
}

/**
 * What the proxy carried so far: a marker request sent to it directly is logged after every earlier one (one
 * ordered stdout), so once it shows up nothing earlier is still on its way.
 */
async function carried(proxyUrl: string, seen: string[]): Promise<string[]> {
  const marker = `GET http://marker.invalid/${Math.random().toString(36).slice(2)}`;
  const { port } = new URL(proxyUrl);
  await new Promise<void>((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: marker.slice(4), agent: new http.Agent(), timeout: 5000 },
      (res) => res.resume().on('end', resolve),
    );
    req.on('error', () => resolve());
    req.end();
  });
  for (let i = 0; i < 100 && !seen.includes(marker); i++) await new Promise((r) => setTimeout(r, 20));
  expect(seen, 'the marker request').toContain(marker);
  return seen.filter((l) => !l.startsWith('GET http://marker.invalid/'));
}

/**
 * A forward proxy in its own process (asking for `login` when given) and the two emulators behind it on 127.0.0.2,
 * fresh for each test; `use` is the proxy setting a test applied, undone after it.
 */
function proxyWorld(login?: string) {
  const w = {} as {
    proxy: ChildProcess;
    proxyUrl: string;
    seen: string[];
    clearml: ClearmlEmulator;
    ec2: Ec2Emulator;
    use: ProxyUse | null;
  };
  beforeEach(async () => {
    // Both ways a client asks a proxy are logged: CONNECT (a tunnel, fetch) and an absolute URL (the AWS SDK).
    ({ proc: w.proxy, url: w.proxyUrl, seen: w.seen } = await startProxyProcess(login));
    w.clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS, host: '127.0.0.2' });
    w.ec2 = await startEc2Emulator({ clock: systemClock, host: '127.0.0.2' });
    w.use = null;
  });
  afterEach(async () => {
    w.use?.restore();
    w.use = null;
    await w.clearml.close();
    await w.ec2.close();
    w.proxy.kill();
  });
  return w;
}

describe('requests through a proxy named in the environment', () => {
  const w = proxyWorld();

  const clients = () => ({
    clearml: createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock }),
    ec2: emulatorEc2(w.ec2.url),
  });
  const hostOf = (url: string) => new URL(url).host;

  it('ClearML (fetch) and EC2 (the AWS SDK) both go through it and get their answers', async () => {
    w.use = useProxyFromEnv({ HTTP_PROXY: w.proxyUrl });
    expect(w.use.description).toBe(`HTTP via ${w.proxyUrl}; not for localhost,127.0.0.1,::1`);
    const c = clients();
    expect((await c.clearml.checkAuth()).user).toBeTruthy();
    expect(await c.ec2.describeInstances('dynamic_aws')).toEqual([]);
    c.ec2.close?.();
    const through = await carried(w.proxyUrl, w.seen);
    expect(through.some((s) => s.includes(hostOf(w.clearml.url)))).toBe(true);
    expect(through.some((s) => s.includes(hostOf(w.ec2.url)))).toBe(true);
  });

  it('NO_PROXY and this machine go direct; after restore nothing goes through it', async () => {
    w.use = useProxyFromEnv({ HTTP_PROXY: w.proxyUrl, NO_PROXY: '127.0.0.2' });
    const c = clients();
    await c.clearml.checkAuth();
    await c.ec2.describeInstances('dynamic_aws');
    c.ec2.close?.();
    w.use.restore();
    w.use = useProxyFromEnv({ HTTP_PROXY: w.proxyUrl });
    const loop = await startClearmlEmulator({ clock: systemClock, ...KEYS });
    try {
      await createClearmlClient({ apiHost: loop.url, credentials: KEYS, clock: systemClock }).checkAuth();
    } finally {
      await loop.close();
    }
    w.use.restore();
    w.use = null;
    const after = clients();
    await after.clearml.checkAuth();
    await after.ec2.describeInstances('dynamic_aws');
    after.ec2.close?.();
    expect(await carried(w.proxyUrl, w.seen)).toEqual([]);
  });

  it('with the system settings as resolved: ClearML through the proxy they name, EC2 direct as they say', async () => {
    // The emulators share 127.0.0.2, so a ClearML server on its own address stands for one the settings proxy.
    const server = await startClearmlEmulator({ clock: systemClock, ...KEYS, host: '127.0.0.3' });
    try {
      const lists = new Map([
        [server.url, `PROXY ${hostOf(w.proxyUrl)}; DIRECT`],
        [w.ec2.url, 'DIRECT'],
      ]);
      const network = await useNetworkFromEnvOrSystem(
        { HOME: '/nonexistent' },
        { resolve: async (url) => lists.get(url) ?? 'DIRECT', urls: () => [server.url, w.ec2.url] },
      );
      w.use = { description: null, problem: null, restore: () => network.restore() };
      expect(network.notes[0]).toMatch(/^proxy from the system settings/);
      expect(network.notes[1]).toBe(
        `proxy: HTTPS via ${w.proxyUrl}, HTTP via ${w.proxyUrl}; not for 127.0.0.2,localhost,127.0.0.1,::1`,
      );
      const client = createClearmlClient({ apiHost: server.url, credentials: KEYS, clock: systemClock });
      expect((await client.checkAuth()).user).toBeTruthy();
      const c = clients();
      expect(await c.ec2.describeInstances('dynamic_aws')).toEqual([]);
      c.ec2.close?.();
      const through = await carried(w.proxyUrl, w.seen);
      expect(through.some((s) => s.includes(hostOf(server.url)))).toBe(true);
      expect(through.filter((s) => s.includes(hostOf(w.ec2.url)))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a new host (the first run saves the ClearML server) is asked about again; the same hosts are not', async () => {
    const server = await startClearmlEmulator({ clock: systemClock, ...KEYS, host: '127.0.0.3' });
    try {
      let hosts = [w.clearml.url, w.ec2.url];
      const asked: string[] = [];
      const network = await useNetworkFromEnvOrSystem(
        { HOME: '/nonexistent' },
        {
          resolve: async (url) => (asked.push(url), url === server.url ? `PROXY ${hostOf(w.proxyUrl)}` : 'DIRECT'),
          urls: () => hosts,
        },
      );
      w.use = { description: null, problem: null, restore: () => network.restore() };
      expect(network.notes).toEqual([]);
      expect(await network.refresh()).toBe(false);
      expect(asked).toEqual([w.clearml.url, w.ec2.url]);

      hosts = [server.url, w.ec2.url];
      expect(await network.refresh()).toBe(true);
      expect(network.notes[0]).toMatch(
        /^proxy from the system settings .* as they answer for 127\.0\.0\.3, 127\.0\.0\.2/,
      );
      expect(network.notes[1]).toBe(
        `proxy: HTTPS via ${w.proxyUrl}, HTTP via ${w.proxyUrl}; not for 127.0.0.2,localhost,127.0.0.1,::1`,
      );
      await createClearmlClient({ apiHost: server.url, credentials: KEYS, clock: systemClock }).checkAuth();
      expect((await carried(w.proxyUrl, w.seen)).some((s) => s.includes(hostOf(server.url)))).toBe(true);

      // Back to a host the settings send direct: the proxy is no longer used.
      hosts = [w.clearml.url, w.ec2.url];
      expect(await network.refresh()).toBe(true);
      expect(network.notes).toEqual([]);
      w.seen.length = 0;
      await createClearmlClient({ apiHost: server.url, credentials: KEYS, clock: systemClock }).checkAuth();
      expect(await carried(w.proxyUrl, w.seen)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('NO_PROXY with an address range: the server inside it goes direct once its address is known', async () => {
    const env = { HOME: '/nonexistent', HTTP_PROXY: w.proxyUrl, NO_PROXY: '127.0.0.0/8' };
    const network = useNetworkFromEnv(env);
    w.use = { description: null, problem: null, restore: () => network.restore() };
    const client = () => createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock });
    await client().checkAuth();
    expect((await carried(w.proxyUrl, w.seen)).some((l) => l.includes(hostOf(w.clearml.url)))).toBe(true);
    // The config is read: its server's address lies in the range.
    expect(network.useHosts(hostsOf([w.clearml.url]))).toBe(true);
    expect(network.useHosts(hostsOf([w.clearml.url]))).toBe(false);
    expect(network.notes[0]).toBe(
      `proxy: HTTP via ${w.proxyUrl}; not for 127.0.0.0/8,localhost,127.0.0.1,::1,127.0.0.2`,
    );
    w.seen.length = 0;
    await client().checkAuth();
    expect(await carried(w.proxyUrl, w.seen)).toEqual([]);
  });

  it('desktop, a proxy in the environment with an address range: the saved server is excepted at start and on a save', async () => {
    let hosts = ['https://api.clear.ml'];
    const network = await useNetworkFromEnvOrSystem(
      { HOME: '/nonexistent', HTTP_PROXY: w.proxyUrl, NO_PROXY: '127.0.0.0/8' },
      { resolve: () => Promise.reject(new Error('not asked')), urls: () => hosts },
    );
    w.use = { description: null, problem: null, restore: () => network.restore() };
    expect(network.notes).toEqual([`proxy: HTTP via ${w.proxyUrl}; not for 127.0.0.0/8,localhost,127.0.0.1,::1`]);
    hosts = [w.clearml.url];
    expect(await network.refresh()).toBe(true);
    expect(network.notes).toEqual([
      `proxy: HTTP via ${w.proxyUrl}; not for 127.0.0.0/8,localhost,127.0.0.1,::1,127.0.0.2`,
    ]);
    await createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock }).checkAuth();
    expect(await carried(w.proxyUrl, w.seen)).toEqual([]);
    expect(await network.refresh()).toBe(false);
  });

  it('a proxy in the environment wins: the system settings are not asked', async () => {
    let asked = 0;
    const network = await useNetworkFromEnvOrSystem(
      { HOME: '/nonexistent', HTTP_PROXY: w.proxyUrl },
      { resolve: async () => (asked++, 'PROXY elsewhere.invalid:1'), urls: () => [w.clearml.url] },
    );
    w.use = { description: null, problem: null, restore: () => network.restore() };
    expect(asked).toBe(0);
    expect(network.notes).toEqual([`proxy: HTTP via ${w.proxyUrl}; not for localhost,127.0.0.1,::1`]);
    await clients().clearml.checkAuth();
    expect((await carried(w.proxyUrl, w.seen)).some((s) => s.includes(hostOf(w.clearml.url)))).toBe(true);
  });

  /** One `--once --json` run of headless against the emulators, with these proxy variables; its output lines. */
  async function headlessOnce(proxyEnv: Record<string, string>): Promise<string[]> {
    const home = mkdtempSync(path.join(tmpdir(), 'home-'));
    const config = headlessConfigFile(w.clearml.url, 1);
    w.clearml.createQueue('cpu');
    w.clearml.addTask({ name: 't', queue: 'cpu', durationSec: 60 });
    const saved = { ...process.env };
    // The AWS SDK reads its endpoint and keys from the process environment.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: w.ec2.url,
      AWS_ACCESS_KEY_ID: 'AKIDEMULATOR00000001',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret-not-real',
    });
    const lines: string[] = [];
    try {
      const code = await runHeadless(
        ['--config', config, '--once', '--json', '--data-dir', path.join(home, 'data')],
        { write: (l) => void lines.push(l) },
        { HOME: home, ...proxyEnv, CLEARML_API_ACCESS_KEY: KEYS.accessKey, CLEARML_API_SECRET_KEY: KEYS.secretKey },
      );
      expect(code).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(w.ec2.instances()).toHaveLength(1);
    return lines;
  }

  it('headless names the proxy first and runs its tick through it', async () => {
    const lines = await headlessOnce({ HTTPS_PROXY: 'http://alice:s3cret@127.0.0.1:9', HTTP_PROXY: w.proxyUrl });
    expect(JSON.parse(lines[0]!)).toEqual({
      type: 'info',
      message: `proxy: HTTPS via http://127.0.0.1:9, HTTP via ${w.proxyUrl}; not for localhost,127.0.0.1,::1`,
    });
    expect(lines.join('\n')).not.toContain('s3cret');
    const through = await carried(w.proxyUrl, w.seen);
    expect(through.some((s) => s.includes(hostOf(w.clearml.url)))).toBe(true);
    expect(through.some((s) => s.includes(hostOf(w.ec2.url)))).toBe(true);
    // The run ended: the process is back to direct connections. (Only ClearML is looked at: stop lets a price read
    // the run started finish only for a moment, so a slow one may still complete through its own client.)
    w.seen.length = 0;
    await clients().clearml.checkAuth();
    expect((await carried(w.proxyUrl, w.seen)).filter((s) => s.includes(hostOf(w.clearml.url)))).toEqual([]);
  });

  it('headless: servers inside a NO_PROXY address range go direct once the config names them', async () => {
    const lines = await headlessOnce({ HTTP_PROXY: w.proxyUrl, NO_PROXY: '127.0.0.0/8' });
    expect(lines.slice(0, 2).map((l) => JSON.parse(l) as unknown)).toEqual([
      { type: 'info', message: `proxy: HTTP via ${w.proxyUrl}; not for 127.0.0.0/8,localhost,127.0.0.1,::1` },
      {
        type: 'info',
        message: `proxy: HTTP via ${w.proxyUrl}; not for 127.0.0.0/8,localhost,127.0.0.1,::1,127.0.0.2`,
      },
    ]);
    expect((await carried(w.proxyUrl, w.seen)).filter((s) => s.includes('127.0.0.2'))).toEqual([]);
  });
});

describe('a proxy that refuses: what it wants is said, for ClearML and EC2 alike', () => {
  const w = proxyWorld('alice:s3cret');
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e,
    );

  it('without its login: 407 named, with the address to set, over plain HTTP and through a tunnel', async () => {
    w.use = useProxyFromEnv({ HTTP_PROXY: w.proxyUrl, HTTPS_PROXY: w.proxyUrl });
    const login =
      /it asks for a user and password \(HTTP 407\): put them in the proxy address, HTTPS_PROXY=http:\/\/user:password@proxy:port/;
    // ClearML over HTTP and HTTPS (fetch tunnels both); EC2 over HTTP (the proxy answers 407 itself) and over
    // HTTPS (a tunnel refused: the proxy asks before it connects anywhere, so AWS's own address is safe here).
    const cases: [Service, unknown, string][] = [
      [
        'clearml',
        await failure(
          createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock }).checkAuth(),
        ),
        w.clearml.url,
      ],
      [
        'clearml',
        await failure(
          createClearmlClient({
            apiHost: 'https://api.example.invalid',
            credentials: KEYS,
            clock: systemClock,
          }).checkAuth(),
        ),
        'https://api.example.invalid',
      ],
      ['ec2', await failure(emulatorEc2(w.ec2.url).describeInstances('dynamic_aws')), w.ec2.url],
      [
        'ec2',
        await failure(emulatorEc2('https://w.ec2.us-east-1.amazonaws.com').describeInstances('dynamic_aws')),
        'https://w.ec2.us-east-1.amazonaws.com',
      ],
    ];
    for (const [service, err, endpoint] of cases) {
      const where = service === 'clearml' ? `the ClearML server at ${endpoint}` : 'the EC2 API in us-east-1';
      expect((err as Error).message).toMatch(
        new RegExp(`^The proxy refused the connection to ${where.replace(/[.]/g, '\\.')}: `),
      );
      expect((err as Error).message).toMatch(login);
      const problem = problemFrom(service, err, endpoint);
      expect(problem.kind).toBe('unreachable');
      expect(fixPlace(problem)).toBeNull();
      const cli = renderProblem(problem, 'cli', { retrying: false });
      expect(cli).toMatch(/\(The proxy refused the connection .*\(HTTP 407\)\): check the proxy settings: HTTPS_PROXY/);
      expect(cli).not.toMatch(/clearml\.apiHost|aws\.region/);
    }
    const test = await testClearml({ apiHost: w.clearml.url, credentials: KEYS });
    expect(test.message).toMatch(/^The proxy refused the connection to the ClearML server .*HTTP 407/);
  });

  it('with its login in the address: ClearML and EC2 answer through it', async () => {
    const withLogin = w.proxyUrl.replace('http://', 'http://alice:s3cret@');
    w.use = useProxyFromEnv({ HTTP_PROXY: withLogin });
    expect(w.use.description).not.toContain('s3cret');
    expect(
      (await createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock }).checkAuth()).user,
    ).toBeTruthy();
    expect(await emulatorEc2(w.ec2.url).describeInstances('dynamic_aws')).toEqual([]);
  });

  it('a proxy that is not there is named as such, not as the ClearML server', async () => {
    for (const [proxyAddress, named] of [
      [
        'http://127.0.0.1:9',
        /^Cannot reach the proxy at 127\.0\.0\.1:9 \(ECONNREFUSED\) on the way to the ClearML server/,
      ],
      ['http://proxy.invalid:3128', /^Cannot reach the proxy at proxy\.invalid \((ENOTFOUND|EAI_AGAIN)\) on the way/],
    ] as const) {
      w.use = useProxyFromEnv({ HTTP_PROXY: proxyAddress });
      const client = createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock });
      const err = await failure(client.checkAuth());
      expect((err as Error).message).toMatch(named);
      const problem = problemFrom('clearml', err, w.clearml.url);
      expect(fixPlace(problem)).toBeNull();
      expect(renderProblem(problem, 'cli', { retrying: false })).toMatch(/: check the proxy settings: HTTPS_PROXY/);
      w.use.restore();
      w.use = null;
    }
    // The server itself refusing (no proxy): its own message, with the API host to check.
    await w.clearml.close();
    const err = await failure(
      createClearmlClient({ apiHost: w.clearml.url, credentials: KEYS, clock: systemClock }).checkAuth(),
    );
    expect((err as Error).message).toMatch(
      /^Cannot reach the ClearML server at .* \(ECONNREFUSED\): check the API host and port/,
    );
    w.clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS, host: '127.0.0.2' });
  });

  it('a plain 403 (a destination the proxy does not allow) says so', () => {
    expect(
      proxyRefusal(
        Object.assign(new Error('Proxy response (403) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }),
      ),
    ).toBe(403);
    expect(proxyRefusalText(403)).toMatch(/^it does not allow this destination \(HTTP 403\): ask for it to be allowed/);
    expect(proxyRefusalText(502)).toMatch(/^it could not connect on \(HTTP 502\): check the host/);
    expect(proxyRefusal(new Error('socket hang up'))).toBeNull();
  });
});
