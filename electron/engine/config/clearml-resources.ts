/** A ClearML autoscaler file's resource configurations and queue map, read into our resources and queues. */
import { isMetadataTagKey } from '../../../shared/config.js';
import { SERVER_QUEUE_NAME_MIN } from '../../../shared/queue-name.js';
import { compact, isObj, pythonInt, writtenNumber, type Obj, type Reader } from './clearml-reader.js';

export const RESOURCE_KEYS = new Set([
  'instance_type',
  'is_spot',
  'availability_zone',
  'subnet_id',
  'ami_id',
  'ebs_device_name',
  'ebs_volume_size',
  'ebs_volume_type',
  'ebs_snapshot_id',
  'key_name',
  'security_group_ids',
  'tags',
  'cpu_only',
  'enable_monitoring',
  'extra_configurations',
]);

/** ClearML's driver falls back to 80 GiB when a device is named without a size. */
const CLEARML_DEFAULT_EBS_GIB = 80;

export function importResource(
  r: Reader,
  name: string,
  raw: unknown,
  globals: { tags?: Record<string, string>; iam?: { arn?: string; name?: string }; iamPath?: string },
): Obj | undefined {
  const base = `configurations.resource_configurations.${name}`;
  const ours = `resources.${name}`;
  if (!isObj(raw)) return r.issue(base, 'must be a mapping of resource settings (instance_type, ami_id, ...)');
  r.unknownKeys(raw, RESOURCE_KEYS, base);
  const map = (field: string, key: string) => r.origin.set(`${ours}.${field}`, `${base}.${key}`);

  map('instanceType', 'instance_type');
  map('amiId', 'ami_id');
  map('market', 'is_spot');
  map('subnetIds', 'subnet_id');
  map('availabilityZones', 'availability_zone');
  map('securityGroupIds', 'security_group_ids');
  map('keyName', 'key_name');
  map('cpuOnly', 'cpu_only');
  map('enableMonitoring', 'enable_monitoring');
  map('ebs.deviceName', 'ebs_device_name');
  map('ebs.volumeSizeGiB', 'ebs_volume_size');
  map('ebs.volumeType', 'ebs_volume_type');
  map('ebs.snapshotId', 'ebs_snapshot_id');
  map('ebs', 'ebs_device_name');
  r.origin.set(ours, base);

  // A missing instance_type or ami_id is reported by the schema below, mapped back to these keys.
  const instanceType = r.text(raw['instance_type'], `${base}.instance_type`);
  const amiId = r.text(raw['ami_id'], `${base}.ami_id`);

  let spot = r.bool(raw['is_spot'], `${base}.is_spot`);
  if (raw['is_spot'] === undefined) {
    r.warnings.push(`${base}.is_spot: missing (ClearML requires it); on-demand assumed`);
    spot = false;
  }

  const subnets = r.list(raw['subnet_id'], `${base}.subnet_id`) ?? [];
  let zones = r.list(raw['availability_zone'], `${base}.availability_zone`) ?? [];
  if (subnets.length > 0 && zones.length > 0) {
    r.warnings.push(
      `${base}: both subnet_id and availability_zone are set; as in ClearML the subnet decides the zone, so availability_zone is ignored`,
    );
    zones = [];
  } else if (subnets.length === 0 && zones.length === 0) {
    r.warnings.push(
      `${base}: neither subnet_id nor availability_zone is set; EC2 will pick a zone in the default VPC (ClearML would fail at launch)`,
    );
  }

  let device = r.text(raw['ebs_device_name'], `${base}.ebs_device_name`);
  if (device !== undefined && /^[a-z][a-z0-9]*$/.test(device)) {
    // EC2 takes both forms (its documentation: "/dev/sdh or xvdh") and ClearML passes the name through; this app's
    // config keeps the /dev/ form, which is also how the AMI names its root device.
    r.warnings.push(
      `${base}.ebs_device_name: ${device} is written without /dev/; imported as /dev/${device} (EC2 takes both forms; this app's config writes /dev/). Check that it is the AMI's root device name (often /dev/sda1 or /dev/xvda) if it is meant to size the root volume`,
    );
    device = `/dev/${device}`;
  }
  const size = r.num(raw['ebs_volume_size'], `${base}.ebs_volume_size`, 'GiB');
  const volumeType = r.text(raw['ebs_volume_type'], `${base}.ebs_volume_type`);
  const snapshot = r.text(raw['ebs_snapshot_id'], `${base}.ebs_snapshot_id`);
  let ebs: Obj | undefined;
  if (device !== undefined) {
    // As ClearML: with a snapshot and no size or type, only the snapshot id is sent, so the volume is the
    // snapshot's size, of EC2's default type; without a snapshot, a new volume of ebs_volume_size (80 GiB) and
    // ebs_volume_type (gp3, the schema's default and ClearML's).
    if (snapshot !== undefined && (size !== undefined || volumeType !== undefined)) {
      r.warnings.push(
        `${base}.ebs_snapshot_id: ClearML ignores ebs_volume_size and ebs_volume_type beside a snapshot (the volume is the snapshot's size, of EC2's default type); here they apply, so the size must be at least the snapshot's. Delete them for ClearML's behaviour`,
      );
    }
    ebs = compact({
      deviceName: device,
      volumeSizeGiB: snapshot !== undefined ? size : (size ?? CLEARML_DEFAULT_EBS_GIB),
      volumeType,
      snapshotId: snapshot,
    });
  } else if (size !== undefined || volumeType !== undefined || snapshot !== undefined) {
    r.warnings.push(
      `${base}: ebs_volume_size/ebs_volume_type/ebs_snapshot_id are ignored without ebs_device_name (as in ClearML); set ebs_device_name (e.g. /dev/sda1) to apply them`,
    );
  }

  const ownTags = r.tags(raw['tags'], `${base}.tags`) ?? {};
  const tags = { ...globals.tags, ...ownTags };
  const unreadable = Object.keys(tags).filter((k) => !isMetadataTagKey(k));
  if (unreadable.length > 0) {
    for (const k of unreadable) delete tags[k];
    r.warnings.push(
      `${base}.tags: key${unreadable.length > 1 ? 's' : ''} ${unreadable.map((k) => `'${k}'`).join(', ')} ` +
        `cannot be used on instances that expose tags to instance metadata (the lease watchdog needs that), so ` +
        `${unreadable.length > 1 ? 'they were' : 'it was'} left out: use only letters, digits and + - = . , _ : @ (no spaces or '/')`,
    );
  }
  for (const k of Object.keys(tags)) {
    r.origin.set(`${ours}.tags.${k}`, k in ownTags ? `${base}.tags` : 'hyper_params.tags');
  }
  r.origin.set(`${ours}.tags`, Object.keys(ownTags).length > 0 || !globals.tags ? `${base}.tags` : 'hyper_params.tags');

  if (globals.iam && globals.iamPath) {
    r.origin.set(`${ours}.iamInstanceProfile.arn`, 'hyper_params.iam_arn');
    r.origin.set(`${ours}.iamInstanceProfile.name`, 'hyper_params.iam_name');
    r.origin.set(`${ours}.iamInstanceProfile`, globals.iamPath);
  }

  const extra = raw['extra_configurations'];
  if (isObj(extra) && Object.keys(extra).length > 0) {
    for (const k of Object.keys(extra))
      r.notCarried.push({ path: `${base}.extra_configurations.${k}`, reason: 'launch-spec-override' });
  } else if (extra !== undefined && extra !== null && !isObj(extra) && extra !== '') {
    r.notCarried.push({ path: `${base}.extra_configurations`, reason: 'launch-spec-override' });
  }

  return compact({
    instanceType,
    market: spot === undefined ? undefined : spot ? 'spot' : 'on-demand',
    // ClearML never falls back to on-demand; the difference list names the setting that does.
    spotFallbackToOnDemand: false,
    amiId,
    subnetIds: subnets,
    availabilityZones: zones,
    securityGroupIds: r.list(raw['security_group_ids'], `${base}.security_group_ids`),
    keyName: r.text(raw['key_name'], `${base}.key_name`),
    iamInstanceProfile: globals.iam,
    ebs,
    tags,
    cpuOnly: r.bool(raw['cpu_only'], `${base}.cpu_only`),
    enableMonitoring: r.bool(raw['enable_monitoring'], `${base}.enable_monitoring`),
  });
}

export function importQueues(r: Reader, raw: unknown, resourceNames: string[]): Obj {
  const base = 'configurations.queues';
  if (raw === undefined || raw === null) {
    r.issue(base, 'missing: a map of queue name to a list of [resource, max instances] pairs');
    return {};
  }
  if (!isObj(raw)) {
    r.issue(base, 'must be a map of queue name to a list of [resource, max instances] pairs');
    return {};
  }
  const out: Obj = {};
  for (const [queue, entries] of Object.entries(raw)) {
    const qPath = `${base}.${queue}`;
    r.origin.set(`queues.${queue}`, qPath);
    if (!Array.isArray(entries)) {
      r.issue(
        qPath,
        `must be a list of [resource, max instances] pairs, e.g. [[gpu_t4, 3]]; got ${JSON.stringify(entries)}`,
      );
      continue;
    }
    if (queue.trim().length < SERVER_QUEUE_NAME_MIN) {
      r.warnings.push(
        `${qPath}: the ClearML server creates no queue named with fewer than ${SERVER_QUEUE_NAME_MIN} characters; unless '${queue}' already exists there, neither this app nor ClearML's autoscaler can create it: rename it`,
      );
    }
    if (entries.length === 0) {
      // ClearML creates and watches such a queue and never launches for it; here a queue needs a resource.
      const example = resourceNames[0] ?? 'gpu_t4';
      r.warnings.push(
        `${qPath}: no resources, so nothing is ever launched for it (ClearML's autoscaler created the queue and launched nothing for it either); left out. To have it shown here, give it a resource capped at 0: ${queue}: [[${example}, 0]]`,
      );
      continue;
    }
    if (entries.length === 2 && !Array.isArray(entries[0]) && !Array.isArray(entries[1])) {
      // One pair written without its outer list, the likeliest slip; ClearML fails on it ("too many values to
      // unpack").
      r.issue(
        qPath,
        `must be a list of [resource, max instances] pairs: write the pair inside a list, ${queue}: [[${entries.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}]]`,
      );
      continue;
    }
    const mapped = entries.map((entry: unknown, i) => {
      const ePath = `${qPath}.${i}`;
      r.origin.set(`queues.${queue}.${i}`, ePath);
      r.origin.set(`queues.${queue}.${i}.resource`, `${ePath}.0`);
      r.origin.set(`queues.${queue}.${i}.maxInstances`, `${ePath}.1`);
      if (!Array.isArray(entry) || entry.length !== 2) {
        r.issue(ePath, `must be a pair [resource, max instances], e.g. [gpu_t4, 3]; got ${JSON.stringify(entry)}`);
        return null;
      }
      const [res, max] = entry as [unknown, unknown];
      const resource = r.text(res, `${ePath}.0`);
      if (resource !== undefined && !resourceNames.includes(resource)) {
        r.issue(
          `${ePath}.0`,
          `unknown resource '${resource}'; defined resources: ${resourceNames.join(', ') || 'none'}`,
        );
      }
      return compact({ resource, maxInstances: importCap(r, max, `${ePath}.1`, queue, resource ?? String(res)) });
    });
    // A queue with an entry of the wrong shape is left to its issue: read without it, the schema would report
    // its resource and cap missing, at paths the file does not have.
    if (mapped.every((e) => e !== null)) out[queue] = mapped;
  }
  sharedResourceWarnings(r, out);
  return out;
}

/**
 * A resource listed for more than one queue: ClearML's autoscaler refused to start with such a file (its sanity
 * check, "health check failed"), so nothing it ran had one. Here each queue launches its own instances of it.
 */
function sharedResourceWarnings(r: Reader, queues: Obj): void {
  const byResource = new Map<string, { queue: string; cap: number }[]>();
  for (const [queue, entries] of Object.entries(queues)) {
    for (const e of entries as { resource?: string; maxInstances?: number }[]) {
      if (e.resource === undefined) continue;
      const list = byResource.get(e.resource) ?? [];
      list.push({ queue, cap: e.maxInstances ?? 0 });
      byResource.set(e.resource, list);
    }
  }
  for (const [resource, uses] of byResource) {
    if (new Set(uses.map((u) => u.queue)).size < 2) continue;
    const total = uses.reduce((n, u) => n + u.cap, 0);
    r.warnings.push(
      `configurations.queues: resource '${resource}' is listed for queues ${uses.map((u) => `'${u.queue}'`).join(', ')}. ClearML's autoscaler refused to start with that ("a resource name can only appear in a single queue definition"); here each queue launches its own ${resource} instances, each queue up to its own cap (${total} in all). To keep one cap, copy the resource under another name for each queue, as ClearML's wizard does (${resource}_<queue>)`,
    );
  }
}

/**
 * A queue entry's max instances, read as ClearML's autoscaler used it: `int(max_instances)` at every poll where the
 * queue had tasks waiting, launching while that minus the resource's running and booting instances is above 0.
 */
export type CapReading =
  | { code: 'missing' }
  | { code: 'as-written'; value: number }
  /** Imported as what ClearML's int() made of it (`clearml`), never below 0: that launched nothing, as 0 does. */
  | { code: 'converted'; value: number; clearml: number; text: string | undefined; written: number | undefined }
  /** Text ClearML's int() failed on; `suggest` is the whole number it says, cut toward zero, when it says one. */
  | { code: 'unreadable-text'; text: string; suggest: number | undefined }
  | { code: 'boolean'; value: boolean }
  | { code: 'not-a-number'; written: string };

export function readCap(v: unknown): CapReading {
  const w = writtenNumber(v);
  switch (w.form) {
    case 'missing':
      return { code: 'missing' };
    case 'boolean':
      return { code: 'boolean', value: w.value };
    case 'other':
      return { code: 'not-a-number', written: w.written };
    case 'number': {
      if (Number.isInteger(w.value) && w.value >= 0) return { code: 'as-written', value: w.value };
      const clearml = pythonInt(w.value)!;
      return { code: 'converted', value: Math.max(0, clearml), clearml, text: undefined, written: w.value };
    }
    case 'text': {
      const clearml = pythonInt(w.text);
      if (clearml === undefined) {
        const suggest = w.value === undefined ? undefined : Math.max(0, Math.trunc(w.value));
        return { code: 'unreadable-text', text: w.text, suggest };
      }
      return { code: 'converted', value: Math.max(0, clearml), clearml, text: w.text, written: undefined };
    }
  }
}

/** The cap to import, with the warning or issue that says what ClearML's autoscaler did with what is written. */
function importCap(r: Reader, v: unknown, path: string, queue: string, resource: string): number | undefined {
  const c = readCap(v);
  switch (c.code) {
    case 'missing':
      return undefined; // the schema says it is required, at this path
    case 'as-written':
      return c.value;
    case 'converted': {
      const shown = c.text === undefined ? String(c.written) : `the text ${JSON.stringify(c.text)}`;
      if (c.clearml <= 0) {
        r.warnings.push(
          `${path} is ${shown}: ClearML's autoscaler launched no ${resource} instance for ${queue} with it (it launches while the cap minus the running instances is above 0), as with 0. Imported as 0, which launches none either; write 0`,
        );
      } else if (c.text === undefined) {
        r.warnings.push(
          `${path} is ${shown}: ClearML's autoscaler cut it to ${c.clearml} (Python's int()), so it ran at most ${c.clearml} ${resource} instances for ${queue}. Imported as ${c.value}; write ${c.value}`,
        );
      } else {
        r.warnings.push(
          `${path} is ${shown}: ClearML's autoscaler read it as ${c.clearml} (Python's int()). Imported as ${c.value}; write ${c.value} without quotes`,
        );
      }
      return c.value;
    }
    case 'unreadable-text':
      return r.issue(
        path,
        `is the text ${JSON.stringify(c.text)}, which ClearML's autoscaler could not read as a whole number (Python's int() fails on it): each poll stopped there while ${queue} had tasks waiting, so nothing was launched or terminated for any queue. Write a whole number of instances, e.g. ${c.suggest ?? 3}`,
      );
    case 'boolean':
      return r.issue(
        path,
        `is ${c.value}, not a number of instances (ClearML's autoscaler counted it as ${c.value ? 1 : 0}, Python's int(${c.value ? 'True' : 'False'})); write the number itself, e.g. ${c.value ? 1 : 0}`,
      );
    case 'not-a-number':
      return r.issue(
        path,
        `is ${c.written}, not a whole number of instances (ClearML's autoscaler failed on it at each poll while ${queue} had tasks waiting); write a whole number, e.g. 3`,
      );
  }
}
