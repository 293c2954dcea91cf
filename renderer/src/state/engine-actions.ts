/** The store's engine actions: the switches, terminating and adopting instances, the stop buttons, the demo. A switch stays pending until the snapshot confirms it. */
import type { AppActions, StoreKit } from './app-state.js';
import { plural } from '../model/format.js';

export function engineActions(
  kit: StoreKit,
): Pick<
  AppActions,
  | 'setEnabled'
  | 'setLaunchesPaused'
  | 'setQueuePaused'
  | 'terminate'
  | 'adopt'
  | 'scaleToZero'
  | 'stopEverything'
  | 'startDemo'
  | 'stopDemo'
> {
  return {
    setEnabled(enabled) {
      return kit.confirmCall(
        'enabled',
        () => kit.api['engine.setEnabled']({ enabled }),
        (s, v) => s.enabled === v.enabled,
      );
    },

    setLaunchesPaused(paused) {
      return kit.confirmCall(
        'launchesPaused',
        () => kit.api['engine.setLaunchesPaused']({ paused }),
        (s, v) => s.launchesPaused === v.paused,
      );
    },

    setQueuePaused(queue, paused) {
      return kit.confirmCall(
        `queue:${queue}`,
        () => kit.api['queue.setPaused']({ queue, paused }),
        (s, v) => s.queues.find((q) => q.name === v.queue)?.paused === v.paused,
      );
    },

    async terminate(instanceIds) {
      const key = `terminate:${instanceIds.join(',')}`;
      const r = await kit.confirmCall(
        key,
        () => kit.api['instances.terminate']({ instanceIds }),
        (s, v) =>
          v.terminating.every((id) => {
            const i = s.instances.find((x) => x.instanceId === id);
            return !i || i.phase === 'terminating' || i.state === 'shutting-down' || i.state === 'terminated';
          }),
      );
      if (r.ok) {
        const skipped = instanceIds.filter((id) => !r.value.terminating.includes(id));
        if (skipped.length)
          kit.notify(
            'info',
            `Not terminated (not ours or already gone): ${skipped.join(', ')}. Refresh the Instances view to see their state.`,
          );
      }
      return r;
    },

    async adopt(instanceIds) {
      const r = await kit.call('adopt', () => kit.api['instances.adopt']({ instanceIds, confirm: true }));
      if (r.ok) {
        if (r.value.adopted.length) kit.notify('info', `Adopted ${plural(r.value.adopted.length, 'instance')}.`);
        for (const x of r.value.refused) kit.notify('error', `Not adopted: ${x.instanceId}: ${x.reason}`);
      }
      return r;
    },

    async scaleToZero() {
      const r = await kit.call('scaleToZero', () => kit.api['engine.scaleToZero']({}));
      if (r.ok) kit.notify('info', `Terminating ${r.value.terminating} instance(s).`);
      return r;
    },

    async stopEverything() {
      const r = await kit.call('stopEverything', () => kit.api['engine.stopEverything']({ confirm: true }), true);
      // Main turned autoscaling off before sweeping; pull so the switch shows it without waiting for a push.
      void kit.actions().refresh();
      return r;
    },

    async startDemo() {
      const r = await kit.confirmCall(
        'demo',
        () => kit.api['demo.start']({}),
        (s) => s.demo,
      );
      if (r.ok) await kit.actions().refreshConfig();
      return r;
    },

    async stopDemo() {
      const r = await kit.confirmCall(
        'demo',
        () => kit.api['demo.stop']({}),
        (s) => !s.demo,
      );
      if (r.ok) await kit.actions().refreshConfig();
      return r;
    },
  };
}
