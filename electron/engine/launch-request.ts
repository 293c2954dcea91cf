/**
 * The RunInstances request for one launch of a resource for a queue, pure. The engine sends it; crash recovery
 * rebuilds it byte for byte from a journaled intent, because EC2 compares every parameter of a request that
 * reuses a client token (any difference answers IdempotentParameterMismatch instead of the instance).
 */
import { effectiveLease, type Config } from '../../shared/config.js';
import { normalizeApiHost } from '../../shared/config-review.js';
import { TAG, type LaunchSpec } from './ports.js';
import { entryOf } from '../../shared/data-record.js';

/**
 * The `TAG.server` value for an API host: the host as the config names it, less a trailing slash. Null when EC2
 * would refuse it (a tag value over 256 characters), and with it the launch or the tagging: that host goes untagged.
 */
export function serverTagValue(apiHost: string): string | null {
  const value = normalizeApiHost(apiHost);
  return value.length <= 256 ? value : null;
}

/**
 * The Name (and `TAG.name`) of what we launch or adopt: `<prefix>:<resource>:<queue>`. The config allows up to 64 +
 * 64 + 128 characters, two more than an EC2 tag value holds, and EC2 would refuse the whole launch for it; the end
 * is cut instead (our identity is in the prefix, resource and queue tags, each whole), by code points as EC2 counts.
 */
export function ourNameTag(prefix: string, resource: string, queue: string): string {
  const name = `${prefix}:${resource}:${queue}`;
  const chars = [...name];
  return chars.length <= 256 ? name : chars.slice(0, 256).join('');
}

export type LaunchBase = Omit<LaunchSpec, 'clientToken' | 'market' | 'subnetId' | 'availabilityZone'>;

/**
 * The instance metadata hop limit for a resource. Without docker, nothing but the host needs instance metadata:
 * 1, so no container or forwarded process can read the user data or the instance role's credentials. In docker
 * mode the agent's task containers sit one network hop further and need 2 to reach instance metadata (the instance
 * role for S3, the watchdog is on the host either way); the price is that task code can then read the user data,
 * which holds the ClearML keys unless they come from SSM, which is why Settings recommends SSM in docker mode.
 */
export function metadataHopLimit(config: Config, resource: string): 1 | 2 {
  const res = entryOf(config.resources, resource);
  const image = res?.dockerImage ?? config.agent.defaultDockerImage;
  return image.trim() !== '' ? 2 : 1;
}

/**
 * null when the resource is not in the config. `at` is the tick time: the lease tag counts from it. `stamp`: the
 * engine's stamp (`TAG.engine`, team detection), when it stamps what it launches.
 */
export function launchBase(
  config: Config,
  launch: { queue: string; resource: string; at: number; stamp?: string | null },
  userData: string,
): LaunchBase | null {
  const res = entryOf(config.resources, launch.resource);
  if (!res) return null;
  const prefix = config.scaling.workersPrefix;
  const ourName = ourNameTag(prefix, launch.resource, launch.queue);
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
  if (config.lease.enabled)
    tags[TAG.lease] = String(Math.floor((launch.at + effectiveLease(config).leaseMin * 60_000) / 1000));
  if (launch.stamp) tags[TAG.engine] = launch.stamp;
  const server = serverTagValue(config.clearml.apiHost);
  if (server !== null) tags[TAG.server] = server;
  return {
    instanceType: res.instanceType,
    imageId: res.amiId,
    securityGroupIds: res.securityGroupIds,
    keyName: res.keyName,
    iamInstanceProfile: res.iamInstanceProfile,
    ebs: res.ebs,
    enableMonitoring: res.enableMonitoring,
    metadataHopLimit: metadataHopLimit(config, launch.resource),
    userData,
    tags,
  };
}
