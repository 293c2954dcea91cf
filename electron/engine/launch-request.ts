/**
 * The RunInstances request for one launch of a resource for a queue, pure. The engine sends it; crash recovery
 * rebuilds it byte for byte from a journaled intent, because EC2 compares every parameter of a request that
 * reuses a client token (any difference answers IdempotentParameterMismatch instead of the instance).
 */
import type { Config } from '../../shared/config.js';
import { TAG, type LaunchSpec } from './ports.js';

export type LaunchBase = Omit<LaunchSpec, 'clientToken' | 'market' | 'subnetId' | 'availabilityZone'>;

/** null when the resource is not in the config. `at` is the tick time: the lease tag counts from it. */
export function launchBase(
  config: Config,
  launch: { queue: string; resource: string; at: number },
  userData: string,
): LaunchBase | null {
  const res = config.resources[launch.resource];
  if (!res) return null;
  const prefix = config.scaling.workersPrefix;
  const ourName = `${prefix}:${launch.resource}:${launch.queue}`;
  // User tags first: ours overwrite any user tag of the same key. A user's own Name (ClearML's example configs set
  // one) is kept: our identity travels in our own tags, and Name is only filled in when the user gave none.
  const tags: Record<string, string> = {
    Name: ourName,
    ...res.tags,
    [TAG.name]: ourName,
    [TAG.prefix]: prefix,
    [TAG.resource]: launch.resource,
    [TAG.queue]: launch.queue,
    [TAG.launchedBy]: 'clearml-tray-autoscaler',
  };
  if (config.lease.enabled) tags[TAG.lease] = String(Math.floor((launch.at + config.lease.leaseMin * 60_000) / 1000));
  return {
    instanceType: res.instanceType,
    imageId: res.amiId,
    securityGroupIds: res.securityGroupIds,
    keyName: res.keyName,
    iamInstanceProfile: res.iamInstanceProfile,
    ebs: res.ebs,
    enableMonitoring: res.enableMonitoring,
    userData,
    tags,
  };
}
