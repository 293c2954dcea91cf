/**
 * ClearML and EC2 are judged independently every tick; each problem is reported once when it starts and once when
 * it clears, names the endpoint tried and, for a terminal, the config field or environment variable to change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkText,
  ConnectionWatch,
  ec2EndpointFor,
  fixPlace,
  renderCleared,
  problemFrom,
  renderProblem,
  type ConnectionProblem,
  awsCredentialsRemedy,
  awsKeyPairGap,
} from '../../electron/engine/connections.js';
import { errorFromFetchFailure } from '../../electron/engine/clearml/errors.js';
import { classifyEc2Error } from '../../electron/engine/ec2/errors.js';
import type { EngineEvent } from '../../shared/domain.js';
import { makeConfig, T0 } from './fixtures.js';
import { startWorld, type World } from './world.js';

const p = (over: Partial<ConnectionProblem>): ConnectionProblem => ({
  service: 'ec2',
  kind: 'auth',
  code: 'CredentialsProviderError',
  endpoint: 'https://ec2.us-east-1.amazonaws.com',
  networkCode: null,
  detail: 'No AWS credentials were found: enter an access key in the Credentials tab, or configure the AWS CLI.',
  ...over,
});

describe('checkText: a one-off check on the command line', () => {
  it.each([
    {
      name: 'EC2 throttled: the cause, no poll that will not come',
      problem: p({
        kind: 'throttle',
        code: 'RequestLimitExceeded',
        detail: 'AWS is throttling EC2 API calls (RequestLimitExceeded): the autoscaler slows down and tries again.',
      }),
      want: 'AWS is throttling EC2 API calls (RequestLimitExceeded): try again in a moment',
    },
    {
      name: 'ClearML keys refused: the variables, not the Credentials tab',
      problem: p({
        service: 'clearml',
        code: 'HTTP 401/22',
        detail: 'ClearML rejected the access key "AKIA12…" on auth.login: check the key pair in the Credentials tab',
      }),
      want:
        'ClearML rejected the access key "AKIA12…" on auth.login: set CLEARML_API_ACCESS_KEY and ' +
        'CLEARML_API_SECRET_KEY (or the api section of ~/clearml.conf)',
    },
    {
      name: 'a wrong AMI: the message already says what to fix, kept whole',
      problem: p({
        kind: 'invalid',
        code: 'InvalidAMIID.NotFound',
        detail: 'EC2 rejected RunInstances: check the AMI id.',
      }),
      want: 'EC2 rejected RunInstances: check the AMI id.',
    },
  ])('$name', ({ problem, want }) => {
    expect(checkText(problem)).toBe(want);
  });
});

describe('renderProblem', () => {
  it.each([
    {
      name: 'no AWS credentials, terminal: names the variables, not Settings',
      problem: p({}),
      surface: 'cli' as const,
      retrying: true,
      want: [
        /^EC2 could not be read at https:\/\/ec2\.us-east-1\.amazonaws\.com \(no credentials\)/,
        /AWS_PROFILE/,
        /AWS_ACCESS_KEY_ID/,
        /\(retrying every poll\)$/,
      ],
      not: [/Settings/],
    },
    {
      name: 'ClearML unreachable, terminal: the API host field and variable, the endpoint, the socket error',
      problem: p({
        service: 'clearml',
        kind: 'unreachable',
        code: null,
        endpoint: 'http://127.0.0.1:1',
        networkCode: 'ECONNREFUSED',
        detail: 'Cannot reach the ClearML server at http://127.0.0.1:1 (ECONNREFUSED): check the API host and port',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [
        /^ClearML could not be read at http:\/\/127\.0\.0\.1:1 \(Cannot reach .*ECONNREFUSED\)/,
        /clearml\.apiHost/,
        /CLEARML_API_HOST/,
      ],
      not: [/Settings/],
    },
    {
      name: 'ClearML certificate from an unknown authority, terminal: the CA bundle, not the API host',
      problem: p({
        service: 'clearml',
        kind: 'unreachable',
        code: null,
        endpoint: 'https://api.corp.example',
        networkCode: 'SELF_SIGNED_CERT_IN_CHAIN',
        detail: 'The ClearML server at https://api.corp.example is not trusted (SELF_SIGNED_CERT_IN_CHAIN): its …',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/\(The ClearML server at https:\/\/api\.corp\.example is not trusted/, /REQUESTS_CA_BUNDLE/],
      not: [/clearml\.apiHost/],
    },
    {
      name: 'EC2 certificate from an unknown authority, terminal: the CA bundle, not the region',
      problem: p({
        kind: 'unreachable',
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        networkCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        detail: 'The EC2 API in us-east-1 is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE): its certificate …',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/REQUESTS_CA_BUNDLE/],
      not: [/aws\.region/],
    },
    {
      name: 'ClearML behind a reverse proxy answering 502 with a web page, terminal: the server, said once to retry',
      problem: p({
        service: 'clearml',
        kind: 'server',
        code: 'HTTP 502',
        endpoint: 'https://api.corp.example',
        detail:
          'https://api.corp.example answered queues.get_all with HTTP 502 (text/html), not a ClearML reply: a proxy ' +
          'or the server is failing; retrying at the next poll',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [
        /not a ClearML reply: a proxy or the server is failing\): the server is down/,
        /the ClearML server's logs/,
        /\(retrying every poll\)$/,
      ],
      not: [/clearml\.apiHost/, /VPN/, /retrying at the next poll/],
    },
    {
      name: 'ClearML in maintenance (503), terminal: the server, not the API host',
      problem: p({
        service: 'clearml',
        kind: 'server',
        code: 'HTTP 503',
        endpoint: 'https://api.corp.example',
        detail:
          'The ClearML server at https://api.corp.example is unavailable or in maintenance (queues.get_all (HTTP ' +
          '503/0: down)): autoscaling resumes when it answers again',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/unavailable or in maintenance/, /the ClearML server's logs/],
      not: [/clearml\.apiHost/, /autoscaling resumes/],
    },
    {
      name: 'EC2 throttling for minutes, terminal: the account’s request rate, not the region or the network',
      problem: p({
        kind: 'throttle',
        code: 'RequestLimitExceeded',
        detail: 'AWS is throttling EC2 API calls for this account and region (RequestLimitExceeded): retrying',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/\(AWS is throttling .*RequestLimitExceeded\)\): other tools calling EC2/, /\(retrying every poll\)$/],
      not: [/aws\.region/, /proxy/],
    },
    {
      name: 'EC2 failing on its side (InternalError), terminal: AWS, not the region or the network',
      problem: p({
        kind: 'other',
        code: 'InternalError',
        detail: 'EC2 DescribeInstances failed (InternalError: An internal error has occurred)',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/InternalError.*\): EC2 failed on its side/],
      not: [/aws\.region/, /proxy/],
    },
    {
      name: '--once promises no retry',
      problem: p({
        service: 'clearml',
        kind: 'timeout',
        code: null,
        detail: 'did not answer within 10 s: it may be overloaded',
      }),
      surface: 'cli' as const,
      retrying: false,
      want: [/did not answer within 10 s/],
      not: [/retry/i],
    },
    {
      name: 'ClearML key rejected, terminal: the key variables',
      problem: p({
        service: 'clearml',
        kind: 'auth',
        code: 'HTTP 401/22',
        detail: 'ClearML rejected the access key "AKIA12…" on auth.login: check the key pair in the Credentials tab',
      }),
      surface: 'cli' as const,
      retrying: true,
      want: [/CLEARML_API_ACCESS_KEY/, /clearml\.conf/],
      not: [/Settings/],
    },
    {
      name: 'the app keeps the classified message with its Settings advice',
      problem: p({}),
      surface: 'app' as const,
      retrying: true,
      want: [/the Credentials tab/, /^EC2 could not be read at https:\/\/ec2/],
      not: [/AWS_ACCESS_KEY_ID/],
    },
  ])('$name', ({ problem, surface, retrying, want, not }) => {
    const text = renderProblem(problem, surface, { retrying });
    for (const w of want) expect(text).toMatch(w);
    for (const n of not) expect(text).not.toMatch(n);
  });

  it('the EC2 endpoint follows the standard endpoint variables', () => {
    expect(ec2EndpointFor('eu-west-1', {})).toBe('https://ec2.eu-west-1.amazonaws.com');
    expect(ec2EndpointFor('eu-west-1', { AWS_ENDPOINT_URL: 'http://a' })).toBe('http://a');
    expect(ec2EndpointFor('eu-west-1', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_EC2: 'http://b' })).toBe(
      'http://b',
    );
  });
});

describe('problemFrom: the network code travels as a field, not in the text', () => {
  /** What fetch and the AWS SDK throw when the connection fails: a TypeError whose cause carries the code. */
  const failed = (code: string) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

  it.each([
    ['clearml', 'SELF_SIGNED_CERT_IN_CHAIN', true],
    ['clearml', 'ECONNREFUSED', false],
    ['ec2', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', true],
    ['ec2', 'ENOTFOUND', false],
  ] as const)(
    '%s, %s → networkCode set; the CA remedy only for an untrusted authority: %s',
    (service, code, untrusted) => {
      const err =
        service === 'clearml'
          ? errorFromFetchFailure(failed(code), 10_000, {
              apiHost: 'https://api.corp.example',
              endpoint: 'auth.login',
              accessKeyHint: 'AKIA12…',
            })
          : classifyEc2Error(failed(code), { region: 'us-east-1' });
      const problem = problemFrom(service, err, 'https://x.example');
      expect(problem.networkCode).toBe(code);
      const line = renderProblem(problem, 'cli', { retrying: false });
      if (untrusted) expect(line).toMatch(/REQUESTS_CA_BUNDLE/);
      else expect(line).not.toMatch(/REQUESTS_CA_BUNDLE/);
    },
  );

  it.each([
    // [the failed socket, requests through a proxy, the message starts]
    [
      { code: 'ECONNREFUSED', address: '10.0.0.5', port: 3128 },
      true,
      'Cannot reach the proxy at 10.0.0.5:3128 (ECONNREFUSED) on the way',
    ],
    [
      { code: 'ECONNREFUSED', address: '10.0.0.5', port: 3128 },
      false,
      'Cannot reach the ClearML server at https://api.corp.example (ECONNREFUSED)',
    ],
    [
      { code: 'ECONNREFUSED', address: '10.0.0.9', port: 443 },
      true,
      'Cannot reach the ClearML server at https://api.corp.example (ECONNREFUSED)',
    ],
    [
      { code: 'ENOTFOUND', hostname: 'proxy.corp' },
      true,
      'Cannot reach the proxy at proxy.corp (ENOTFOUND) on the way',
    ],
    [
      { code: 'ENOTFOUND', hostname: 'api.corp.example' },
      true,
      'Cannot reach the ClearML server at https://api.corp.example (ENOTFOUND)',
    ],
  ] as const)('ClearML, %j, through a proxy %s: %s', (socket, proxyInUse, starts) => {
    const err = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(socket.code), socket) });
    const ctx = { apiHost: 'https://api.corp.example', endpoint: 'auth.login', accessKeyHint: null, proxyInUse };
    const made = errorFromFetchFailure(err, 10_000, ctx);
    expect(made.message.startsWith(starts)).toBe(true);
    expect(fixPlace(problemFrom('clearml', made, ctx.apiHost))).toBe(starts.includes('proxy') ? null : 'settings');
  });

  it('an error with no network code has none', () => {
    expect(problemFrom('ec2', new Error('boom'), 'https://x.example').networkCode).toBeNull();
  });
});

describe('fixPlace: where the app fixes a connection problem', () => {
  it.each([
    ['auth', 'ec2', 'credentials'],
    ['auth', 'clearml', 'credentials'],
    ['unreachable', 'clearml', 'settings'],
    ['timeout', 'ec2', 'settings'],
    ['not-found', 'clearml', 'settings'],
    ['server', 'clearml', 'settings'],
    ['invalid', 'ec2', 'settings'],
    ['other', 'ec2', 'settings'],
  ] as const)('%s on %s → %s', (kind, service, place) => {
    expect(fixPlace(p({ kind, service }))).toBe(place);
  });

  it.each(['clearml', 'ec2'] as const)(
    'a certificate from an untrusted authority on %s: fixed outside the app, so no place in it',
    (service) => {
      expect(fixPlace(p({ kind: 'unreachable', service, networkCode: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toBeNull();
      expect(fixPlace(p({ kind: 'unreachable', service, networkCode: 'ECONNREFUSED' }))).toBe('settings');
    },
  );
});

describe('ConnectionWatch', () => {
  it('reports a problem once when it starts, again only when it changes, and once when it clears', () => {
    const w = new ConnectionWatch();
    const a = p({});
    expect(w.update('ec2', a, T0)?.started).toEqual(a);
    expect(w.update('ec2', a, T0 + 15_000)).toBeNull();
    expect(w.update('clearml', null, T0 + 15_000)).toBeNull();
    expect(w.update('ec2', p({ code: 'AuthFailure' }), T0 + 20_000)).toBeNull();
    const b = p({ kind: 'unreachable', code: 'ECONNREFUSED' });
    expect(w.update('ec2', b, T0 + 30_000)?.started).toEqual(b);
    const cleared = w.update('ec2', null, T0 + 180_000)?.cleared;
    expect(cleared).toEqual({ problem: b, since: T0 });
    expect(renderCleared(cleared!, T0 + 180_000)).toBe(
      'EC2 answers again at https://ec2.us-east-1.amazonaws.com (it failed for 3 min)',
    );
    expect(w.update('ec2', null, T0 + 195_000)).toBeNull();
  });

  it('a network flipping between two failures is each told once in that outage, and the status keeps the latest', () => {
    const w = new ConnectionWatch();
    const timeout = p({ kind: 'timeout', code: 'TimeoutError' });
    const refused = p({ kind: 'unreachable', code: 'ECONNREFUSED' });
    const told = [timeout, refused, timeout, refused, timeout].map((x, k) => w.update('ec2', x, T0 + k * 15_000));
    expect(told.map((t) => t?.started?.kind ?? null)).toEqual(['timeout', 'unreachable', null, null, null]);
    expect(w.problem('ec2')).toEqual(timeout);
    expect(w.update('ec2', null, T0 + 90_000)?.cleared).toEqual({ problem: timeout, since: T0 });
    // A new outage tells its failures again.
    expect(w.update('ec2', refused, T0 + 120_000)?.started).toEqual(refused);
  });
});

describe('engine: both connections reported independently', () => {
  let world: World;
  afterEach(async () => world?.close());

  it('with EC2 refusing and ClearML down, each is reported once (not every tick) and each recovery once', async () => {
    world = await startWorld();
    const events: EngineEvent[] = [];
    const engine = world.newEngine(makeConfig({ clearml: { apiHost: world.clearml.url } }), {
      onEvent: (e) => events.push(e),
      reporting: { surface: 'cli', retrying: true, ec2Endpoint: world.ec2.url },
    });
    world.ec2.faults.push({ code: 'AuthFailure', count: 3 });
    world.clearml.faults.inject({ status: 503, count: 6 });
    for (let i = 0; i < 3; i++) {
      world.clock.advance(15_000);
      await engine.tick();
    }
    const errors = events.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.message.split(' could not')[0])).toEqual(['ClearML', 'EC2']);
    expect(errors[1]!.message).toContain(`at ${world.ec2.url}`);
    expect(errors[1]!.message).toMatch(/AWS_PROFILE|AWS_ACCESS_KEY_ID/);
    expect(errors[0]!.message).toContain(`at ${world.clearml.url}`);
    expect(world.store.getState().status).toBe('error');
    // Where each is fixed, in the order the status line names them: ClearML's host (a 503), EC2's keys.
    expect(world.store.getState().statusFix).toEqual(['settings', 'credentials']);
    for (let i = 0; i < 3; i++) {
      world.clock.advance(15_000);
      await engine.tick();
    }
    const recovered = events.filter((e) => e.message.includes('answers again')).map((e) => e.message.split(' ')[0]);
    expect(recovered.sort()).toEqual(['ClearML', 'EC2']);
    expect(events.filter((e) => e.level === 'error')).toHaveLength(2);
    expect(world.store.getState().status).not.toBe('error');
    expect(world.store.getState().statusFix).toEqual([]);
  });
});

describe('awsKeyPairGap: half of the key pair in the environment', () => {
  it.each([
    [{}, null],
    [{ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, null],
    [{ AWS_ACCESS_KEY_ID: 'AKIA' }, { set: 'AWS_ACCESS_KEY_ID', missing: 'AWS_SECRET_ACCESS_KEY' }],
    [
      { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: '' },
      { set: 'AWS_ACCESS_KEY_ID', missing: 'AWS_SECRET_ACCESS_KEY' },
    ],
    [{ AWS_SECRET_ACCESS_KEY: 's' }, { set: 'AWS_SECRET_ACCESS_KEY', missing: 'AWS_ACCESS_KEY_ID' }],
  ])('%j', (env, expected) => {
    expect(awsKeyPairGap(env)).toEqual(expected);
  });

  it('the profile comes first: AWS_PROFILE set means the SDK looks only there', () => {
    expect(awsCredentialsRemedy({ AWS_PROFILE: 'p', AWS_ACCESS_KEY_ID: 'AKIA' })).toMatch(/the profile 'p'/);
  });
});
