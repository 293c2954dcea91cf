/** The words of "Stop everything": what the confirmation promises and what the per-region result says. Pure. */
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import { plural } from './format.js';

export type StopEverythingResult = InvokeResponse<'autoscaler:engine.stopEverything'>;

export const STOP_EVERYTHING_CONSEQUENCE =
  'This terminates every instance this app launched, in every region it has launched in, busy ones included: ' +
  'tasks running on them stop now and are not re-queued automatically. It also turns autoscaling off, so nothing ' +
  'is launched again until you turn it back on.';

export interface RegionLine {
  region: string;
  ok: boolean;
  text: string;
}

export interface StopEverythingSummary {
  tone: 'ok' | 'error';
  headline: string;
  regions: RegionLine[];
}

export function summarizeStopEverything(r: StopEverythingResult): StopEverythingSummary {
  const regions = r.regions.map((x): RegionLine =>
    x.error === null
      ? {
          region: x.region,
          ok: true,
          text: x.terminated ? `${plural(x.terminated, 'instance')} terminated` : 'nothing was running',
        }
      : {
          region: x.region,
          ok: false,
          text: `${x.terminated ? `${plural(x.terminated, 'instance')} terminated, then ` : ''}failed: ${x.error}`,
        },
  );
  const terminated = r.regions.reduce((n, x) => n + x.terminated, 0);
  const failed = r.regions.filter((x) => x.error !== null).length;
  if (r.regions.length === 0)
    return {
      tone: 'ok',
      headline: 'Autoscaling is off. No region to sweep: this app has not launched an instance anywhere yet.',
      regions,
    };
  const done = `${plural(terminated, 'instance')} terminated`;
  return failed
    ? {
        tone: 'error',
        headline: `Autoscaling is off; ${done}, but ${failed} of ${plural(r.regions.length, 'region')} could not be swept: instances there may still be running. Follow the advice below.`,
        regions,
      }
    : { tone: 'ok', headline: `Autoscaling is off; ${plural(r.regions.length, 'region')} swept, ${done}.`, regions };
}
