/**
 * Instances "launched by ClearML's autoscaler", for the demo and the switch-over tests: the startup script has the
 * shape ClearML's `cloud_driver.py` generates (worker id `<prefix>:<resource>:<type>:$DYNAMIC_INSTANCE_ID`, one
 * `daemon --queue`), and the instance carries only the user's tags, none of ours. Launched over the EC2 API like
 * any other instance, so the agent simulator boots their workers from the script.
 */
import { createEc2Provider } from '../ec2/provider.js';
import type { Market } from '../../../shared/domain.js';

export interface ClearmlAutoscalerInstance {
  prefix: string;
  resource: string;
  instanceType: string;
  queue: string;
  market?: Market;
  amiId?: string;
  /** The user's tags from ClearML's resource config (`Name` among them, as ClearML's examples set it). */
  tags?: Record<string, string>;
  dockerImage?: string;
}

/** A startup script of the shape ClearML's autoscaler writes (no secrets: the demo has none). */
export function clearmlAutoscalerUserData(i: ClearmlAutoscalerInstance, apiHost: string): string {
  return [
    '#!/bin/bash',
    'set -x',
    'python3 -m virtualenv clearml_agent_venv && source clearml_agent_venv/bin/activate',
    'python -m pip install clearml-agent',
    `export CLEARML_API_HOST=${apiHost}`,
    'export DYNAMIC_INSTANCE_ID=$(curl http://169.254.169.254/latest/meta-data/instance-id)',
    `export CLEARML_WORKER_ID=${i.prefix}:${i.resource}:${i.instanceType}:$DYNAMIC_INSTANCE_ID`,
    `python -m clearml_agent --config-file ~/clearml.conf daemon --queue '${i.queue}'${i.dockerImage ? ` --docker '${i.dockerImage}'` : ''}`,
    'shutdown',
    '',
  ].join('\n');
}

/** Launches them on an EC2 endpoint (an emulator); returns their instance ids in order. */
export async function launchClearmlAutoscalerInstances(opts: {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  apiHost: string;
  instances: readonly ClearmlAutoscalerInstance[];
  /** Names a later batch: a launch with an earlier batch's client token would return that batch's instances. */
  batch?: string;
}): Promise<string[]> {
  const ec2 = createEc2Provider({ region: opts.region, endpoint: opts.endpoint, credentials: opts.credentials });
  try {
    const ids: string[] = [];
    for (const [n, i] of opts.instances.entries()) {
      const { instanceId } = await ec2.runInstance({
        clientToken: `clearml-autoscaler-${opts.batch ? `${opts.batch}-` : ''}${n}-${i.resource}`,
        instanceType: i.instanceType,
        imageId: i.amiId ?? 'ami-0c1ea4c1ea4c1ea40',
        market: i.market ?? 'on-demand',
        securityGroupIds: [],
        enableMonitoring: false,
        // ClearML's autoscaler sets no metadata options: EC2's default hop limit of 1 applies.
        metadataHopLimit: 1,
        userData: clearmlAutoscalerUserData(i, opts.apiHost),
        tags: i.tags ?? {},
      });
      ids.push(instanceId);
    }
    return ids;
  } finally {
    ec2.close();
  }
}
