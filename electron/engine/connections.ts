/**
 * The engine's two connections, ClearML and EC2, watched independently: each problem is reported once when it
 * starts and once when it clears (not every poll), names the endpoint it tried, and says what to change where the
 * user configures it: Settings in the app, a config field or environment variable on the command line.
 * Pure: the engine feeds each tick's outcome in and emits what comes out.
 */
import { ClearmlError, Ec2Error } from './ports.js';
import { PROXY_REFUSED_CODE } from './net/proxy.js';
import { EC2_SIDE_FAILURES } from './ec2/errors.js';
import { UNTRUSTED_CA_REMEDY, isUntrustedCa } from './net/trust.js';
import { errorText } from '../../shared/error-text.js';
import type { StatusFix } from '../../shared/domain.js';

export type Service = 'clearml' | 'ec2';
export type { Surface } from './surface.js';
import type { Surface } from './surface.js';

export interface ConnectionProblem {
  service: Service;
  /** The error's kind: auth, unreachable, timeout, throttle, not-found, server, invalid, other. */
  kind: string;
  /** EC2's error code, ClearML's `HTTP status/subcode`, or null. */
  code: string | null;
  /** The address that was tried. */
  endpoint: string;
  /** The network or TLS error code when the request got no answer (ECONNREFUSED, CERT_UNTRUSTED …), else null. */
  networkCode: string | null;
  /** The classified error's own message. */
  detail: string;
}

export interface ConnectionTransition {
  service: Service;
  started?: ConnectionProblem;
  /** The problem that just cleared, and since when it lasted (ms epoch). */
  cleared?: { problem: ConnectionProblem; since: number };
}

export function problemFrom(service: Service, err: unknown, endpoint: string): ConnectionProblem {
  const networkCode = (err instanceof Ec2Error || err instanceof ClearmlError ? err.networkCode : undefined) ?? null;
  if (err instanceof Ec2Error)
    return { service, kind: err.kind, code: err.code, endpoint, networkCode, detail: err.message };
  if (err instanceof ClearmlError) {
    const code = err.status !== undefined ? `HTTP ${err.status}${err.subcode ? `/${err.subcode}` : ''}` : null;
    return { service, kind: err.kind, code, endpoint, networkCode, detail: err.message };
  }
  return { service, kind: 'other', code: null, endpoint, networkCode, detail: errorText(err) };
}

/** The EC2 endpoint the SDK uses for a region, honouring the standard endpoint variables. */
export function ec2EndpointFor(region: string, env: Readonly<Record<string, string | undefined>>): string {
  return env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL ?? `https://ec2.${region}.amazonaws.com`;
}

const NAME: Record<Service, string> = { clearml: 'ClearML', ec2: 'EC2' };

/**
 * Where, in the app, the user changes what a problem is about: the keys when they were refused, else the hosts. A
 * certificate from an authority this machine does not trust, or a proxy that refused the connection, is fixed
 * outside the app (a CA bundle, the trust store, the proxy settings: the message says which), so no button would
 * help there: null.
 */
export function fixPlace(p: ConnectionProblem): StatusFix | null {
  if (fixedOutsideTheApp(p.networkCode)) return null;
  return p.kind === 'auth' ? 'credentials' : 'settings';
}

/** A certificate from an untrusted authority, or a proxy that refused or did not answer: the host is not at fault. */
export function fixedOutsideTheApp(networkCode: string | null | undefined): boolean {
  return isUntrustedCa(networkCode) || networkCode === PROXY_REFUSED_CODE;
}

/** What to change when a proxy refused the connection. */
const PROXY_REMEDY =
  'check the proxy settings: HTTPS_PROXY (http://user:password@proxy:port when it asks for a login), and NO_PROXY ' +
  'for hosts reached directly';

/** Where ClearML keys come from on the command line. */
export const CLEARML_KEYS_REMEDY =
  'set CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY (or the api section of ~/clearml.conf)';

/**
 * What to change on the command line: the config field or environment variable. (In the app the classified
 * message already says where, and the status card's button opens it: `fixPlace`.)
 */
function remedy(p: ConnectionProblem, env: NodeJS.ProcessEnv = process.env): string {
  if (isUntrustedCa(p.networkCode)) return UNTRUSTED_CA_REMEDY;
  if (p.networkCode === PROXY_REFUSED_CODE) return PROXY_REMEDY;
  if (p.service === 'clearml')
    return p.kind === 'auth'
      ? CLEARML_KEYS_REMEDY
      : p.kind === 'server'
        ? // It answered: the host is right, and the server (or the reverse proxy in front of it) is what fails.
          "the server is down or failing: check the ClearML server's logs and the reverse proxy in front of it"
        : 'check clearml.apiHost in the config file (or CLEARML_API_HOST), the network and the VPN';
  // EC2 answered: the region and the network are right, and what fails is the account's rate or AWS itself.
  if (EC2_SIDE_FAILURES.has(p.code ?? '')) return 'EC2 failed on its side: see the AWS Health Dashboard if it lasts';
  if (p.kind === 'throttle')
    return 'other tools calling EC2 in this account and region share its request rate: the engine slows its calls';
  if (p.kind === 'auth')
    return p.code === 'CredentialsProviderError' || p.code === 'TokenProviderError'
      ? awsCredentialsRemedy(env)
      : 'check the AWS credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID) and their IAM policy (README: IAM policy)';
  return 'check aws.region in the config file (or AWS_ENDPOINT_URL_EC2), the network and the proxy';
}

/** The AWS variables the SDK's default chain reads first (the environment, then the profile). */
export type AwsCredentialVariables = Readonly<
  Partial<Record<'AWS_PROFILE' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY', string>>
>;

/**
 * Half of the environment's key pair: the SDK takes the pair only whole and otherwise moves on in silence, so an
 * EnvironmentFile missing one line reads as "no credentials" unless the missing half is named. Pure.
 */
export function awsKeyPairGap(
  env: AwsCredentialVariables,
):
  | { set: 'AWS_ACCESS_KEY_ID'; missing: 'AWS_SECRET_ACCESS_KEY' }
  | { set: 'AWS_SECRET_ACCESS_KEY'; missing: 'AWS_ACCESS_KEY_ID' }
  | null {
  const id = (env.AWS_ACCESS_KEY_ID ?? '') !== '';
  const secret = (env.AWS_SECRET_ACCESS_KEY ?? '') !== '';
  if (id && !secret) return { set: 'AWS_ACCESS_KEY_ID', missing: 'AWS_SECRET_ACCESS_KEY' };
  if (secret && !id) return { set: 'AWS_SECRET_ACCESS_KEY', missing: 'AWS_ACCESS_KEY_ID' };
  return null;
}

/**
 * What to do when the SDK found no credentials. With AWS_PROFILE set, the SDK looks only for that profile: telling
 * the operator to set AWS_PROFILE would send them round in a circle, so the profile is named. On an always-on EC2
 * host the usual source is an instance role, which a set AWS_PROFILE hides. Half a key pair in the environment is
 * named as such. Pure.
 */
export function awsCredentialsRemedy(env: AwsCredentialVariables): string {
  const profile = env.AWS_PROFILE;
  if (profile)
    return (
      `no AWS credentials were found for the profile '${profile}' that AWS_PROFILE names: add it to ~/.aws/config ` +
      `or ~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE), run aws sso login --profile ` +
      `${profile} for an SSO profile, or unset AWS_PROFILE to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ` +
      `this EC2 host's instance role`
    );
  const gap = awsKeyPairGap(env);
  if (gap)
    return (
      `${gap.set} is set but ${gap.missing} is empty or missing, and the AWS SDK takes the pair only whole: set ` +
      `${gap.missing} beside it (in the unit's EnvironmentFile under systemd), or remove ${gap.set} to use ` +
      `AWS_PROFILE or this EC2 host's instance role`
    );
  return (
    'no AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso ' +
    'login, or attach an instance role to this EC2 host'
  );
}

/**
 * One line: what failed, where, why, and what to change. On the command line the classified message's own
 * advice (which speaks of Settings) is replaced by the remedy; its first clause (the cause) is kept.
 */
export function renderProblem(p: ConnectionProblem, surface: Surface, opts: { retrying: boolean }): string {
  if (surface === 'app') return `${NAME[p.service]} could not be read at ${p.endpoint}: ${p.detail}`;
  const then = opts.retrying ? ' (retrying every poll)' : '';
  return `${NAME[p.service]} could not be read at ${p.endpoint} (${cliCause(p)}): ${remedy(p)}${then}`;
}

/**
 * A failed one-off check on the command line (`headless --check`), as one line. The classified message speaks to
 * the app (its screens) and to the engine (its next poll); a check has neither. Where the message would say
 * either, its cause is kept and what to change on the command line follows. Messages about the request itself (a
 * wrong AMI id, no capacity, not a ClearML server) already say what to fix and are kept whole.
 */
export function checkText(p: ConnectionProblem): string {
  switch (p.kind) {
    case 'auth':
    case 'unreachable':
    case 'timeout':
      return `${cliCause(p)}: ${remedy(p)}`;
    case 'throttle':
    case 'other':
      return p.service === 'ec2' ? `${cliCause(p)}: try again in a moment` : p.detail;
    default:
      return p.detail;
  }
}

function cliCause(p: ConnectionProblem): string {
  return p.code === 'CredentialsProviderError' || p.code === 'TokenProviderError'
    ? 'no credentials'
    : causeOf(p.detail);
}

export function renderCleared(c: NonNullable<ConnectionTransition['cleared']>, now: number): string {
  const secs = Math.max(0, Math.round((now - c.since) / 1000));
  const lasted = secs < 120 ? `${secs} s` : `${Math.round(secs / 60)} min`;
  return `${NAME[c.problem.service]} answers again at ${c.problem.endpoint} (it failed for ${lasted})`;
}

/** The cause part of a classified message: up to its first ": " advice or sentence end. */
function causeOf(detail: string): string {
  // "; retrying …" too: the line ends with its own "(retrying every poll)".
  const cut = detail.search(
    /(: (check|add|enter|re-enter|use|refresh|fix|set|put|ask|it may|retrying|the autoscaler|autoscaling|its certificate)|; retrying)/i,
  );
  const head = cut > 0 ? detail.slice(0, cut) : detail;
  return head.replace(/\.$/, '');
}

/**
 * Remembers the current problem per service; a problem of another kind on the same service counts as a new one,
 * once per outage: a network that flips between a timeout and a refused connection is one outage told twice, not a
 * line per flip.
 */
export class ConnectionWatch {
  private readonly current = new Map<Service, { problem: ConnectionProblem; since: number; told: Set<string> }>();

  update(service: Service, problem: ConnectionProblem | null, now: number): ConnectionTransition | null {
    const was = this.current.get(service);
    if (!problem) {
      if (!was) return null;
      this.current.delete(service);
      return { service, cleared: { problem: was.problem, since: was.since } };
    }
    const sig = signature(problem);
    const told = was?.told ?? new Set<string>();
    this.current.set(service, { problem, since: was?.since ?? now, told });
    if (told.has(sig)) return null;
    told.add(sig);
    return { service, started: problem };
  }

  problem(service: Service): ConnectionProblem | null {
    return this.current.get(service)?.problem ?? null;
  }
}

/** Kind and endpoint: the same failure seen through another call (or another HTTP code) is not news. */
function signature(p: ConnectionProblem): string {
  return `${p.kind}|${p.endpoint}`;
}
