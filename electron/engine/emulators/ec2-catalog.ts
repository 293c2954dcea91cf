/**
 * The few instance types the EC2 emulator describes, with approximate us-east-1 Linux on-demand prices. For the
 * emulator and the simulator only: the app's real specs and prices come from DescribeInstanceTypes and the
 * Pricing API (or its bundled snapshot), never from this table.
 */

export interface EmulatedGpu {
  name: string;
  manufacturer: string;
  count: number;
  memoryMiB: number;
}

export interface EmulatedInstanceType {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  gpus: EmulatedGpu | null;
  onDemandUsd: number;
  architectures: string[];
}

const t = (
  instanceType: string,
  vcpus: number,
  memoryMiB: number,
  onDemandUsd: number,
  gpus: EmulatedGpu | null = null,
  architectures: string[] = ['x86_64'],
): EmulatedInstanceType => ({ instanceType, vcpus, memoryMiB, gpus, onDemandUsd, architectures });

const nvidia = (name: string, count: number, memoryMiB: number): EmulatedGpu => ({
  name,
  manufacturer: 'NVIDIA',
  count,
  memoryMiB,
});

export const EMULATED_INSTANCE_TYPES: readonly EmulatedInstanceType[] = [
  t('t3.micro', 2, 1024, 0.0104, null, ['x86_64']),
  t('t3.medium', 2, 4096, 0.0416),
  t('t3.large', 2, 8192, 0.0832),
  t('m5.large', 2, 8192, 0.096),
  t('m5.xlarge', 4, 16384, 0.192),
  t('m5.2xlarge', 8, 32768, 0.384),
  t('c5.xlarge', 4, 8192, 0.17),
  t('c5.2xlarge', 8, 16384, 0.34),
  t('r5.xlarge', 4, 32768, 0.252),
  t('m7g.xlarge', 4, 16384, 0.1632, null, ['arm64']),
  t('g4dn.xlarge', 4, 16384, 0.526, nvidia('T4', 1, 16384)),
  t('g4dn.2xlarge', 8, 32768, 0.752, nvidia('T4', 1, 16384)),
  t('g4dn.12xlarge', 48, 196608, 3.912, nvidia('T4', 4, 16384)),
  t('g5.xlarge', 4, 16384, 1.006, nvidia('A10G', 1, 24576)),
  t('g5.2xlarge', 8, 32768, 1.212, nvidia('A10G', 1, 24576)),
  t('g6.xlarge', 4, 16384, 0.8048, nvidia('L4', 1, 22888)),
  t('p3.2xlarge', 8, 62464, 3.06, nvidia('V100', 1, 16384)),
  t('p4d.24xlarge', 96, 1179648, 32.7726, nvidia('A100', 8, 40960)),
];

export function findInstanceType(name: string): EmulatedInstanceType | undefined {
  return EMULATED_INSTANCE_TYPES.find((x) => x.instanceType === name);
}

/** A stable spot price per type and zone: 28–44 % of on-demand, varying by zone like real spot markets. */
export function defaultSpotPrice(type: EmulatedInstanceType, zone: string): number {
  let h = 2166136261;
  for (const c of `${type.instanceType}|${zone}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const factor = 0.28 + ((h % 1000) / 1000) * 0.16;
  return Math.round(type.onDemandUsd * factor * 10_000) / 10_000;
}
