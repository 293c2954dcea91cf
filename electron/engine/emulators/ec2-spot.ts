/**
 * Spot: DescribeSpotPriceHistory, and spot requests (RequestSpotInstances, DescribeSpotInstanceRequests) the way
 * ClearML's own autoscaler launches spot capacity.
 */
import { z } from 'zod';
import { EMULATED_INSTANCE_TYPES, findInstanceType } from './ec2-catalog.js';
import { filters as readFilters, stringList, wildcardMatch, type QueryParams } from './ec2-query.js';
import { runInstances } from './ec2-run-instances.js';
import {
  CAPACITY_CODES,
  dryRunCheck,
  Ec2Fail,
  intParam,
  parseParams,
  type Ec2Store,
  type SpotRequest,
} from './ec2-store.js';
import type { XmlObject } from './ec2-xml.js';

/** A fulfilled spot request shows `pending-evaluation` this long before `fulfilled` (AWS evaluates first). */
const SPOT_EVALUATION_MS = 2000;

const DescribeSpotPriceHistoryParams = z.looseObject({
  MaxResults: intParam(1, 10000).optional(),
  NextToken: z.string().optional(),
  StartTime: z.iso.datetime({ offset: true }).optional(),
  AvailabilityZone: z.string().optional(),
});

export function describeSpotPriceHistory(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const q = parseParams(DescribeSpotPriceHistoryParams, p);
  const fs = readFilters(p);
  const wantTypes = stringList(p, 'InstanceType');
  const wantProducts = stringList(p, 'ProductDescription');
  const at = q.StartTime ? Math.min(now, Date.parse(q.StartTime)) : now;
  const stamp = new Date(Math.floor(at / 3_600_000) * 3_600_000);
  const rows: XmlObject[] = [];
  for (const type of EMULATED_INSTANCE_TYPES) {
    if (wantTypes.length && !wantTypes.includes(type.instanceType)) continue;
    for (const zone of s.zones) {
      if (q.AvailabilityZone && q.AvailabilityZone !== zone) continue;
      const product = 'Linux/UNIX';
      if (wantProducts.length && !wantProducts.includes(product)) continue;
      const row = { instanceType: type.instanceType, productDescription: product, availabilityZone: zone };
      const ok = fs.every((f) => {
        const v =
          f.name === 'instance-type'
            ? row.instanceType
            : f.name === 'availability-zone'
              ? row.availabilityZone
              : f.name === 'product-description'
                ? row.productDescription
                : null;
        if (v === null) throw new Ec2Fail('InvalidParameterValue', `The filter '${f.name}' is invalid`);
        return f.values.some((x) => wildcardMatch(x, v));
      });
      if (!ok) continue;
      rows.push({ ...row, spotPrice: s.spotPriceFor(type, zone).toFixed(6), timestamp: stamp });
    }
  }
  return s.pageRows(rows, 'spotPriceHistorySet', q.MaxResults, q.NextToken);
}

/**
 * `RequestSpotInstances` (one-time, count 1): the launch specification is a RunInstances request without the
 * market options, so it is launched through the same path, as a spot instance tied to the request. A capacity
 * shortage is not an error here: AWS keeps the request open with status `capacity-not-available`.
 */
export function requestSpotInstances(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const count = p['InstanceCount'] === undefined ? 1 : Number(p['InstanceCount']);
  if (count !== 1) throw new Ec2Fail('Unsupported', 'The emulator serves spot requests for one instance');
  const type = p['Type'] ?? 'one-time';
  if (type !== 'one-time' && type !== 'persistent') {
    throw new Ec2Fail('InvalidParameterValue', `Value (${type}) for parameter type is invalid.`);
  }
  const launch: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith('LaunchSpecification.')) launch[k.slice('LaunchSpecification.'.length)] = v;
  }
  if (launch['ImageId'] === undefined) {
    throw new Ec2Fail('MissingParameter', 'The request must contain the parameter LaunchSpecification.ImageId');
  }
  const run: QueryParams = {
    ...launch,
    Action: 'RunInstances',
    MinCount: '1',
    MaxCount: '1',
    'InstanceMarketOptions.MarketType': 'spot',
    'InstanceMarketOptions.SpotOptions.SpotInstanceType': type,
    InstanceInitiatedShutdownBehavior: 'terminate',
    ...(p['DryRun'] === 'true' ? { DryRun: 'true' } : {}),
  };
  const id = `sir-${s.hex(8)}`;
  const req: SpotRequest = {
    id,
    createdAt: now,
    type,
    instanceType: launch['InstanceType'] ?? 'm5.large',
    zone: launch['Placement.AvailabilityZone'] ?? null,
    instanceId: null,
    cancelled: false,
  };
  // A refusal aimed at the launch itself (a capacity shortage, say) applies to the launch the request makes:
  // capacity leaves the request open; anything else is the caller's error.
  const fault = s.intercept('RunInstances', run);
  if (fault && !CAPACITY_CODES.has(fault.code)) throw new Ec2Fail(fault.code, fault.message, fault.status);
  if (!fault) {
    const reservation = runInstances(s, run, now);
    req.instanceId = (reservation['instancesSet'] as { instanceId: string }[])[0]!.instanceId;
    const rec = s.recs.get(req.instanceId)!;
    rec.spotRequestId = id;
    req.zone = rec.zone;
  } else dryRunCheck(p);
  s.spotRequests.set(id, req);
  return { spotInstanceRequestSet: [spotRequestXml(s, req, now)] };
}

export function spotRequestXml(s: Ec2Store, req: SpotRequest, now: number): XmlObject {
  const rec = req.instanceId ? s.recs.get(req.instanceId) : undefined;
  if (rec) s.advance(rec, now);
  let state: string;
  let code: string;
  let message: string;
  if (!req.instanceId) {
    state = 'open';
    code = 'capacity-not-available';
    message = 'There is no capacity available that matches your request.';
  } else if (now < req.createdAt + SPOT_EVALUATION_MS) {
    state = 'open';
    code = 'pending-evaluation';
    message = 'Your Spot request has been submitted for review, and is pending evaluation.';
  } else if (rec?.stateReasonCode === 'Server.SpotInstanceTermination') {
    state = 'closed';
    code = 'instance-terminated-no-capacity';
    message = 'Spot Instance terminated due to no available capacity.';
  } else if (rec && (rec.state === 'terminated' || rec.state === 'shutting-down')) {
    state = 'closed';
    code = 'instance-terminated-by-user';
    message = 'Spot Instance terminated by user.';
  } else {
    state = 'active';
    code = 'fulfilled';
    message = 'Your spot request is fulfilled.';
  }
  const type = findInstanceType(req.instanceType);
  return {
    spotInstanceRequestId: req.id,
    spotPrice: type ? s.spotPriceFor(type, req.zone ?? s.zones[0]!).toFixed(6) : null,
    type: req.type,
    state,
    status: { code, updateTime: new Date(now), message },
    launchSpecification: { imageId: rec?.imageId ?? null, instanceType: req.instanceType },
    instanceId: code === 'pending-evaluation' ? null : req.instanceId,
    createTime: new Date(req.createdAt),
    productDescription: 'Linux/UNIX',
    launchedAvailabilityZone: code === 'pending-evaluation' ? null : (rec?.zone ?? null),
    instanceInterruptionBehavior: 'terminate',
  };
}

export function describeSpotInstanceRequests(s: Ec2Store, p: QueryParams, now: number): XmlObject {
  const ids = stringList(p, 'SpotInstanceRequestId');
  const missing = ids.find((id) => !s.spotRequests.has(id));
  if (missing) {
    throw new Ec2Fail(
      'InvalidSpotInstanceRequestID.NotFound',
      `The spot instance request ID '${missing}' does not exist`,
    );
  }
  const list = ids.length ? ids.map((id) => s.spotRequests.get(id)!) : [...s.spotRequests.values()];
  return { spotInstanceRequestSet: list.map((r) => spotRequestXml(s, r, now)) };
}
