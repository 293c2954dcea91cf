/**
 * The leader lease on DynamoDB (@aws-sdk/client-dynamodb): one item per (account, region, workers prefix), read
 * with a consistent GetItem and written with conditional PutItems (lease-decision.ts says which condition). The
 * account comes from STS GetCallerIdentity, once per store. Errors leave this module as `LeaseError`, whose message
 * names the IAM action that was refused or says what else to fix.
 *
 * Endpoint: with no `endpoint` option the SDK resolves it itself, so `AWS_ENDPOINT_URL_DYNAMODB` /
 * `AWS_ENDPOINT_URL_STS` (or `AWS_ENDPOINT_URL`) point it at moto or any compatible service, as for EC2.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { randomUUID } from 'node:crypto';
import type { LeaseItem, WriteCondition } from './lease-decision.js';
import { awsRequestHandler } from '../net/proxy.js';

export interface LeaseKey {
  account: string;
  region: string;
  prefix: string;
}

/** One lease: the one for this engine's (account, region, workers prefix). */
export interface LeaseStore {
  readonly table: string;
  /** The key, once the account is known (resolved by the first read). */
  key(): Promise<LeaseKey>;
  read(): Promise<LeaseItem | null>;
  /** false: the condition did not hold (another engine wrote in between). */
  write(item: Omit<LeaseItem, 'rvn'>, condition: WriteCondition): Promise<{ ok: true; rvn: string } | { ok: false }>;
  /** Deletes the item if this engine holds it (a clean stop hands over at once). */
  release(holderId: string): Promise<void>;
  close(): void;
}

export type LeaseErrorKind = 'access' | 'no-table' | 'throttle' | 'unreachable' | 'credentials' | 'other';

export class LeaseError extends Error {
  constructor(
    readonly kind: LeaseErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'LeaseError';
  }
}

export interface AwsClientOptions {
  region: string;
  /** null/absent: the SDK default chain, as for EC2. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
  /** One endpoint for DynamoDB and STS (tests against moto); absent: the SDK's own resolution. */
  endpoint?: string;
}

export function dynamoClient(opts: AwsClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region: opts.region,
    maxAttempts: 2,
    requestHandler: awsRequestHandler({ requestTimeout: 5_000, connectionTimeout: 3_000 }),
    ...(opts.credentials ? { credentials: { ...opts.credentials } } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
}

/** The AWS account the credentials belong to (sts:GetCallerIdentity, which no IAM policy can deny). */
export async function accountId(opts: AwsClientOptions): Promise<string> {
  const sts = new STSClient({
    region: opts.region,
    maxAttempts: 2,
    requestHandler: awsRequestHandler({ requestTimeout: 5_000, connectionTimeout: 3_000 }),
    ...(opts.credentials ? { credentials: { ...opts.credentials } } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new LeaseError('other', 'STS GetCallerIdentity answered without an account id');
    return out.Account;
  } catch (e) {
    throw leaseError(e, 'sts:GetCallerIdentity', '');
  } finally {
    sts.destroy();
  }
}

/** Any error of a DynamoDB or STS call as a `LeaseError` that says what to do. */
export function leaseError(e: unknown, action: string, table: string): LeaseError {
  if (e instanceof LeaseError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const code = (e as { code?: string })?.code ?? '';
  const msg = e instanceof Error ? e.message.slice(0, 300) : String(e);
  const on = table ? ` on table '${table}'` : '';
  // A 403 is a refusal even when its body did not parse (some compatible endpoints answer XML to a JSON API).
  const status =
    (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ??
    (e as { $response?: { statusCode?: number } })?.$response?.statusCode;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name) || status === 403)
    return new LeaseError(
      'access',
      `AWS refused ${action}${on} (${/AccessDenied|Unauthorized|NotAuthorized/i.test(name) ? name : 'HTTP 403'}): add ${action} to the IAM policy of these credentials (README, "Team mode")`,
    );
  if (name === 'ResourceNotFoundException')
    return new LeaseError(
      'no-table',
      `the lease table '${table}' does not exist: create it with 'npm run headless -- --config <file> --create-lease-table' (or Settings), or remove team.leaseTable`,
    );
  if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|LimitExceeded/i.test(name))
    return new LeaseError('throttle', `DynamoDB is throttling ${action} (${name}): the next tick tries again`);
  if (/UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidClientToken|CredentialsProviderError/i.test(name))
    return new LeaseError('credentials', `the AWS credentials were refused for ${action} (${name}): check them`);
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|TimeoutError/i.test(`${code} ${name} ${msg}`))
    return new LeaseError('unreachable', `DynamoDB could not be reached for ${action}: ${msg}`);
  return new LeaseError('other', `${action} failed${on}: ${name ? `${name}: ` : ''}${msg}`);
}

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(Math.round(v)) });

function itemOf(raw: Record<string, AttributeValue> | undefined): LeaseItem | null {
  if (!raw) return null;
  const num = (k: string) => Number(raw[k]?.N);
  const item: LeaseItem = {
    holderId: raw.holderId?.S ?? '',
    holderHost: raw.holderHost?.S ?? 'unknown host',
    acquiredAt: num('acquiredAt'),
    expiresAt: num('expiresAt'),
    rvn: raw.rvn?.S ?? '',
  };
  // A foreign or torn item counts as expired long ago, under its own version: it can be taken over.
  if (!Number.isFinite(item.expiresAt)) item.expiresAt = 0;
  if (!Number.isFinite(item.acquiredAt)) item.acquiredAt = 0;
  return item;
}

export function createDynamoLeaseStore(
  opts: AwsClientOptions & { table: string; prefix: string; account?: () => Promise<string> },
): LeaseStore {
  const client = dynamoClient(opts);
  const table = opts.table;
  let keyP: Promise<LeaseKey> | null = null;
  const key = () =>
    (keyP ??= (opts.account ?? (() => accountId(opts)))().then(
      (account) => ({ account, region: opts.region, prefix: opts.prefix }),
      (e: unknown) => {
        keyP = null; // try again next tick
        throw e;
      },
    ));
  const pk = (k: LeaseKey) => `${k.account}#${k.region}#${k.prefix}`;

  return {
    table,
    key,
    async read() {
      const k = await key();
      try {
        const out = await client.send(
          new GetItemCommand({ TableName: table, Key: { pk: s(pk(k)) }, ConsistentRead: true }),
        );
        return itemOf(out.Item);
      } catch (e) {
        throw leaseError(e, 'dynamodb:GetItem', table);
      }
    },
    async write(item, condition) {
      const k = await key();
      const rvn = randomUUID();
      const cond: { ConditionExpression: string; ExpressionAttributeValues?: Record<string, AttributeValue> } =
        condition.kind === 'absent'
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : condition.kind === 'held-by'
            ? { ConditionExpression: 'holderId = :me', ExpressionAttributeValues: { ':me': s(condition.holderId) } }
            : { ConditionExpression: 'rvn = :rvn', ExpressionAttributeValues: { ':rvn': s(condition.rvn) } };
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              pk: s(pk(k)),
              account: s(k.account),
              region: s(k.region),
              prefix: s(k.prefix),
              holderId: s(item.holderId),
              holderHost: s(item.holderHost),
              acquiredAt: n(item.acquiredAt),
              expiresAt: n(item.expiresAt),
              rvn: s(rvn),
            },
            ...cond,
          }),
        );
        return { ok: true, rvn };
      } catch (e) {
        if (
          e instanceof ConditionalCheckFailedException ||
          (e as { name?: string })?.name === 'ConditionalCheckFailedException'
        )
          return { ok: false };
        throw leaseError(e, 'dynamodb:PutItem', table);
      }
    },
    async release(holderId) {
      const k = await key();
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: { pk: s(pk(k)) },
            ConditionExpression: 'holderId = :me',
            ExpressionAttributeValues: { ':me': s(holderId) },
          }),
        );
      } catch (e) {
        if ((e as { name?: string })?.name === 'ConditionalCheckFailedException') return;
        throw leaseError(e, 'dynamodb:DeleteItem', table);
      }
    },
    close() {
      client.destroy();
    },
  };
}
