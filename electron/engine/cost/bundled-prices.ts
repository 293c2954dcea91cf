/**
 * The offline price table: what the app shows and budgets against when the Pricing API cannot be reached or is
 * not allowed. Linux, shared tenancy, no pre-installed software, us-east-1 on-demand list prices in USD per
 * hour as published on the date below; other regions are scaled by a typical regional multiplier, and spot is
 * estimated with a typical per-family discount. Every figure derived from here is labelled as such in the UI.
 */

/** The day these list prices were taken; shown to users as "bundled table from <date>". */
export const BUNDLED_PRICES_DATE = '2026-11-01';

export const BUNDLED_REGION = 'us-east-1';

/** us-east-1 Linux on-demand USD/hour. */
export const BUNDLED_ON_DEMAND: Readonly<Record<string, number>> = {
  // Burstable
  't3.nano': 0.0052,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  't3a.micro': 0.0094,
  't3a.small': 0.0188,
  't3a.medium': 0.0376,
  't3a.large': 0.0752,
  't3a.xlarge': 0.1504,
  't3a.2xlarge': 0.3008,
  // General purpose
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm5.4xlarge': 0.768,
  'm5.8xlarge': 1.536,
  'm5.12xlarge': 2.304,
  'm5.16xlarge': 3.072,
  'm5.24xlarge': 4.608,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6i.2xlarge': 0.384,
  'm6i.4xlarge': 0.768,
  'm6i.8xlarge': 1.536,
  'm6i.16xlarge': 3.072,
  'm7i.large': 0.1008,
  'm7i.xlarge': 0.2016,
  'm7i.2xlarge': 0.4032,
  'm7i.4xlarge': 0.8064,
  'm7i.8xlarge': 1.6128,
  // Compute optimised
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c5.4xlarge': 0.68,
  'c5.9xlarge': 1.53,
  'c5.18xlarge': 3.06,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'c6i.2xlarge': 0.34,
  'c6i.4xlarge': 0.68,
  'c6i.8xlarge': 1.36,
  // Memory optimised
  'r5.large': 0.126,
  'r5.xlarge': 0.252,
  'r5.2xlarge': 0.504,
  'r5.4xlarge': 1.008,
  'r5.8xlarge': 2.016,
  // GPU
  'g4dn.xlarge': 0.526,
  'g4dn.2xlarge': 0.752,
  'g4dn.4xlarge': 1.204,
  'g4dn.8xlarge': 2.176,
  'g4dn.12xlarge': 3.912,
  'g4dn.16xlarge': 4.352,
  'g5.xlarge': 1.006,
  'g5.2xlarge': 1.212,
  'g5.4xlarge': 1.624,
  'g5.8xlarge': 2.448,
  'g5.12xlarge': 5.672,
  'g5.16xlarge': 4.096,
  'g5.24xlarge': 8.144,
  'g5.48xlarge': 16.288,
  'g6.xlarge': 0.8048,
  'g6.2xlarge': 0.9776,
  'g6.4xlarge': 1.3232,
  'g6.8xlarge': 2.0144,
  'g6.12xlarge': 4.6016,
  'g6.16xlarge': 3.3968,
  'g6.48xlarge': 13.3504,
  'p3.2xlarge': 3.06,
  'p3.8xlarge': 12.24,
  'p3.16xlarge': 24.48,
  'p4d.24xlarge': 21.9576,
  'p5.48xlarge': 55.04,
  // Inference
  'inf2.xlarge': 0.7582,
  'inf2.8xlarge': 1.9679,
  'inf2.24xlarge': 6.4906,
  'inf2.48xlarge': 12.9813,
};

/**
 * Typical regional price level relative to us-east-1 for general-purpose Linux instances. GPU families vary
 * more than this between regions, which is why a value scaled from here is always shown as an estimate.
 */
export const REGION_MULTIPLIERS: Readonly<Record<string, number>> = {
  'us-east-1': 1,
  'us-east-2': 1,
  'us-west-2': 1,
  'us-west-1': 1.17,
  'ca-central-1': 1.11,
  'eu-west-1': 1.11,
  'eu-west-2': 1.16,
  'eu-west-3': 1.17,
  'eu-central-1': 1.2,
  'eu-north-1': 1.06,
  'ap-south-1': 1.05,
  'ap-northeast-1': 1.29,
  'ap-northeast-2': 1.23,
  'ap-southeast-1': 1.25,
  'ap-southeast-2': 1.25,
  'sa-east-1': 1.59,
};

/** The Pricing API's `location` attribute for each region (the older filter; `regionCode` is preferred). */
export const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'sa-east-1': 'South America (Sao Paulo)',
};

/** Typical spot discount off the on-demand price per family (0.6 = spot costs 40 % of on-demand). */
export const SPOT_DISCOUNTS: Readonly<Record<string, number>> = {
  t3: 0.65,
  t3a: 0.65,
  m5: 0.6,
  m6i: 0.6,
  m7i: 0.55,
  c5: 0.6,
  c6i: 0.6,
  r5: 0.65,
  g4dn: 0.65,
  g5: 0.6,
  g6: 0.55,
  p3: 0.65,
  p4d: 0.45,
  p5: 0.4,
  inf2: 0.65,
};

/** Used for a family we have no figure for: deliberately modest so a spot budget is not underestimated. */
export const DEFAULT_SPOT_DISCOUNT = 0.5;

/** Used for a region with no multiplier: above most regions so a budget is not underestimated. */
export const DEFAULT_REGION_MULTIPLIER = 1.25;

/** The size (in xlarge units) a bare `metal` of a family the table does not know is assumed to be, as m5's. */
export const UNKNOWN_METAL_UNITS = 24;

/**
 * Size units relative to `xlarge`, used to scale a known size of the same family to an unknown one
 * (EC2 sizes within a family are priced almost exactly linearly in these units).
 */
export function sizeUnits(size: string): number | null {
  const fixed: Record<string, number> = {
    nano: 1 / 32,
    micro: 1 / 16,
    small: 1 / 8,
    medium: 1 / 4,
    large: 1 / 2,
    xlarge: 1,
  };
  // Bare `metal` and odd sizes are not linear in these units: unknown. `metal-24xl` (c7i, m7i, …) is the host
  // of a 24xlarge.
  if (size in fixed) return fixed[size]!;
  const m = /^(\d+)xlarge$/.exec(size) ?? /^metal-(\d+)xl$/.exec(size);
  return m ? Number(m[1]) : null;
}

export function splitInstanceType(instanceType: string): { family: string; size: string } | null {
  const dot = instanceType.indexOf('.');
  if (dot <= 0 || dot === instanceType.length - 1) return null;
  return { family: instanceType.slice(0, dot), size: instanceType.slice(dot + 1) };
}
