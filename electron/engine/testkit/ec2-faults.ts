/**
 * Fault injection for the EC2 emulator: test and simulator machinery only (lint keeps product code out of
 * `testkit/`). A fault answers matching requests with the error code, message and status real EC2 uses, through
 * the emulator's interceptors.
 */
import { Buffer } from 'node:buffer';
import type { QueryParams } from '../emulators/ec2-query.js';
import {
  OWNER_ID,
  startEc2Emulator as startPlainEc2Emulator,
  type Ec2Emulator as PlainEc2Emulator,
  type Ec2EmulatorOptions,
} from '../emulators/ec2-emulator.js';

export interface Ec2Fault {
  /** EC2 action name (`RunInstances`); any action when absent. */
  action?: string;
  /** The EC2 error code to answer with. */
  code:
    | 'InsufficientInstanceCapacity'
    | 'RequestLimitExceeded'
    | 'UnauthorizedOperation'
    | 'AuthFailure'
    | 'InternalError'
    | (string & {});
  message?: string;
  /** Defaults to the status AWS uses for the code. */
  status?: number;
  /** How many matching requests fail; forever when absent. */
  count?: number;
  /** Narrows the fault, e.g. `(p) => p['SubnetId'] === 'subnet-a' && p['InstanceMarketOptions.MarketType'] === 'spot'`. */
  when?: (params: QueryParams) => boolean;
}

/** The EC2 emulator with a fault list. */
export interface Ec2Emulator extends PlainEc2Emulator {
  /** Consumed in order; the first matching fault answers the request. */
  faults: Ec2Fault[];
}

/** Starts an EC2 emulator that answers with the faults pushed onto its `faults`. */
export async function startEc2Emulator(opts: Ec2EmulatorOptions): Promise<Ec2Emulator> {
  return withEc2Faults(await startPlainEc2Emulator(opts));
}

/** Adds a `faults` list to an emulator (read on every request, so it may be replaced). */
export function withEc2Faults(plain: PlainEc2Emulator): Ec2Emulator {
  const emulator = Object.assign(plain, { faults: [] as Ec2Fault[] });
  emulator.interceptors.push((action, p) => {
    const f = matchFault(emulator.faults, action, p);
    return f ? { code: f.code, message: f.message ?? faultMessage(f.code, action, p), status: f.status } : null;
  });
  return emulator;
}

function matchFault(faults: Ec2Fault[], action: string, p: QueryParams): Ec2Fault | null {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    if (f.action !== undefined && f.action !== action) continue;
    if (f.when && !f.when(p)) continue;
    if (f.count !== undefined) {
      f.count -= 1;
      if (f.count <= 0) faults.splice(i, 1);
    }
    return f;
  }
  return null;
}

/** The message real EC2 sends with each code (what the app shows and parses). */
function faultMessage(code: string, action: string, p: QueryParams): string {
  const type = p['InstanceType'] ?? 'the requested instance type';
  switch (code) {
    case 'InsufficientInstanceCapacity':
      return (
        `We currently do not have sufficient ${type} capacity in the Availability Zone you requested. Our system ` +
        `will be working on provisioning additional capacity. You can currently get ${type} capacity by not ` +
        'specifying an Availability Zone in your request or choosing a different Availability Zone.'
      );
    case 'RequestLimitExceeded':
      return 'Request limit exceeded.';
    case 'UnauthorizedOperation':
      return (
        `You are not authorized to perform this operation. User: arn:aws:iam::${OWNER_ID}:user/emulator is not ` +
        `authorized to perform: ec2:${action} because no identity-based policy allows the ec2:${action} action. ` +
        `Encoded authorization failure message: ${Buffer.from(`emulator denied ${action}`).toString('base64')}`
      );
    case 'AuthFailure':
      return 'AWS was not able to validate the provided access credentials';
    case 'InternalError':
      return 'An internal error has occurred';
    case 'MaxSpotInstanceCountExceeded':
      return 'Max spot instance count exceeded';
    case 'VcpuLimitExceeded':
      return (
        'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket ' +
        'that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request ' +
        'to request an adjustment to this limit.'
      );
    case 'Unsupported':
      return `Your requested instance type (${type}) is not supported in your requested Availability Zone.`;
    default:
      return `${code} (emulated fault)`;
  }
}

export type { Ec2EmulatorOptions };
