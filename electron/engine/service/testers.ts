/**
 * "Test connection" for the credentials screen: one cheap authenticated call per service, with the outcome
 * explained in words. ClearML: the engine's own client `checkAuth()` (so the test exercises the code that will
 * poll).
 * AWS: the engine's own EC2 provider: DescribeInstances proves the keys, then `checkPermissions` dry-runs the
 * configured launch and names each missing IAM action.
 */
import type { Config } from '../../../shared/config.js';
import { createClearmlClient } from '../clearml/client.js';
import type { AwsCredentials, ClearmlCredentials } from '../controller.js';
import { checkPermissions, createEc2Provider } from '../ec2/provider.js';
import { launchBase } from '../launch-request.js';
import { ClearmlError, Ec2Error, type LaunchSpec } from '../ports.js';
import { checkText, fixedOutsideTheApp, problemFrom, type Surface } from '../connections.js';
import {
  engineCredentials,
  resolveCredentials,
  type CredentialFallback,
  type ServiceDeps,
  type TestResult,
  type UnsavedAws,
  type UnsavedClearml,
} from './handlers.js';
import type { SecretStore } from './secret-store.js';
import type { SettingsRepo } from './settings-repo.js';
import { errorText } from '../../../shared/error-text.js';
import { entryOf } from '../../../shared/data-record.js';

export async function testClearml(opts: {
  apiHost: string;
  credentials: ClearmlCredentials | null;
  /** Without credentials: why, and what to do where the test runs (the app's default names its own screens). */
  missing?: string;
  /**
   * Who reads the result (default the app): on the command line (`headless --check`) the advice names the config
   * field and environment variables instead of the app's screens.
   */
  surface?: Surface;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}): Promise<TestResult> {
  if (!opts.credentials) {
    return {
      ok: false,
      message:
        opts.missing ??
        'No ClearML credentials are stored. Enter an access key and secret, or import them from clearml.conf.',
      details: [],
    };
  }
  const host = opts.apiHost.trim().replace(/\/+$/, '');
  const client = createClearmlClient({
    apiHost: host,
    credentials: opts.credentials,
    timeoutMs: opts.timeoutMs ?? 10_000,
    oneShot: true,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  });
  try {
    const { user } = await client.checkAuth();
    return { ok: true, message: `Connected to ${host} as ${user}.`, details: [] };
  } catch (err) {
    const cli = opts.surface === 'cli';
    const detail = cli ? checkText(problemFrom('clearml', err, host)) : errorText(err);
    const kind = err instanceof ClearmlError ? err.kind : null;
    switch (kind) {
      case 'auth':
        return {
          ok: false,
          message:
            'The ClearML server rejected these credentials. Create a new access key and secret in the ClearML web ' +
            `app (Settings → Workspace → Create new credentials)${cli ? '.' : ' and enter them again.'}`,
          details: [detail],
        };
      case 'unreachable':
      case 'timeout':
        // A certificate from an authority this machine does not trust, or a proxy that refused: the message says
        // what to change, and it is not the API host.
        if (err instanceof ClearmlError && fixedOutsideTheApp(err.networkCode))
          return { ok: false, message: `${detail}.`, details: [] };
        return {
          ok: false,
          message: `Could not reach the ClearML server at ${host}.${cli ? '' : ' Check the API host in Settings and your network.'}`,
          details: [detail],
        };
      case 'not-found':
        return {
          ok: false,
          message: `${host} does not look like a ClearML API server. Use the API host (often https://api.…), not the web app's address.`,
          details: [detail],
        };
      default:
        return {
          ok: false,
          message: `The ClearML server at ${host} answered with an error; try again later.`,
          details: [detail],
        };
    }
  }
}

/** The launch the Test button dry-runs: the first resource of the first queue, as the engine would send it. */
export function permissionCheckSpec(
  config: Config,
  at: number,
  /** The startup script to send (default: a stub; a DryRun never runs it). */
  userData: (launch: { queue: string; resource: string }) => string = () =>
    '#!/bin/bash\n# permission check (DryRun): never runs\n',
): LaunchSpec | null {
  const [queue, entries] = Object.entries(config.queues)[0] ?? [];
  const resource = entries?.[0]?.resource;
  if (!queue || !resource) return null;
  const base = launchBase(config, { queue, resource, at }, userData({ queue, resource }));
  const res = entryOf(config.resources, resource);
  if (!base || !res) return null;
  const subnetId = res.subnetIds[0];
  const availabilityZone = res.availabilityZones[0];
  return {
    ...base,
    clientToken: 'permission-check',
    market: res.market,
    ...(subnetId ? { subnetId } : availabilityZone ? { availabilityZone } : {}),
  };
}

/**
 * The AWS half of "Test connection", through the engine's own EC2 provider: DescribeInstances proves the keys;
 * with a config, `checkPermissions` dry-runs a launch of its first resource (and tagging, terminating) and names
 * each IAM action the policy lacks.
 */
export async function testAws(opts: {
  region: string;
  /** null: the AWS SDK default chain (environment, profiles, SSO). */
  credentials: AwsCredentials | null;
  endpoint?: string;
  /** The saved config: with a resource in a queue, its launch is dry-run too. */
  config?: Config | null;
  now?: () => number;
  /** How the messages name the keys (default: stored, or the SDK's). */
  source?: string;
}): Promise<TestResult> {
  const ec2 = createEc2Provider({
    region: opts.region,
    credentials: opts.credentials,
    maxAttempts: 1,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
  const source = opts.source ?? (opts.credentials ? 'the stored AWS keys' : 'the AWS SDK default credentials');
  const accepted = `AWS accepted ${source} in ${opts.region}.`;
  try {
    try {
      await ec2.describeInstances(opts.config?.scaling.workersPrefix ?? 'clearml-autoscaler');
    } catch (err) {
      return explainAwsError(err, source, opts.region);
    }
    const spec = opts.config ? permissionCheckSpec(opts.config, (opts.now ?? Date.now)()) : null;
    if (!spec) return { ok: true, message: accepted, details: [] };
    const report = await checkPermissions(ec2, spec);
    if (report.ok) {
      return {
        ok: true,
        message: `${accepted} A DryRun launch of ${spec.instanceType}, tagging and terminating are allowed.`,
        details: report.details,
      };
    }
    if (report.missing.length) {
      return {
        ok: false,
        message:
          `AWS accepted ${source}, but the IAM policy does not allow ${report.missing.join(', ')}. ` +
          'Add the EC2 permissions from the README to the IAM policy.',
        details: report.details,
      };
    }
    return {
      ok: false,
      message: `AWS accepted ${source} in ${opts.region}, but some permissions could not be checked (see details).`,
      details: report.details,
    };
  } finally {
    ec2.close();
  }
}

function explainAwsError(err: unknown, source: string, region: string): TestResult {
  const code = err instanceof Ec2Error ? err.code : err instanceof Error ? err.name : 'Error';
  const kind = err instanceof Ec2Error ? err.kind : null;
  const text = errorText(err);
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied') {
    return {
      ok: false,
      message: `AWS accepted ${source}, but they may not describe EC2 instances. Add the EC2 permissions from the README to the IAM policy.`,
      details: [`${code}: ${text}`],
    };
  }
  if (code === 'CredentialsProviderError') {
    return {
      ok: false,
      message:
        'No AWS credentials were found. Enter an access key here, or configure a profile or environment variables.',
      details: [text],
    };
  }
  if (kind === 'auth') {
    return {
      ok: false,
      message: `AWS rejected ${source} (${code}). Check the access key id and secret, or create a new access key in the IAM console.`,
      details: [`${code}: ${text}`],
    };
  }
  return {
    ok: false,
    message: `Could not check the AWS credentials in ${region} (${code}). Check the region and your network.`,
    details: [text],
  };
}

/** The `testers` dependency of the handlers: tests whatever the engine would use right now. */
export function createCredentialTesters(deps: {
  settings: SettingsRepo;
  secrets: SecretStore;
  fallback?: CredentialFallback;
  /** ClearML API host from outside the saved config (environment, clearml.conf), for testing before setup. */
  fallbackApiHost?: () => string | null;
  awsEndpoint?: string;
}): ServiceDeps['testers'] {
  return {
    clearml: async (unsaved?: UnsavedClearml) => {
      if (unsaved) return testUnsavedClearml(deps, unsaved);
      const apiHost = deps.settings.get().config?.clearml.apiHost ?? deps.fallbackApiHost?.() ?? null;
      if (!apiHost) {
        return {
          ok: false,
          message:
            'There is no ClearML API host yet. Enter it in Settings (for example https://api.clear.ml) and test again.',
          details: [],
        };
      }
      // Before a config is saved there is no host rule yet: the keys are tested where they would go.
      const creds = await engineCredentials(
        { settings: deps.settings, secrets: deps.secrets, ...(deps.fallback ? { fallback: deps.fallback } : {}) },
        deps.settings.get().config ? apiHost : undefined,
      );
      return testClearml({
        apiHost,
        credentials: creds.clearml,
        ...(creds.clearmlMissing ? { missing: creds.clearmlMissing } : {}),
      });
    },
    aws: async (unsaved?: UnsavedAws) => {
      const creds = await resolveCredentials(deps.secrets, undefined, deps.fallback);
      const config = deps.settings.get().config;
      const typed =
        unsaved?.accessKeyId && unsaved.secretAccessKey
          ? { accessKeyId: unsaved.accessKeyId, secretAccessKey: unsaved.secretAccessKey }
          : null;
      return testAws({
        region: unsaved?.region ?? config?.aws.region ?? 'us-east-1',
        credentials: typed ?? creds.aws,
        ...(typed ? { source: 'these AWS keys' } : {}),
        config,
        ...(deps.awsEndpoint ? { endpoint: deps.awsEndpoint } : {}),
      });
    },
  };
}

/**
 * A ClearML host and keys typed in the first-run setup, before anything is saved. Keys left out are the ones the
 * engine would use for that host (from ~/clearml.conf or the environment, only for their own server).
 */
async function testUnsavedClearml(
  deps: Pick<Parameters<typeof createCredentialTesters>[0], 'settings' | 'secrets' | 'fallback'>,
  unsaved: UnsavedClearml,
): Promise<TestResult> {
  if (unsaved.accessKey && unsaved.secretKey) {
    return testClearml({
      apiHost: unsaved.apiHost,
      credentials: { accessKey: unsaved.accessKey, secretKey: unsaved.secretKey },
    });
  }
  const creds = await engineCredentials(
    { settings: deps.settings, secrets: deps.secrets, ...(deps.fallback ? { fallback: deps.fallback } : {}) },
    unsaved.apiHost,
  );
  return testClearml({
    apiHost: unsaved.apiHost,
    credentials: creds.clearml,
    ...(creds.clearmlMissing ? { missing: creds.clearmlMissing } : {}),
  });
}
