/**
 * Channel names only, with no zod: the preload imports this file (not `contract.ts`), so the sandboxed preload
 * bundle stays a few kilobytes. `test/preload/preload.test.ts` proves it equals the contract's channel list.
 */
export const INVOKE_CHANNELS = [
  'autoscaler:state.getSnapshot',
  'autoscaler:engine.setEnabled',
  'autoscaler:engine.setLaunchesPaused',
  'autoscaler:engine.scaleToZero',
  'autoscaler:engine.stopEverything',
  'autoscaler:queue.setPaused',
  'autoscaler:instances.terminate',
  'autoscaler:instances.adopt',
  'autoscaler:leadership.decide',
  'autoscaler:leadership.createLeaseTable',
  'autoscaler:instances.detail',
  'autoscaler:timeline.get',
  'autoscaler:config.get',
  'autoscaler:config.validate',
  'autoscaler:config.save',
  'autoscaler:config.import',
  'autoscaler:config.export',
  'autoscaler:credentials.status',
  'autoscaler:credentials.set',
  'autoscaler:credentials.clear',
  'autoscaler:credentials.test',
  'autoscaler:credentials.importClearmlConf',
  'autoscaler:demo.start',
  'autoscaler:demo.stop',
  'autoscaler:app.openExternal',
  'autoscaler:settings.get',
  'autoscaler:settings.patch',
  'autoscaler:team.status',
  'autoscaler:team.probe',
  'autoscaler:team.attach',
  'autoscaler:team.detach',
] as const;

export const EVENT_CHANNELS = {
  stateChanged: 'autoscaler:state.changed',
  navigate: 'autoscaler:navigate',
  changed: 'autoscaler:changed',
} as const;

export const CHANNEL_PREFIX = 'autoscaler:';
