/**
 * The two connections, judged every tick each on its own: an EC2 failure does not hide a ClearML one. A problem
 * is logged once when it starts and once when it clears; the text says where it failed and what to change, in
 * the words of the host (the app's Settings, or a terminal's config fields and environment variables).
 */
import type { Config } from '../../../shared/config.js';
import type { StatusFix } from '../../../shared/domain.js';
import {
  ConnectionWatch,
  fixPlace,
  problemFrom,
  renderCleared,
  renderProblem,
  type Service,
  type Surface,
} from '../connections.js';
import { ev, type NewEvent } from '../events.js';

export interface Reporting {
  surface: Surface;
  /** False for a single tick (`--once`): the text promises no retry. */
  retrying: boolean;
  /** The EC2 endpoint in use; default the region's public one. */
  ec2Endpoint?: string;
}

export class ConnectionsController {
  private readonly watch = new ConnectionWatch();

  constructor(private readonly reporting: Reporting = { surface: 'app', retrying: true }) {}

  /**
   * Returns the text of each problem that holds now (ClearML first), for the status line and the tick's errors,
   * and where in the app each is fixed (`fix`, without repeats, in the same order).
   */
  report(
    config: Config,
    failures: Record<Service, unknown>,
    now: number,
    emit: (e: NewEvent) => void,
  ): { clearml: string | null; ec2: string | null; problems: string[]; fix: StatusFix[] } {
    const r = this.reporting;
    const endpoint: Record<Service, string> = {
      clearml: config.clearml.apiHost,
      ec2: r.ec2Endpoint ?? `https://ec2.${config.aws.region}.amazonaws.com`,
    };
    const now_: { clearml: string | null; ec2: string | null } = { clearml: null, ec2: null };
    const fix: StatusFix[] = [];
    for (const service of ['clearml', 'ec2'] as const) {
      const failure = failures[service];
      const problem = failure === null ? null : problemFrom(service, failure, endpoint[service]);
      const t = this.watch.update(service, problem, now);
      if (t?.started) emit(ev.connectionDown(renderProblem(t.started, r.surface, r), failure));
      if (t?.cleared) emit(ev.connectionBack(renderCleared(t.cleared, now)));
      if (problem) {
        now_[service] = renderProblem(problem, r.surface, r);
        const place = fixPlace(problem);
        if (place && !fix.includes(place)) fix.push(place);
      }
    }
    // Both, in a fixed order, for a status line that names every service that does not answer.
    const problems = [now_.clearml, now_.ec2].filter((t): t is string => t !== null);
    return { ...now_, problems, fix };
  }
}
