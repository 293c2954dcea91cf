/**
 * Configured queues that do not exist on the ClearML server are created, as ClearML's autoscaler does at start-up:
 * a config imported from it may name a queue nobody created by hand, and tasks can only be enqueued to a queue that
 * exists. `missingQueues` decides (pure); `createMissingQueues` makes the calls and says what it did.
 */
import type { EngineEvent } from '../../shared/domain.js';
import type { ClearmlApi, QueueObs } from './ports.js';
import type { Config } from '../../shared/config.js';
import { errorText } from '../../shared/error-text.js';
import { credentialsCode } from './events.js';

type NewEvent = Omit<EngineEvent, 'id' | 'at'>;

export function missingQueues(configured: readonly string[], observed: readonly QueueObs[]): string[] {
  const present = new Set(observed.map((q) => q.name));
  return configured.filter((q) => !present.has(q));
}

/** Returns the queues it created (empty, as the server reports new queues), so this tick can plan with them. */
export async function createMissingQueues(
  clearml: ClearmlApi,
  config: Pick<Config, 'queues'>,
  observed: readonly QueueObs[],
  emit: (key: string, e: NewEvent) => void,
): Promise<QueueObs[]> {
  const created: QueueObs[] = [];
  if (!clearml.createQueue) return created;
  for (const name of missingQueues(Object.keys(config.queues), observed)) {
    try {
      const { id } = await clearml.createQueue(name);
      created.push({ id, name, entries: [] });
      emit(`queue-created|${name}`, {
        level: 'info',
        kind: 'engine',
        queue: name,
        message: `created queue '${name}' on the ClearML server: it is configured but did not exist (ClearML's autoscaler creates it too); enqueue tasks to it, or fix the name in the config if it was a typo`,
      });
    } catch (e) {
      emit(`queue-create-failed|${name}`, {
        level: 'error',
        kind: 'error',
        queue: name,
        message: `queue '${name}' does not exist on the ClearML server and could not be created (${errorText(e)}): create it in the ClearML web app (Orchestration → Queues) or fix the name`,
        ...credentialsCode(e),
      });
    }
  }
  return created;
}
