/** DescribeInstanceTypes, from the emulator's catalog. */
import { z } from 'zod';
import { EMULATED_INSTANCE_TYPES, findInstanceType } from './ec2-catalog.js';
import { filters as readFilters, stringList, wildcardMatch, type QueryParams } from './ec2-query.js';
import { Ec2Fail, intParam, parseParams, type Ec2Store } from './ec2-store.js';
import type { XmlObject } from './ec2-xml.js';

const DescribeInstanceTypesParams = z.looseObject({
  MaxResults: intParam(5, 100).optional(),
  NextToken: z.string().optional(),
});

export function describeInstanceTypes(s: Ec2Store, p: QueryParams): XmlObject {
  const q = parseParams(DescribeInstanceTypesParams, p);
  const wanted = stringList(p, 'InstanceType');
  const unknown = wanted.filter((w) => !findInstanceType(w));
  if (unknown.length) {
    throw new Ec2Fail(
      'InvalidInstanceType',
      `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
    );
  }
  const fs = readFilters(p);
  const rows = EMULATED_INSTANCE_TYPES.filter((t) => !wanted.length || wanted.includes(t.instanceType))
    .filter((t) =>
      fs.every((f) => {
        if (f.name === 'instance-type') return f.values.some((x) => wildcardMatch(x, t.instanceType));
        if (f.name === 'current-generation') return f.values.includes('true');
        if (f.name === 'processor-info.supported-architecture') {
          return t.architectures.some((a) => f.values.includes(a));
        }
        throw new Ec2Fail('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }),
    )
    .map((t) => ({
      instanceType: t.instanceType,
      currentGeneration: true,
      freeTierEligible: t.instanceType === 't3.micro',
      supportedUsageClasses: ['on-demand', 'spot'],
      supportedRootDeviceTypes: ['ebs'],
      supportedVirtualizationTypes: ['hvm'],
      bareMetal: false,
      hypervisor: 'nitro',
      processorInfo: { supportedArchitectures: t.architectures },
      vCpuInfo: { defaultVCpus: t.vcpus },
      memoryInfo: { sizeInMiB: t.memoryMiB },
      instanceStorageSupported: false,
      gpuInfo: t.gpus
        ? {
            gpus: [
              {
                name: t.gpus.name,
                manufacturer: t.gpus.manufacturer,
                count: t.gpus.count,
                memoryInfo: { sizeInMiB: t.gpus.memoryMiB },
              },
            ],
            totalGpuMemoryInMiB: t.gpus.count * t.gpus.memoryMiB,
          }
        : null,
      burstablePerformanceSupported: t.instanceType.startsWith('t'),
    }));
  return s.pageRows(rows, 'instanceTypeSet', q.MaxResults, q.NextToken);
}
