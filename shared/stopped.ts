/**
 * Instances stopped outside the app, in the words every surface shares (tray, headless, dashboard, notifications).
 * They are not running: they do no work and bill no compute, but their disks bill until the engine terminates them,
 * so they are counted apart, with when that happens. The time is a number in the snapshot (`terminatesAt`); each
 * surface passes its own clock format, so a notice and a row read in the user's time zone and the headless line in
 * the one its event rows use.
 */
import type { InstanceView } from './domain.js';

/** The tag that makes an instance the app's (electron/engine/ports.ts `TAG.prefix`): removed, it is left alone. */
const PREFIX_TAG = 'clearml-autoscaler:prefix';

type Clock = (ms: number) => string;

export function stoppedInstances(instances: readonly InstanceView[]): InstanceView[] {
  return instances.filter((i) => i.phase === 'stopped');
}

/** "1 stopped, terminates at 12:40", "2 stopped, the first terminates at 12:40"; null when none is stopped. */
export function stoppedCount(instances: readonly InstanceView[], clock: Clock): string | null {
  const stopped = stoppedInstances(instances);
  if (stopped.length === 0) return null;
  const end = firstEnd(stopped);
  if (end === null) return `${stopped.length} stopped`;
  const first = clock(end);
  return `${stopped.length} stopped, ${stopped.length === 1 ? '' : 'the first '}terminates at ${first}`;
}

/** When the first of these stopped instances is terminated; null when none has a time yet. */
function firstEnd(items: readonly Pick<InstanceView, 'terminatesAt'>[]): number | null {
  const ends = items.flatMap((i) => (i.terminatesAt === undefined ? [] : [i.terminatesAt]));
  return ends.length ? Math.min(...ends) : null;
}

const LEFT_ALONE = 'left alone while the engine does not act, then terminated after a grace unless started again';

/** Why a stopped instance is kept for now, when it goes, and how to keep it (its row note, its notice). */
export function stoppedNote(i: Pick<InstanceView, 'terminatesAt'>, clock: Clock): string {
  const when =
    i.terminatesAt === undefined
      ? LEFT_ALONE
      : // "it will be": a bare "terminated at 12:40" reads as done (the event log says "it will be terminated in 30 min").
        `it will be terminated at ${clock(i.terminatesAt)} unless started again`;
  return `Stopped outside the app: its disks still bill; ${when}. To keep it, remove its ${PREFIX_TAG} tag.`;
}

/** The same for several stopped at once (one notice for a fleet stopped together): when the first of them goes. */
export function stoppedNoteMany(items: readonly Pick<InstanceView, 'terminatesAt'>[], clock: Clock): string {
  const end = firstEnd(items);
  const when = end === null ? LEFT_ALONE : `the first will be terminated at ${clock(end)} unless started again`;
  return `Stopped outside the app: their disks still bill; ${when}. To keep one, remove its ${PREFIX_TAG} tag.`;
}
