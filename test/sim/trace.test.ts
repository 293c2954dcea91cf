import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrace, parseTraceText } from '../../electron/engine/sim/trace.js';

const task = (over: Record<string, unknown> = {}) => ({
  id: 't1',
  queue: 'gpu',
  enqueueAtSec: 0,
  durationSec: 60,
  ...over,
});

describe('trace schema', () => {
  it('accepts a minimal trace and fills the capacity-error code', () => {
    const r = parseTrace({
      name: 'ok',
      tasks: [task()],
      capacityErrors: [{ fromSec: 0, toSec: 60, market: 'spot' }],
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.trace.capacityErrors?.[0]?.code).toBe('InsufficientInstanceCapacity');
  });

  it.each([
    { doc: { name: 'x', tasks: [task()], spotInterruptionPerHour: 1 }, path: 'spotInterruptionPerHour' },
    { doc: { name: 'x', tasks: [task(), task({ id: 't2', durationSecs: 5 })] }, path: 'tasks.1.durationSecs' },
    { doc: { name: 'x', tasks: [task()], bootSec: { min: 1, max: 2, mean: 1.5 } }, path: 'bootSec.mean' },
    {
      doc: { name: 'x', tasks: [task()], prices: { 'g4dn.xlarge': { onDemand: 1, spot: 0.3, reserved: 0.5 } } },
      path: 'prices.g4dn.xlarge.reserved',
    },
    {
      doc: { name: 'x', tasks: [task()], capacityErrors: [{ fromSec: 0, toSec: 9, az: 'us-east-1a' }] },
      path: 'capacityErrors.0.az',
    },
  ])('rejects the unknown field $path at its path', ({ doc, path: where }) => {
    const r = parseTrace(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.find((i) => i.path === where)?.message).toMatch(/unknown field/);
  });

  it.each([
    { doc: { name: 'x', tasks: [task({ durationSec: -1 })] }, path: 'tasks.0.durationSec' },
    { doc: { name: 'x', tasks: [] }, path: 'tasks' },
    { doc: { name: 'x', tasks: [task(), task()] }, path: 'tasks.1.id' },
    { doc: { name: 'x', tasks: [task({ queue: 'a\nb' })] }, path: 'tasks.0.queue' },
    { doc: { name: 'x', tasks: [task()], bootSec: { min: 10, max: 5 } }, path: 'bootSec.max' },
    {
      doc: { name: 'x', tasks: [task()], capacityErrors: [{ fromSec: 50, toSec: 50 }] },
      path: 'capacityErrors.0.toSec',
    },
    { doc: { tasks: [task()] }, path: 'name' },
  ])('rejects an invalid value at $path', ({ doc, path: where }) => {
    const r = parseTrace(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(where);
  });

  it('reports a JSON syntax error at (file)', () => {
    const r = parseTraceText('{"name": ');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]?.path).toBe('(file)');
      expect(r.issues[0]?.message).toMatch(/not valid JSON/);
    }
  });

  it('accepts every bundled trace', () => {
    const dir = path.join(import.meta.dirname, '../../bench/traces');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const r = parseTraceText(readFileSync(path.join(dir, f), 'utf8'));
      expect(r.ok ? 'ok' : r.issues, f).toBe('ok');
    }
  });
});
