/**
 * What the operator of a headless run does next after an event that stops the engine's work until someone acts.
 * The event's own words are the app's (its buttons); on a host run by a supervisor the answer is a flag, and without
 * this line the engine holds for good while its log names controls nobody there has. Pure.
 */
import type { EngineEvent } from '../../../shared/domain.js';

export interface NextStepContext {
  /** Served to teammates (--serve): an admin can answer from an attached app too. */
  serving: boolean;
}

export function nextStep(e: Pick<EngineEvent, 'code'>, ctx: NextStepContext): string | null {
  switch (e.code) {
    case 'other-engine':
      return (
        'to decide on this host, stop this run and start it once with --team act (this engine acts: stop the other ' +
        'one first unless it should act too) or --team standby (this engine only observes); the answer is kept in ' +
        `the data folder, so later starts without the flag keep it${ctx.serving ? ', or an admin answers from an attached app' : ''}`
      );
    default:
      return null;
  }
}
