/**
 * Turns anything an EC2 call can throw (SDK service exceptions carrying the EC2 code in `name`, Node network
 * errors, credential-chain errors) into an `Ec2Error` whose kind drives the engine and whose message tells
 * the user what happens next or what to fix.
 *
 * kinds: capacity → try the next placement / market; spot-role → spot launches are refused until the Spot
 * service-linked role exists: try on-demand where the resource allows it, and name the IAM fix; throttle → slow down, retry next poll; auth → stop and ask the user; invalid → stop, the configuration is wrong;
 * unreachable → retry next poll; other → retry next poll (and report). Messages never contain credentials: AWS
 * messages are clipped, and for credential errors they are not quoted at all.
 */
import type { Market } from '../../../shared/domain.js';
import { Ec2Error, type Ec2ErrorKind } from '../ports.js';
import { PROXY_REFUSED_CODE, proxyRefusal, proxyRefusalText } from '../net/proxy.js';
import { UNTRUSTED_CA_CODES, UNTRUSTED_CA_HINT, isUntrustedCa } from '../net/trust.js';
import { clockPlace, type Surface } from '../surface.js';

export interface Ec2ErrorContext {
  /** EC2 action, e.g. `RunInstances`; named in permission errors as `ec2:RunInstances`. */
  action?: string;
  region?: string;
  instanceType?: string;
  market?: Market;
  /** Subnet id or zone the launch targeted. */
  placement?: string;
  /** What the caller does next, e.g. "trying the next subnet"; appended to capacity messages. */
  next?: string;
  /** Who reads the message: it names where they change the keys (default the app's Credentials tab). */
  surface?: Surface;
}

/**
 * A spot launch in an account without the Spot service-linked role, by credentials that may not create it: nothing
 * is wrong with the credentials for anything else, and on-demand launches work. A spot-market problem, not auth.
 */
export const SPOT_ROLE_MISSING = 'AuthFailure.ServiceLinkedRoleCreationNotPermitted';

/**
 * EC2's answers for no room to launch (a shortage, a quota, a price): the launcher moves on to the next placement
 * or market. The EC2 emulator refuses with the same list (a capacity refusal binds a launch's client token and
 * leaves a spot request open), so the engine and the emulator cannot disagree on what capacity is.
 */
export const CAPACITY_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientAddressCapacity',
  'InsufficientFreeAddressesInSubnet',
  'InsufficientVolumeCapacity',
  'UnfulfillableCapacity',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
]);

/** Capacity codes that are a quota or price for the whole market, not a shortage in one placement. */
const MARKET_WIDE = new Set([
  SPOT_ROLE_MISSING,
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
  'SpotMaxPriceTooLow',
]);

const THROTTLE = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'SlowDown',
  'Unavailable',
  'ServiceUnavailable',
]);

const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'OptInRequired',
  'Blocked',
  'PendingVerification',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'CredentialsProviderError',
  'TokenProviderError',
]);

const INVALID = new Set([
  'InvalidParameterValue',
  'InvalidParameter',
  'InvalidParameterCombination',
  'InvalidParameterDependency',
  'MissingParameter',
  'UnknownParameter',
  'InvalidAction',
  'InvalidQueryParameter',
  'MalformedQueryString',
  'InvalidGroup.NotFound',
  'InvalidKeyPair.NotFound',
  'InvalidBlockDeviceMapping',
  'InvalidInstanceType',
  'InvalidUserData.Malformed',
  'InvalidAvailabilityZone',
  'InvalidIamInstanceProfile.NotFound',
  'UserDataTooLarge',
]);

/** Code prefixes (`InvalidAMIID.NotFound`, `InvalidSubnetID.Malformed`, …) that always mean a bad configuration. */
const INVALID_PREFIXES = [
  'InvalidAMIID.',
  'InvalidSubnetID.',
  'InvalidSubnet.',
  'InvalidGroupId.',
  'InvalidGroup.',
  'InvalidSecurityGroupID.',
  'InvalidKeyPair.',
  'InvalidSnapshot.',
  'InvalidSnapshotID.',
  'InvalidInstanceID.',
  'InvalidPlacementGroup.',
  'InvalidIamInstanceProfile.',
];

const NETWORK_CODES = new Set([
  PROXY_REFUSED_CODE,
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Names that say nothing about the failure; a network code found inside is the better code. */
const GENERIC_NAMES = new Set(['Error', 'AggregateError', 'TypeError', 'SystemError']);

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/** The facts read from any thrown value; exported for tests of the reading itself. */
export interface ErrorFacts {
  code: string;
  message: string;
  status: number | null;
  /** A Node network error code (ECONNREFUSED …) found on the error or its causes. */
  networkCode: string | null;
  /** The HTTP status a proxy refused the connection with (a tunnel refused, or a plain-HTTP 407), else null. */
  proxyStatus: number | null;
}

/** The facts of an answer known only by its error code (and message): no HTTP status, no network failure. */
export function codeFacts(code: string, message = ''): ErrorFacts {
  return { code, message, status: null, networkCode: null, proxyStatus: null };
}

export function readErrorFacts(err: unknown): ErrorFacts {
  if (err instanceof Ec2Error) return codeFacts(err.code, err.message);
  const rec = isRecord(err) ? err : {};
  const meta = isRecord(rec['$metadata']) ? rec['$metadata'] : {};
  const status = typeof meta['httpStatusCode'] === 'number' ? meta['httpStatusCode'] : null;
  const networkCode = findNetworkCode(err, 0);
  const codeField = typeof rec['Code'] === 'string' ? rec['Code'] : null;
  const name = typeof rec['name'] === 'string' ? rec['name'] : null;
  const generic = !name || GENERIC_NAMES.has(name);
  const code =
    codeField ??
    (networkCode && generic ? networkCode : null) ??
    (name && !generic ? name : null) ??
    (status ? `HTTP${status}` : 'Unknown');
  const message = typeof rec['message'] === 'string' ? rec['message'] : typeof err === 'string' ? err : '';
  // A proxy asking for a login answers a plain-HTTP request itself, with a 407 the SDK cannot parse.
  const proxyStatus = proxyRefusal(err) ?? (status === 407 ? 407 : null);
  return { code, message, status, networkCode, proxyStatus };
}

export function classifyEc2Error(err: unknown, ctx: Ec2ErrorContext = {}): Ec2Error {
  if (err instanceof Ec2Error) return err;
  const facts = readErrorFacts(err);
  const kind = kindOf(facts);
  const networkCode = facts.proxyStatus !== null ? PROXY_REFUSED_CODE : facts.networkCode;
  return new Ec2Error(kind, facts.code, messageFor(kind, facts, ctx), networkCode ?? undefined);
}

export function kindOf(f: ErrorFacts): Ec2ErrorKind {
  const { code, status } = f;
  if (f.proxyStatus !== null) return 'unreachable';
  if (code === SPOT_ROLE_MISSING) return 'spot-role';
  if (CAPACITY_CODES.has(code)) return 'capacity';
  if (code === 'Unsupported') return /availability zone/i.test(f.message) ? 'capacity' : 'invalid';
  if (THROTTLE.has(code) || status === 429 || status === 503) return 'throttle';
  if (AUTH.has(code) || code.startsWith('AuthFailure.')) return 'auth';
  if (INVALID.has(code) || INVALID_PREFIXES.some((p) => code.startsWith(p))) return 'invalid';
  if (f.networkCode || NETWORK_NAMES.has(code)) return 'unreachable';
  if (status === 401 || status === 403) return 'auth';
  return 'other';
}

/** Quota/price errors hold for every placement of the market; a shortage holds only where it happened. */
export function capacityScope(code: string): 'market' | 'placement' {
  return MARKET_WIDE.has(code) ? 'market' : 'placement';
}

/** EC2 answers with a server error that the same request (same client token) may safely repeat. */
export function isTransientServerError(err: unknown): boolean {
  const f = readErrorFacts(err);
  if (CAPACITY_CODES.has(f.code) || f.code === SPOT_ROLE_MISSING || THROTTLE.has(f.code)) return false;
  if (f.code === 'InternalError' || f.code === 'InternalFailure' || f.code === 'ServerInternal') return true;
  // A dropped connection mid-request is worth one more try; a refused or unresolvable one is not.
  if (f.networkCode === 'ECONNRESET' || f.networkCode === 'EPIPE' || f.code === 'TimeoutError') return true;
  return f.status !== null && f.status >= 500 && f.status !== 503 && !f.networkCode && kindOf(f) === 'other';
}

/** EC2's own failures: it answered, so neither the region nor the network is at fault, and it may have acted. */
export const EC2_SIDE_FAILURES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'ServerInternal',
  'ServiceUnavailable',
  'Unavailable',
]);

/**
 * A failure after which EC2 may still have carried the request out: the answer was lost or the server failed
 * midway (a 5xx, ServiceUnavailable, a connection reset or a stalled answer), as opposed to a refusal EC2 makes
 * before acting (a throttle, a bad parameter, the keys, no capacity) or a connection never made. A RunInstances
 * that failed so may have launched an instance EC2 does not list yet: it is sent again as the same request (same
 * client token), which EC2 answers with that instance rather than a second one.
 */
export function mayHaveActed(err: Ec2Error): boolean {
  if (EC2_SIDE_FAILURES.has(err.code)) return true;
  if (err.code === 'TimeoutError' || err.code === 'RequestTimeout') return true;
  return err.networkCode === 'ECONNRESET' || err.networkCode === 'EPIPE';
}

// ---------------------------------------------------------------- messages

function messageFor(kind: Ec2ErrorKind, f: ErrorFacts, ctx: Ec2ErrorContext): string {
  switch (kind) {
    case 'capacity':
    case 'spot-role':
      return capacityMessage(f, ctx);
    case 'throttle':
      return (
        `AWS is throttling EC2 API calls for this account and region (${f.code}): the autoscaler slows down and ` +
        `tries again on a later poll. Other tools using the same account share this limit.`
      );
    case 'auth':
      return authMessage(f, ctx);
    case 'invalid':
      return invalidMessage(f, ctx);
    case 'unreachable':
      if (f.proxyStatus !== null)
        return `The proxy refused the connection to the EC2 API${ctx.region ? ` in ${ctx.region}` : ''}: ${proxyRefusalText(f.proxyStatus)}.`;
      if (isUntrustedCa(f.networkCode)) {
        return `The EC2 API${ctx.region ? ` in ${ctx.region}` : ''} is not trusted (${f.networkCode}): ${UNTRUSTED_CA_HINT}.`;
      }
      return (
        `Cannot reach the EC2 API${ctx.region ? ` in ${ctx.region}` : ''} (${f.networkCode ?? f.code}): check the ` +
        `network connection, proxy and region; the autoscaler tries again on the next poll.`
      );
    case 'other':
      return otherMessage(f, ctx);
  }
}

/** The capacity message for a code in a context; the launcher uses it to say what it does next. */
export function describeCapacity(code: string, ctx: Ec2ErrorContext): string {
  return capacityMessage(codeFacts(code), ctx);
}

/**
 * Worded from what was tried: `ctx.next` is what the launcher does next, and without one this market was the last
 * tried. So on-demand advice goes only to a spot launch with nowhere left to go (its resource does not fall back),
 * never to an on-demand launch that itself failed.
 */
function capacityMessage(f: ErrorFacts, ctx: Ec2ErrorContext): string {
  const type = ctx.instanceType ?? 'the instance type';
  const market = ctx.market === 'spot' ? 'Spot' : ctx.market === 'on-demand' ? 'On-demand' : 'EC2';
  const where = ctx.placement ? ` in ${ctx.placement}` : '';
  const then = ctx.next ? `: ${ctx.next}` : '';
  const spotLast = ctx.market === 'spot' && !ctx.next;
  const fallback = 'allow the fallback to on-demand (spotFallbackToOnDemand)';
  switch (f.code) {
    case 'MaxSpotInstanceCountExceeded':
      return (
        `The account's spot instance quota is used up (MaxSpotInstanceCountExceeded)${then}. Request a higher ` +
        `"Spot Instance Requests" vCPU quota for this instance family in Service Quotas` +
        `${spotLast ? `, or ${fallback}` : ''}.`
      );
    case 'VcpuLimitExceeded':
    case 'InstanceLimitExceeded':
      return ctx.market === 'spot'
        ? `The account's spot vCPU quota for ${type} is used up (${f.code})${then}. Request a higher "Spot ` +
            `Instance Requests" quota for this instance family in Service Quotas` +
            `${spotLast ? `, or ${fallback}` : ''}.`
        : `The account's on-demand vCPU quota for ${type} is used up (${f.code})${then}. Request an increase in ` +
            `Service Quotas (e.g. L-DB2E81BA for G and VT instances, L-1216C47A for standard ones) or lower max ` +
            `instances.`;
    case SPOT_ROLE_MISSING:
      return (
        `Spot launches need the service-linked role AWSServiceRoleForEC2Spot, which this account does not have and ` +
        `these credentials may not create (${f.code})${then}. Create it once with \`aws iam ` +
        `create-service-linked-role --aws-service-name spot.amazonaws.com\`, or allow iam:CreateServiceLinkedRole.`
      );
    case 'SpotMaxPriceTooLow':
      // The app sets no maximum price, so the cap is the on-demand price: spot costs more than on-demand now.
      return (
        `The spot price for ${type}${where} is above the on-demand price, the most a spot request without a ` +
        `maximum price (as the app sends) pays (SpotMaxPriceTooLow)${then}` +
        `${spotLast ? `. On-demand costs less there now: ${fallback}.` : '.'}`
      );
    case 'InsufficientFreeAddressesInSubnet':
      return `Subnet ${ctx.placement ?? ''} has no free IP addresses left for ${type}${then || ': add another subnet'}.`;
    case 'Unsupported':
      return `${type} is not offered${where} (Unsupported)${then || ': choose another subnet or zone'}.`;
    default:
      return (
        `${market} capacity for ${type}${where} is exhausted (${f.code})` +
        (then ||
          (spotLast
            ? `: add more subnets or zones, or ${fallback}`
            : ctx.market === 'on-demand'
              ? ': add more subnets or zones, or another instance type'
              : ': add more subnets or zones'))
      );
  }
}

function authMessage(f: ErrorFacts, ctx: Ec2ErrorContext): string {
  const action = ctx.action ? `ec2:${ctx.action}` : 'this EC2 action';
  switch (f.code) {
    case 'UnauthorizedOperation':
    case 'AccessDenied':
    case 'AccessDeniedException':
      return (
        `The AWS identity is not allowed to call ${action}` +
        (ctx.action === 'RunInstances' ? ' (or iam:PassRole on the instance profile)' : '') +
        ` (${f.code}): add it to the IAM policy of these credentials.`
      );
    case 'OptInRequired':
      return 'This AWS account is not subscribed to EC2 in this region (OptInRequired): enable the region or the service.';
    case 'Blocked':
    case 'PendingVerification':
      return `The AWS account cannot use EC2 yet (${f.code}): contact AWS Support or wait for account verification.`;
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'RequestExpired':
      return (
        `The AWS session has expired (${f.code}): refresh the credentials (e.g. \`aws sso login\`) and check that ` +
        `${clockPlace(ctx.surface)} is correct.`
      );
    case 'CredentialsProviderError':
    case 'TokenProviderError':
      return ctx.surface === 'cli'
        ? "No AWS credentials were found on the engine's host: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and " +
            'AWS_SECRET_ACCESS_KEY, or run aws sso login there, or attach an instance role to it.'
        : 'No AWS credentials were found: enter an access key in the Credentials tab, or configure the AWS CLI ' +
            '(environment variables, ~/.aws/credentials or SSO).';
    default:
      return (
        `AWS rejected the credentials (${f.code}): check ` +
        (ctx.surface === 'cli'
          ? "the credentials the engine's process uses on its host (AWS_PROFILE, or AWS_ACCESS_KEY_ID and " +
            'AWS_SECRET_ACCESS_KEY)'
          : 'the access key and secret in the Credentials tab') +
        `, and that ${clockPlace(ctx.surface)} is correct.`
      );
  }
}

function invalidMessage(f: ErrorFacts, ctx: Ec2ErrorContext): string {
  const aws = clip(f.message);
  const region = ctx.region ? ` in ${ctx.region}` : '';
  const fix = f.code.startsWith('InvalidAMIID.')
    ? `check the AMI id and that the AMI exists${region}`
    : f.code.startsWith('InvalidSubnet')
      ? `check the subnet ids and that they are${region}`
      : f.code.startsWith('InvalidGroup') || f.code.startsWith('InvalidSecurityGroup')
        ? 'check the security group ids and that they belong to the VPC of the subnets'
        : f.code.startsWith('InvalidKeyPair.')
          ? `check the key pair name${region}`
          : f.code.startsWith('InvalidSnapshot')
            ? 'check the EBS snapshot id'
            : f.code.startsWith('InvalidIamInstanceProfile.')
              ? 'check the IAM instance profile'
              : f.code.startsWith('InvalidInstanceID.')
                ? 'the instance id is unknown to EC2 (it may be gone already)'
                : 'fix the resource settings';
  return `EC2 rejected ${ctx.action ?? 'the request'} (${f.code}${aws ? `: ${aws}` : ''}): ${fix}.`;
}

function otherMessage(f: ErrorFacts, ctx: Ec2ErrorContext): string {
  if (f.code === 'IdempotentParameterMismatch') {
    return (
      'EC2 saw a launch token reused with different parameters (IdempotentParameterMismatch): this is a bug in ' +
      'the autoscaler; the next launch uses a new token.'
    );
  }
  const aws = clip(f.message);
  return `EC2 ${ctx.action ?? 'call'} failed (${f.code}${aws ? `: ${aws}` : ''}): the autoscaler tries again on the next poll.`;
}

/**
 * An EC2 error's text for a call nobody repeats (the termination a quitting app asks for): the promise that the
 * autoscaler tries again at a later poll, which the loop's own calls keep, is left out; the rest (the code, what to
 * fix) stays.
 */
export function withoutRetryPromise(message: string): string {
  return message.replace(/[:;] the autoscaler (?:slows down and )?tries again on (?:the next|a later) poll\./, '.');
}

// ---------------------------------------------------------------- helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function findNetworkCode(err: unknown, depth: number): string | null {
  if (!isRecord(err) || depth > 5) return null;
  const code = err['code'];
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNTRUSTED_CA_CODES.has(code))) return code;
  const errors = err['errors'];
  if (Array.isArray(errors)) {
    for (const e of errors) {
      const found = findNetworkCode(e, depth + 1);
      if (found) return found;
    }
  }
  return findNetworkCode(err['cause'], depth + 1);
}

/** AWS messages can carry long encoded authorization blobs: keep the readable head only. */
function clip(message: string): string {
  const head = message.split(/Encoded authorization failure message:/i)[0]!.trim();
  return head.length > 240 ? `${head.slice(0, 239)}…` : head;
}
