/**
 * Pure: joins what is known about one instance (the snapshot's view, the cost history's lifecycle record, its EC2
 * tags, the timeline's markers) into the detail the dashboard shows, and decides whether its console is worth
 * reading. The host does the reading.
 */
import type { InstanceView } from '../../../shared/domain.js';
import { CONSOLE_TAIL_LINES, type ConsoleTail, type InstanceDetail } from '../../../shared/instance-detail.js';
import type { TimelineMarker } from '../../../shared/timeline.js';
import { costUpTo, isFreeInterruption, priceAt, SPOT_INTERRUPTED } from '../cost/accounting.js';
import type { InstanceRecord } from '../cost/history.js';
import { TAG, type InstanceObs } from '../ports.js';

export interface DetailInputs {
  instanceId: string;
  now: number;
  view: InstanceView | undefined;
  record: InstanceRecord | undefined;
  ec2: InstanceObs | undefined;
  markers: readonly TimelineMarker[];
}

/**
 * The console is read for an instance still booting, or one that ended without its worker ever registering (the
 * engine terminated it as stuck): those are the ones whose boot log says what went wrong. Without a listing (just
 * launched, or gone), the cost history says: never registered.
 */
export function wantsConsole(i: Pick<DetailInputs, 'view' | 'record'>): boolean {
  if (i.view) return i.view.phase === 'booting';
  return !!i.record && i.record.registeredAt === null;
}

export function buildInstanceDetail(i: DetailInputs, consoleTail: ConsoleTail): InstanceDetail {
  const { view: v, record: r, now } = i;
  const lease = Number(i.ec2?.tags[TAG.lease]);
  const events = i.markers.filter((m) => m.instanceIds?.includes(i.instanceId));
  const endEvent = [...events].reverse().find((m) => m.kind === 'terminate' || m.kind === 'interruption');
  const spend = r ? costUpTo(r, now, now) : v ? v.costSoFar : null;
  return {
    instanceId: i.instanceId,
    known: !!(v || r),
    queue: v?.queue ?? r?.queue ?? null,
    resource: v?.resource ?? r?.resource ?? null,
    instanceType: v?.instanceType ?? r?.instanceType ?? null,
    market: v?.market ?? r?.market ?? null,
    zone: v?.zone ?? r?.zone ?? null,
    phase: v?.phase ?? null,
    // EC2's launch: a record of an adopted instance starts at the adoption and keeps EC2's launch aside.
    launchedAt: v?.launchedAt ?? r?.ec2LaunchedAt ?? r?.launchedAt ?? null,
    adoptedAt: v ? (v.adoptedAt ?? null) : r?.ec2LaunchedAt !== undefined ? r.launchedAt : null,
    registeredAt: r?.registeredAt ?? null,
    endedAt: r?.endedAt ?? null,
    endReason: (r?.endReason && endReasonText(r)) ?? endEvent?.message ?? null,
    tasks: (r?.tasks ?? []).map((t) => ({
      taskId: t.taskId,
      ...(t.name ? { name: t.name } : {}),
      startedAt: t.startedAt,
      endedAt: t.endedAt,
    })),
    idleSince: v && v.phase === 'idle' && v.idleSec !== null ? now - v.idleSec * 1000 : null,
    leaseUntil: Number.isFinite(lease) && lease > 0 ? lease * 1000 : null,
    hourlyPrice: v?.hourlyPrice ?? (r ? priceAt(r, now) : null),
    priceSource: r ? priceSourceText(r.priceSource) : null,
    spend,
    events,
    console: consoleTail,
  };
}

/** A price source's kind in words (the instance detail, the cost report). */
export const PRICE_SOURCE_TEXT: Record<InstanceRecord['priceSource']['kind'], string> = {
  'pricing-api': 'AWS Pricing API',
  'spot-history': 'spot price history',
  bundled: 'bundled price table',
  estimate: 'estimate',
};

function priceSourceText(s: InstanceRecord['priceSource']): string {
  const when = s.fetchedAt ? ` (${new Date(s.fetchedAt).toISOString().slice(0, 10)})` : '';
  return `${PRICE_SOURCE_TEXT[s.kind]}${when}${s.note ? `: ${s.note}` : ''}`;
}

/** The last `n` non-empty lines of a console capture, without the terminal's carriage returns. */
export function tailLines(output: string, n = CONSOLE_TAIL_LINES): string[] {
  const lines = output.replace(/\r/g, '').split('\n');
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-n);
}

/** The history's end reason in words: EC2's code for a spot interruption says what it means for the bill. */
function endReasonText(r: InstanceRecord): string | undefined {
  if (r.endReason !== SPOT_INTERRUPTED) return r.endReason;
  return isFreeInterruption(r)
    ? 'spot instance interrupted by AWS in its first hour: not charged'
    : 'spot instance interrupted by AWS';
}
