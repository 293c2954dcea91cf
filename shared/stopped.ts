/**
 * Instances stopped outside the app, in the words every surface shares. They do no work and bill no compute, but
 * their disks bill until the engine terminates them. When that happens is a number in the snapshot (`terminatesAt`);
 * each surface passes its own clock format, so a row and a notice read in the user's time zone.
 */
import type { InstanceView } from './domain.js';

/** The tag that makes an instance the app's (electron/engine/ports.ts `TAG.prefix`): removed, it is left alone. */
const PREFIX_TAG = 'clearml-autoscaler:prefix';

type Clock = (ms: number) => string;

/** Why a stopped instance is kept for now, when it goes, and how to keep it (its row note, its notice). */
export function stoppedNote(i: Pick<InstanceView, 'terminatesAt'>, clock: Clock): string {
  const when =
    i.terminatesAt === undefined
      ? 'left alone while the engine does not act, then terminated after a grace unless started again'
      : `terminated at ${clock(i.terminatesAt)} unless started again`;
  return `Stopped outside the app: its disks still bill; ${when}. To keep it, remove its ${PREFIX_TAG} tag.`;
}
