/**
 * An in-memory `LeaseStore` for controller tests: one shared item (several engines may use one `FakeLeaseTable`),
 * DynamoDB's conditional-write semantics, every call recorded, failures injected. The DynamoDB store itself is
 * tested against moto (test/conformance/team-moto.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { LeaseItem, WriteCondition } from '../../electron/engine/team/lease-decision.js';
import type { LeaseStore } from '../../electron/engine/team/lease-store.js';

export class FakeLeaseTable {
  item: LeaseItem | null = null;
  readonly calls: string[] = [];
  private failures: Error[] = [];

  /** The next call(s), of any kind, throw these errors in order. */
  failNext(...errors: Error[]): this {
    this.failures.push(...errors);
    return this;
  }

  private enter(call: string): void {
    this.calls.push(call);
    const e = this.failures.shift();
    if (e) throw e;
  }

  store(table = 'leases'): LeaseStore {
    return {
      table,
      key: () => Promise.resolve({ account: '123456789012', region: 'us-east-1', prefix: 'dyn' }),
      read: () => {
        this.enter('read');
        return Promise.resolve(this.item ? { ...this.item } : null);
      },
      write: (item, condition: WriteCondition) => {
        this.enter(`write:${condition.kind}`);
        const cur = this.item;
        const holds =
          condition.kind === 'absent'
            ? cur === null
            : condition.kind === 'held-by'
              ? cur?.holderId === condition.holderId
              : cur?.rvn === condition.rvn;
        if (!holds) return Promise.resolve({ ok: false as const });
        const rvn = randomUUID();
        this.item = { ...item, rvn };
        return Promise.resolve({ ok: true as const, rvn });
      },
      release: (holderId) => {
        this.enter('release');
        if (this.item?.holderId === holderId) this.item = null;
        return Promise.resolve();
      },
      close: () => undefined,
    };
  }
}
