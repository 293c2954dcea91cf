/**
 * The numbers behind a step chart, for its text alternative: a rate that holds between polls is told once, at the
 * point it changed, so a day of steady spending is one row rather than thousands of identical polls.
 */
export interface StepRow {
  at: number;
  value: number;
}

export interface StepTable {
  rows: StepRow[];
  /** Changes older than the rows kept (the table keeps the most recent `max`). */
  omitted: number;
}

export function stepChanges(points: readonly { at: number; value: number }[], from: number, max = 48): StepTable {
  const sorted = [...points].sort((a, b) => a.at - b.at);
  const changes: StepRow[] = [];
  for (const p of sorted) {
    const prev = changes[changes.length - 1];
    if (prev && prev.value === p.value) continue;
    changes.push({ at: p.at, value: p.value });
  }
  // The rate in force when the window opens counts, at the window's start.
  const firstIn = changes.findIndex((c) => c.at >= from);
  const inWindow = firstIn === -1 ? changes.slice(-1) : changes.slice(Math.max(0, firstIn - 1));
  const clipped = inWindow.map((c) => (c.at < from ? { ...c, at: from } : c));
  const omitted = Math.max(0, clipped.length - max);
  return { rows: clipped.slice(omitted), omitted };
}
