/**
 * Every region this app ever launched in, remembered on disk, and the "stop everything"
 * kill switch: orphans in a region the user no longer looks at are the classic surprise bill, so the sweep goes
 * through every remembered region, not only the configured one.
 *
 * A region is remembered before the first RunInstances there (from the launch hook), so even a launch whose
 * response was lost to a crash is in a region the sweep covers.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { errorText } from '../../../shared/error-text.js';
import { TAG, type Ec2Api, type InstanceObs } from '../ports.js';
import { writeFileDurably } from '../durable-file.js';
import { plural } from '../../../shared/words.js';

export const REGIONS_FILE = 'regions.json';
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

const RegionsFileSchema = z.object({
  v: z.literal(1),
  regions: z.array(z.string()),
});

export class RegionRegistry {
  private readonly file: string;
  private regions: string[];
  private chain: Promise<void> = Promise.resolve();

  private constructor(file: string, regions: string[]) {
    this.file = file;
    this.regions = regions;
  }

  /** A missing or unreadable file starts an empty list (it is rebuilt by the next launch). */
  static async open(dir: string): Promise<RegionRegistry> {
    const file = path.join(dir, REGIONS_FILE);
    let regions: string[] = [];
    try {
      const parsed = RegionsFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success) regions = parsed.data.regions.filter((r) => REGION_PATTERN.test(r));
    } catch {
      // ENOENT or a torn file: start empty.
    }
    return new RegionRegistry(file, [...new Set(regions)].sort());
  }

  list(): string[] {
    return [...this.regions];
  }

  /** Durable when it resolves (temp file, fsync, rename); a region already known costs no I/O. */
  remember(region: string): Promise<void> {
    if (!REGION_PATTERN.test(region)) return Promise.reject(new Error(`'${region}' is not an AWS region name`));
    if (this.regions.includes(region)) return this.chain;
    const run = this.chain.then(async () => {
      if (this.regions.includes(region)) return;
      const next = [...this.regions, region].sort();
      await writeFileDurably(this.file, `${JSON.stringify({ v: 1, regions: next })}\n`);
      this.regions = next;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

// ---------------------------------------------------------------- stop everything

export interface StopEverythingOptions {
  regions: readonly string[];
  makeEc2: (region: string) => Ec2Api;
  /** Our prefix tag value(s): every prefix the app has used, when it changed over time. */
  prefix: string | readonly string[];
}

export interface RegionStopReport {
  region: string;
  /** Our instances that still cost money (pending, running, stopping, stopped) when the sweep looked. */
  found: string[];
  /** Sent to TerminateInstances and accepted. */
  terminated: string[];
  /** Already shutting down or terminated: nothing to do. */
  alreadyStopping: string[];
  /** What went wrong in this region, in words, with what to do; null when the region was swept. */
  error: string | null;
}

export interface StopEverythingReport {
  regions: RegionStopReport[];
  /** Instances terminated across all regions. */
  terminated: number;
  /** True when every region was listed and every instance found was terminated. */
  ok: boolean;
}

const COSTING = new Set(['pending', 'running', 'stopping', 'stopped']);

/**
 * Terminates every instance carrying our prefix tag in every region given, regions in parallel (each region has
 * its own EC2 endpoint and throttling bucket), one failure never stopping the others. Pause launches before
 * calling it, or the engine will launch again for pending tasks.
 */
export async function stopEverything(opts: StopEverythingOptions): Promise<StopEverythingReport> {
  const prefixes = [...new Set(typeof opts.prefix === 'string' ? [opts.prefix] : opts.prefix)];
  const regions = [...new Set(opts.regions)];
  const reports = await Promise.all(regions.map((region) => stopRegion(region, opts.makeEc2, prefixes)));
  const terminated = reports.reduce((n, r) => n + r.terminated.length, 0);
  const ok = reports.every((r) => r.error === null && r.terminated.length === r.found.length);
  return { regions: reports, terminated, ok };
}

async function stopRegion(
  region: string,
  makeEc2: (region: string) => Ec2Api,
  prefixes: readonly string[],
): Promise<RegionStopReport> {
  const report: RegionStopReport = { region, found: [], terminated: [], alreadyStopping: [], error: null };
  const filter = `tag ${TAG.prefix} = ${prefixes.join(' or ')}`;
  let ec2: Ec2Api;
  try {
    ec2 = makeEc2(region);
  } catch (e) {
    report.error = `could not create an EC2 client for ${region}: ${errorText(e)}; check the AWS credentials and try again`;
    return report;
  }
  const seen = new Map<string, InstanceObs>();
  try {
    for (const p of prefixes) for (const i of await ec2.describeInstances(p)) seen.set(i.instanceId, i);
  } catch (e) {
    report.error =
      `could not list instances in ${region}: ${errorText(e)}. Run "Stop everything" again, or terminate them in ` +
      `the EC2 console of ${region} (filter: ${filter})`;
    return report;
  }
  for (const i of seen.values()) {
    if (COSTING.has(i.state)) report.found.push(i.instanceId);
    else report.alreadyStopping.push(i.instanceId);
  }
  if (!report.found.length) return report;
  try {
    await ec2.terminateInstances(report.found);
    report.terminated = [...report.found];
  } catch (e) {
    const them = report.found.length === 1 ? 'it' : 'them';
    report.error =
      `found ${plural(report.found.length, 'instance')} in ${region} but could not terminate ${them}: ${errorText(e)}. ` +
      `Run "Stop everything" again, or terminate ${them} in the EC2 console of ${region} (filter: ${filter})`;
  }
  return report;
}
