/**
 * "Test connection" for the credentials screen: one cheap authenticated call per service, with the outcome
 * explained in words. ClearML: the engine's own client `checkAuth()` (so the test exercises the code that will
 * poll).
 * AWS: a DryRun DescribeInstances, which proves both the keys and the permission without reading anything.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createClearmlClient } from '../clearml/client.js';
import type { AwsCredentials, ClearmlCredentials } from '../controller.js';
import { ClearmlError } from '../ports.js';
import {
  keysMayGoTo,
  resolveCredentials,
  type CredentialFallback,
  type ServiceDeps,
  type TestResult,
} from './handlers.js';
import type { SecretStore } from './secret-store.js';
import type { SettingsRepo } from './settings-repo.js';

export async function testClearml(opts: {
  apiHost: string;
  credentials: ClearmlCredentials | null;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}): Promise<TestResult> {
  if (!opts.credentials) {
    return {
      ok: false,
      message: 'No ClearML credentials are stored. Enter an access key and secret, or import them from clearml.conf.',
      details: [],
    };
  }
  const host = opts.apiHost.trim().replace(/\/+$/, '');
  const client = createClearmlClient({
    apiHost: host,
    credentials: opts.credentials,
    timeoutMs: opts.timeoutMs ?? 10_000,
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  });
  try {
    const { user } = await client.checkAuth();
    return { ok: true, message: `Connected to ${host} as ${user}.`, details: [] };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const kind = err instanceof ClearmlError ? err.kind : null;
    switch (kind) {
      case 'auth':
        return {
          ok: false,
          message:
            'The ClearML server rejected these credentials. Create a new access key and secret in the ClearML web ' +
            'app (Settings → Workspace → Create new credentials) and enter them again.',
          details: [detail],
        };
      case 'unreachable':
      case 'timeout':
        return {
          ok: false,
          message: `Could not reach the ClearML server at ${host}. Check the API host in Settings and your network.`,
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

const REJECTED = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ExpiredToken',
  'RequestExpired',
]);

export async function testAws(opts: {
  region: string;
  /** null: the AWS SDK default chain (environment, profiles, SSO). */
  credentials: AwsCredentials | null;
  endpoint?: string;
}): Promise<TestResult> {
  const client = new EC2Client({
    region: opts.region,
    maxAttempts: 1,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
  const source = opts.credentials ? 'the stored AWS keys' : 'the AWS SDK default credentials';
  try {
    await client.send(new DescribeInstancesCommand({ DryRun: true, MaxResults: 5 }));
    return { ok: true, message: `AWS accepted ${source} in ${opts.region}.`, details: [] };
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    const text = err instanceof Error ? err.message : String(err);
    if (name === 'DryRunOperation') {
      return { ok: true, message: `AWS accepted ${source} in ${opts.region}.`, details: [] };
    }
    if (name === 'UnauthorizedOperation') {
      return {
        ok: false,
        message: `AWS accepted ${source}, but they may not describe EC2 instances. Add the EC2 permissions from the README to the IAM policy.`,
        details: [`${name}: ${text}`],
      };
    }
    if (REJECTED.has(name)) {
      return {
        ok: false,
        message: `AWS rejected ${source} (${name}). Check the access key id and secret, or create a new access key in the IAM console.`,
        details: [`${name}: ${text}`],
      };
    }
    if (name === 'CredentialsProviderError') {
      return {
        ok: false,
        message:
          'No AWS credentials were found. Enter an access key here, or configure a profile or environment variables.',
        details: [text],
      };
    }
    return {
      ok: false,
      message: `Could not check the AWS credentials in ${opts.region} (${name}). Check the region and your network.`,
      details: [text],
    };
  } finally {
    client.destroy();
  }
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
    clearml: async () => {
      const apiHost = deps.settings.get().config?.clearml.apiHost ?? deps.fallbackApiHost?.() ?? null;
      if (!apiHost) {
        return {
          ok: false,
          message:
            'There is no ClearML API host yet. Enter it in Settings (for example https://api.clear.ml) and test again.',
          details: [],
        };
      }
      const settings = deps.settings.get();
      if ((await deps.secrets.get('clearml')) !== null && settings.config && !keysMayGoTo(settings, apiHost)) {
        return {
          ok: false,
          message:
            `The stored ClearML keys were not sent to ${apiHost}: that host was never confirmed for them. Save ` +
            'Settings and confirm the host, or enter the keys for it again.',
          details: [],
        };
      }
      const creds = await resolveCredentials(deps.secrets, undefined, deps.fallback);
      return testClearml({ apiHost, credentials: creds.clearml });
    },
    aws: async () => {
      const creds = await resolveCredentials(deps.secrets, undefined, deps.fallback);
      return testAws({
        region: deps.settings.get().config?.aws.region ?? 'us-east-1',
        credentials: creds.aws,
        ...(deps.awsEndpoint ? { endpoint: deps.awsEndpoint } : {}),
      });
    },
  };
}
