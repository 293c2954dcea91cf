/**
 * Creating the lease table on the user's request (`--create-lease-table`): DescribeTable, CreateTable when it is
 * missing (on-demand billing, one string hash key `pk`), then DescribeTable until ACTIVE, reporting each step.
 */
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock } from '../ports.js';
import { dynamoClient, leaseError, LeaseError, type AwsClientOptions } from './lease-store.js';

export type TableProgress =
  | { step: 'exists'; status: string }
  | { step: 'creating' }
  | { step: 'waiting'; status: string; waitedMs: number }
  | { step: 'active'; created: boolean };

export async function ensureLeaseTable(
  opts: AwsClientOptions & {
    table: string;
    onProgress?: (p: TableProgress) => void;
    clock?: Clock;
    /** Default 2 min (DynamoDB usually needs seconds). */
    timeoutMs?: number;
    pollMs?: number;
  },
): Promise<{ created: boolean }> {
  const clock = opts.clock ?? systemClock;
  const client = dynamoClient(opts);
  const { table } = opts;
  const describe = async (): Promise<string | null> => {
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: table }));
      return out.Table?.TableStatus ?? 'UNKNOWN';
    } catch (e) {
      if ((e as { name?: string })?.name === 'ResourceNotFoundException') return null;
      throw leaseError(e, 'dynamodb:DescribeTable', table);
    }
  };
  try {
    let status = await describe();
    let created = false;
    if (status === null) {
      opts.onProgress?.({ step: 'creating' });
      try {
        await client.send(
          new CreateTableCommand({
            TableName: table,
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
            Tags: [{ Key: 'clearml-autoscaler:purpose', Value: 'leader lease' }],
          }),
        );
        created = true;
      } catch (e) {
        // Another engine (or person) created it at the same moment: fine, wait for it like our own.
        if (!(e instanceof ResourceInUseException)) throw leaseError(e, 'dynamodb:CreateTable', table);
      }
      status = await describe();
    } else {
      opts.onProgress?.({ step: 'exists', status });
    }
    const start = clock.now();
    while (status !== 'ACTIVE') {
      const waited = clock.now() - start;
      if (waited > (opts.timeoutMs ?? 120_000))
        throw new LeaseError(
          'other',
          `the lease table '${table}' is still ${status ?? 'missing'} after ${Math.round(waited / 1000)} s: check it in the DynamoDB console`,
        );
      opts.onProgress?.({ step: 'waiting', status: status ?? 'missing', waitedMs: waited });
      await clock.sleep(opts.pollMs ?? 2_000);
      status = await describe();
    }
    opts.onProgress?.({ step: 'active', created });
    return { created };
  } finally {
    client.destroy();
  }
}
