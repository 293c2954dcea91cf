/**
 * Every region this app ever launched in, and every workers prefix it launched under, remembered on disk, and the
 * "stop everything" kill switch: orphans in a region the user no longer looks at, or under a prefix the config no
 * longer names, are the classic surprise bill, so the sweep goes through every remembered region and prefix, not
 * only the configured ones.
 *
 * A region and prefix are remembered before the first RunInstances there (from the launch hook), so even a launch
 * whose response was lost to a crash is where the sweep looks; recovery also remembers the configured ones when it
 * lists live instances under them, or reads a file from before prefixes (an upgrade: an older version launched them).
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { REGION_PATTERN } from '../../../shared/aws-region.js';
import { NAME_PATTERN } from '../../../shared/config.js';
import { errorText } from '../../../shared/error-text.js';
import { TAG, type Ec2Api, type InstanceObs } from '../ports.js';
import { writeFileDurably } from '../durable-file.js';
import { plural, sentence } from '../../../shared/words.js';

export const REGIONS_FILE = 'regions.json';
/** A workers prefix as the config allows it. */
const isPrefix = (p: string) => p.length <= 64 && NAME_PATTERN.test(p);

const RegionsFileSchema = z.object({
  v: z.literal(1),
  regions: z.array(z.string()),
  /** Absent in files written before prefixes were remembered. */
  prefixes: z.array(z.string()).optional(),
});

/** What a file of another version or shape still says, as far as it says it. */
const strings = z.array(z.unknown()).transform((a) => a.filter((x): x is string => typeof x === 'string'));
const LooseRegionsSchema = z.object({ regions: strings.optional(), prefixes: strings.optional() });

/** Only names that are regions and prefixes, once each, sorted. */
function clean(lists: { regions: string[]; prefixes?: string[] | undefined }): {
  regions: string[];
  prefixes: string[];
} {
  return {
    regions: [...new Set(lists.regions.filter((r) => REGION_PATTERN.test(r)))].sort(),
    prefixes: [...new Set((lists.prefixes ?? []).filter(isPrefix))].sort(),
  };
}

export class RegionRegistry {
  private readonly file: string;
  private regions: string[];
  private prefixes: string[];
  private chain: Promise<void> = Promise.resolve();

  /**
   * What was wrong with the file when it was opened, in words (null when it read cleanly or did not exist): the
   * regions and prefixes it names are where the kill switch looks, so losing them silently would hide a bill.
   */
  readonly problem: string | null;

  /**
   * The file was written by a version from before prefixes were remembered (regions, no `prefixes`): the prefix
   * its launches used is not known here, so the first config's is taken for it (see recovery.ts).
   */
  readonly fromBeforePrefixes: boolean;

  private constructor(
    file: string,
    regions: string[],
    prefixes: string[],
    problem: string | null,
    fromBeforePrefixes = false,
  ) {
    this.file = file;
    this.regions = regions;
    this.prefixes = prefixes;
    this.problem = problem;
    this.fromBeforePrefixes = fromBeforePrefixes;
  }

  /**
   * A missing file starts empty lists. A file that does not read (torn, edited, written by a newer version) is
   * copied aside as `regions.json.corrupt` before anything overwrites it, and every region and prefix still
   * legible in it is kept.
   */
  static async open(dir: string): Promise<RegionRegistry> {
    const file = path.join(dir, REGIONS_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new RegionRegistry(file, [], [], null);
      return new RegionRegistry(file, [], [], `${file} could not be read (${errorText(e)})`);
    }
    let why: string;
    let legible: { regions: string[]; prefixes: string[] };
    try {
      const json: unknown = JSON.parse(text);
      const parsed = RegionsFileSchema.safeParse(json);
      if (parsed.success) {
        const { regions, prefixes } = clean(parsed.data);
        return new RegionRegistry(file, regions, prefixes, null, parsed.data.prefixes === undefined);
      }
      why = parsed.error.issues.some((i) => i.path[0] === 'v')
        ? 'written by another version'
        : 'not the expected shape';
      const loose = LooseRegionsSchema.safeParse(json);
      legible = { regions: loose.data?.regions ?? [], prefixes: loose.data?.prefixes ?? [] };
    } catch {
      why = 'not valid JSON';
      // Torn: every quoted name before the "prefixes" key that is a region, and in the list after it, a prefix.
      const quoted = (part: string) => [...part.matchAll(/"([^"\\]{1,64})"/g)].map((m) => m[1]!);
      const at = text.indexOf('"prefixes"');
      const after = at < 0 ? '' : text.slice(at + '"prefixes"'.length);
      legible = {
        regions: quoted(at < 0 ? text : text.slice(0, at)),
        prefixes: quoted(after.includes(']') ? after.slice(0, after.indexOf(']')) : after),
      };
    }
    const aside = `${file}.corrupt`;
    const kept = await copyFile(file, aside).then(
      () => `it was kept as ${path.basename(aside)}`,
      (e: unknown) => `it could not be kept aside (${errorText(e)})`,
    );
    const { regions, prefixes } = clean(legible);
    const found = `${plural(regions.length, 'region')} and ${plural(prefixes.length, 'workers prefix', 'workers prefixes')}`;
    return new RegionRegistry(
      file,
      regions,
      prefixes,
      `${file} (the regions and workers prefixes "Stop everything" sweeps) was ${why}; ${kept}, and the ${found} ` +
        `legible in it are remembered${regions.length ? ` (${regions.join(', ')})` : ''}. If the app launched ` +
        'anywhere else, terminate those instances in the EC2 console',
    );
  }

  list(): string[] {
    return [...this.regions];
  }

  /** Every workers prefix the app launched under. */
  listPrefixes(): string[] {
    return [...this.prefixes];
  }

  /** Durable when it resolves (temp file, fsync, rename); a region (and prefix) already known costs no I/O. */
  remember(region: string, prefix?: string): Promise<void> {
    if (!REGION_PATTERN.test(region)) return Promise.reject(new Error(`'${region}' is not an AWS region name`));
    if (prefix !== undefined && !isPrefix(prefix))
      return Promise.reject(new Error(`'${prefix}' is not a workers prefix`));
    const known = () => this.regions.includes(region) && (prefix === undefined || this.prefixes.includes(prefix));
    if (known()) return this.chain;
    const run = this.chain.then(async () => {
      if (known()) return;
      const regions = [...new Set([...this.regions, region])].sort();
      const prefixes = [...new Set([...this.prefixes, ...(prefix === undefined ? [] : [prefix])])].sort();
      await writeFileDurably(this.file, `${JSON.stringify({ v: 1, regions, prefixes })}\n`);
      [this.regions, this.prefixes] = [regions, prefixes];
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
      `could not list instances in ${region}: ${sentence(errorText(e))} Run "Stop everything" again, or terminate them in ` +
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
      `found ${plural(report.found.length, 'instance')} in ${region} but could not terminate ${them}: ${sentence(errorText(e))} ` +
      `Run "Stop everything" again, or terminate ${them} in the EC2 console of ${region} (filter: ${filter})`;
  }
  return report;
}
