import { describe, expect, it } from 'vitest';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useEmbeddedStack } from '../../support/stack';
import { applyLedgerChanges, type LedgerChange } from '../../../lambdas/store/ledger-store';
import { ingestUsageEvents } from '../../../lambdas/store/usage-store';
import { PROFILE_INDEX } from '../../../lambdas/store/keys';
import { scanProfiles } from '../../../lambdas/store/profile-reader';

const local = useEmbeddedStack({ ses: false });
const NOW = new Date('2026-11-24T12:00:00Z');

function invoiceLine(customerId: string, i: number, ownerEmail?: string): LedgerChange[] {
  const source = { key: 'exports/test.csv', line: i + 2 };
  const changes: LedgerChange[] = [
    {
      kind: 'line',
      at: 1,
      source,
      line: {
        invoiceId: `in_${customerId}`,
        lineId: 'l1',
        amount: 100,
        currency: 'USD',
        periodStart: '2026-11-01',
        periodEnd: '2026-12-01',
        status: 'paid',
      },
    },
  ];
  if (ownerEmail) changes.push({ kind: 'attributes', at: 1, source, attributes: { ownerEmail }, incidental: true });
  return changes;
}

/** Capacity DynamoDB reports per index for every write the client sends (ReturnConsumedCapacity INDEXES). */
function recordIndexWrites(dynamo: DynamoDBDocumentClient): { table: number; indexes: Map<string, number> } {
  const seen = { table: 0, indexes: new Map<string, number>() };
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const isWrite = 'TransactItems' in input || 'UpdateExpression' in input || 'Item' in input;
      if (isWrite) input.ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      if (isWrite) {
        type Cc = { Table?: { CapacityUnits?: number }; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> };
        const out = (result.output as { ConsumedCapacity?: Cc | Cc[] }).ConsumedCapacity;
        for (const cc of [out ?? []].flat()) {
          seen.table += cc.Table?.CapacityUnits ?? 0;
          for (const [name, c] of Object.entries(cc.GlobalSecondaryIndexes ?? {}))
            seen.indexes.set(name, (seen.indexes.get(name) ?? 0) + (c.CapacityUnits ?? 0));
        }
      }
      return result;
    },
    { step: 'initialize', name: 'recordIndexWrites' },
  );
  return seen;
}

describe('the profiles index', () => {
  it('lists every billed profile once, whole, across pages and segments; usage-only customers stay out', async () => {
    const { dynamo } = local.stack.clients;
    const table = local.stack.tableName;
    const ids = Array.from({ length: 230 }, (_, i) => `cus_${String(i).padStart(3, '0')}`);
    // Owners are deliberately few and some missing: the index no longer groups by owner.
    const byCustomer = new Map(ids.map((id, i) => [id, invoiceLine(id, i, i % 7 === 0 ? undefined : `csm${i % 3}@test.example`)]));
    await applyLedgerChanges(dynamo, table, byCustomer);
    const usage = await ingestUsageEvents(
      [
        { eventId: 'e1', customerId: 'cus_001', feature: 'search', timestamp: '2026-11-20T10:00:00Z' },
        { eventId: 'e2', customerId: 'only_usage', feature: 'search', timestamp: '2026-11-20T10:00:00Z' },
      ],
      { dynamo, tableName: table, now: () => NOW },
    );
    expect(usage.accepted).toBe(2);

    const seen = new Map<string, Record<string, unknown>>();
    const stats = await scanProfiles(
      dynamo,
      table,
      (items) => {
        for (const item of items) {
          expect(seen.has(item.customerId as string)).toBe(false);
          seen.set(item.customerId as string, item);
        }
      },
      { segments: 3 },
    );
    expect([...seen.keys()].sort()).toEqual(ids);
    expect(stats.itemsRead).toBe(230);
    // Keys from the index, the profile itself from the table: both the ledger and the usage part.
    expect(seen.get('cus_001')).toMatchObject({ ledger: expect.any(String), ownerEmail: 'csm1@test.example', le: '2026-11-20' });
    expect(stats.readUnits).toBeGreaterThan(0);
  });

  it('costs no index write when usage updates a profile (its keys do not change)', async () => {
    const { dynamo } = local.stack.clients;
    const table = local.stack.tableName;
    await applyLedgerChanges(dynamo, table, new Map([['cus_idx', invoiceLine('cus_idx', 0, 'ana@test.example')]]));
    const writes = recordIndexWrites(dynamo);
    try {
      const events = Array.from({ length: 12 }, (_, i) => ({
        eventId: `u${i}`,
        customerId: 'cus_idx',
        feature: `f${i % 3}`,
        timestamp: `2026-11-${String(10 + i).padStart(2, '0')}T10:00:00Z`,
      }));
      expect((await ingestUsageEvents(events, { dynamo, tableName: table, now: () => NOW })).accepted).toBe(12);
      expect(writes.table).toBeGreaterThan(0);
      expect(writes.indexes.get(PROFILE_INDEX.name) ?? 0).toBe(0);

      // A billing row for a new customer does write the index: its first and only entry.
      await applyLedgerChanges(dynamo, table, new Map([['cus_new', invoiceLine('cus_new', 1)]]));
      expect(writes.indexes.get(PROFILE_INDEX.name)).toBeGreaterThan(0);
    } finally {
      dynamo.middlewareStack.remove('recordIndexWrites');
    }
  });
});
