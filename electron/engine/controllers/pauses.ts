/**
 * What the user paused: every launch, or the launches of single queues. The engine reads it each tick; the host
 * carries it over when a new config builds a new engine, so a pause survives a settings change.
 */
export class Pauses {
  launches = false;
  readonly queues = new Set<string>();

  setQueue(queue: string, paused: boolean): void {
    if (paused) this.queues.add(queue);
    else this.queues.delete(queue);
  }

  copyFrom(other: Pauses): void {
    this.launches = other.launches;
    for (const q of other.queues) this.queues.add(q);
  }
}
