/**
 * `--create-lease-table`: creates the DynamoDB table a config names in `team.leaseTable` (or finds it), waits until
 * it is ACTIVE with a line per step, and exits 0; a refusal names the IAM action to add and exits 1.
 */
import type { Config } from '../../../shared/config.js';
import type { ResolvedCredentials } from '../controller.js';
import { errorText } from '../../../shared/error-text.js';
import { ensureLeaseTable, type TableProgress } from '../team/lease-table.js';

export function progressText(p: TableProgress, table: string, region: string): string {
  switch (p.step) {
    case 'exists':
      return `lease table '${table}' already exists in ${region} (${p.status})`;
    case 'creating':
      return `creating lease table '${table}' in ${region} (on-demand billing, key 'pk')…`;
    case 'waiting':
      return `waiting for '${table}' to become ACTIVE (${p.status}, ${Math.round(p.waitedMs / 1000)} s)…`;
    case 'active':
      return p.created
        ? `lease table '${table}' is ACTIVE: engines on this config now elect one leader`
        : `lease table '${table}' is ACTIVE`;
  }
}

export async function createLeaseTable(
  config: Config,
  creds: ResolvedCredentials,
  write: (line: string) => void,
  json: boolean,
): Promise<number> {
  const table = config.team.leaseTable;
  if (!table) {
    write(
      json
        ? JSON.stringify({ type: 'error', message: 'no team.leaseTable in this config' })
        : "error: this config names no lease table: add team.leaseTable (e.g. 'clearml-autoscaler-leases') and run again",
    );
    return 2;
  }
  const region = config.team.leaseRegion ?? config.aws.region;
  try {
    await ensureLeaseTable({
      region,
      credentials: creds.aws,
      table,
      onProgress: (p) => write(json ? JSON.stringify({ type: 'progress', ...p }) : progressText(p, table, region)),
    });
    return 0;
  } catch (e) {
    write(json ? JSON.stringify({ type: 'error', message: errorText(e) }) : `error: ${errorText(e)}`);
    return 1;
  }
}
