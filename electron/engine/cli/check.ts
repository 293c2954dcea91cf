/**
 * `npm run headless -- --config F --check`: tests both connections and the IAM permissions the engine needs, the
 * way the engine itself will use them, and prints a short report. Exit 0 when ClearML answers with the
 * credentials and EC2 allows every action it could check; 1 otherwise. Nothing is launched (EC2 DryRun only).
 */
import type { Config } from '../../../shared/config.js';
import type { ResolvedCredentials } from '../controller.js';
import { checkPermissions, createEc2Provider } from '../ec2/provider.js';
import { checkText, CLEARML_KEYS_REMEDY, ec2EndpointFor, problemFrom } from '../connections.js';
import { permissionCheckSpec, testClearml } from '../service/testers.js';
import { userDataBuilder } from '../userdata/userdata.js';
import type { Out } from './terminal.js';
import { errorText } from '../../../shared/error-text.js';
import { createDynamoLeaseStore } from '../team/lease-store.js';

export async function runCheck(config: Config, creds: ResolvedCredentials, out: Out, json = false): Promise<number> {
  const lines: string[] = [];
  const report: { clearml?: unknown; ec2?: unknown; lease?: unknown } = {};
  let ok = true;

  const clearml = await testClearml({
    apiHost: config.clearml.apiHost,
    credentials: creds.clearml,
    // The command line's cause (set by loadForRun), then what to set here rather than the app's screens.
    missing: `${creds.clearmlMissing ?? 'No ClearML credentials found'}: ${CLEARML_KEYS_REMEDY}`,
    surface: 'cli',
  });
  ok &&= clearml.ok;
  report.clearml = { endpoint: config.clearml.apiHost, ...clearml };
  lines.push(`${clearml.ok ? 'ok  ' : 'FAIL'}  ClearML  ${config.clearml.apiHost}: ${clearml.message}`);
  for (const d of clearml.details) lines.push(`        ${d}`);

  // The SDK reads its endpoint variables from the process environment, so the report does too.
  const endpoint = ec2EndpointFor(config.aws.region, process.env);
  const spec = permissionCheckSpec(config, Date.now(), userDataBuilder(config, { clearml: creds.clearml }));
  if (!spec) {
    ok = false;
    const message = 'no queue with a resource is configured, so there is no launch to check';
    report.ec2 = { endpoint, ok: false, missing: [], details: [message] };
    lines.push(`FAIL  EC2      ${message}`);
  } else {
    const ec2 = createEc2Provider({ region: config.aws.region, credentials: creds.aws, maxAttempts: 1 });
    try {
      // A check runs once, and the terminal has no Settings: the remedy names the config field or variable.
      const perms = await checkPermissions(ec2, spec, (e) => checkText(problemFrom('ec2', e, endpoint)));
      report.ec2 = { endpoint, ...perms };
      ok &&= perms.ok;
      lines.push(
        `${perms.ok ? 'ok  ' : 'FAIL'}  EC2      ${endpoint} (${config.aws.region}, ${creds.aws ? 'keys from the config file' : 'the AWS SDK default credentials'})` +
          (perms.missing.length ? `: missing ${perms.missing.join(', ')}` : ''),
      );
      for (const d of perms.details) lines.push(`        ${d}`);
    } finally {
      ec2.close();
    }
  }
  const table = config.team.leaseTable;
  if (table) {
    // Team mode: the table exists and this engine may read it (GetItem, and STS for the account in the key).
    const region = config.team.leaseRegion ?? config.aws.region;
    const store = createDynamoLeaseStore({
      region,
      credentials: creds.aws,
      table,
      prefix: config.scaling.workersPrefix,
    });
    try {
      const item = await store.read();
      const who = item ? `${item.holderHost} (${item.holderId}) holds the lease` : 'no engine holds the lease';
      report.lease = { table, region, ok: true, holder: item?.holderId ?? null };
      lines.push(`ok    Lease    '${table}' (${region}): ${who}`);
    } catch (e) {
      ok = false;
      report.lease = { table, region, ok: false, message: errorText(e) };
      lines.push(`FAIL  Lease    '${table}' (${region}): ${errorText(e)}`);
    } finally {
      store.close();
    }
  }
  lines.push(ok ? 'Everything the autoscaler needs works.' : 'Fix the FAIL lines above, then run --check again.');
  if (json) out.write(JSON.stringify({ type: 'check', ok, ...report }));
  else for (const l of lines) out.write(l);
  return ok ? 0 : 1;
}
