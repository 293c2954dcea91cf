/**
 * Joins ClearML workers to EC2 instances. The worker id is ClearML's own convention,
 * `<prefix>:<resource>:<instance type>:<instance id>`, so existing dashboards and habits keep working; the join
 * itself is on the instance id (the last segment), never on the other parts.
 */
export interface ParsedWorkerId {
  prefix: string;
  resource: string;
  instanceType: string;
  instanceId: string;
}

export function workerIdPrefix(prefix: string, resource: string, instanceType: string): string {
  return `${prefix}:${resource}:${instanceType}`;
}

export function parseWorkerId(id: string): ParsedWorkerId | null {
  const parts = id.split(':');
  if (parts.length !== 4) return null;
  const [prefix, resource, instanceType, instanceId] = parts as [string, string, string, string];
  if (!prefix || !resource || !instanceType || !/^i-[0-9a-f]+$/.test(instanceId)) return null;
  return { prefix, resource, instanceType, instanceId };
}

/** The instance id of one of our workers (its id parses and carries our prefix), else null. */
export function instanceIdOfWorker(workerId: string, prefix: string): string | null {
  const p = parseWorkerId(workerId);
  return p && p.prefix === prefix ? p.instanceId : null;
}
