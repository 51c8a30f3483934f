import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { useEmbeddedStack } from '../../support/stack';
import { decodeUsageProfile, ingestUsageEvents, readActivityDays } from '../../../lambdas/store/usage-store';
import { addDays } from '../../../lambdas/domain/dates';
import { activityWindowStart } from '../../../lambdas/store/usage-rollup';
import { keys } from '../../../lambdas/store/keys';
import type { DayActivity } from '../../../lambdas/domain/types';
import { dayFromNum, dayNum } from '../../../lambdas/domain/dates';
import { weeksFromDays } from '../../../lambdas/domain/forecast/weeks';

const local = useEmbeddedStack({ ses: false });
const NOW = new Date('2026-11-24T12:00:00Z');

interface Ev {
  eventId: string;
  customerId: string;
  feature: string;
  timestamp: string;
  count: number;
}

// Feature names that would break an expression if they were not passed as attribute-name placeholders.
const FEATURES = ['search', 'a.b', '#x', 'ü ñ', 'list[0]', ':v', 'f:nested'];

let run = 0;

describe('usage store against DynamoDB Local (property)', () => {
  it('any split into sequential or concurrent batches, with repeats, gives the rollups of the distinct events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            eventId: fc.string({ minLength: 1, maxLength: 4 }),
            customer: fc.nat({ max: 2 }),
            feature: fc.constantFrom(...FEATURES),
            day: fc.integer({ min: 0, max: 120 }),
            count: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 40, selector: (e) => `${e.customer}|${e.eventId}` },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (raw, repeats, parts, concurrent) => {
          const prefix = `p${run++}-`;
          const events: Ev[] = raw.map((e) => ({
            eventId: e.eventId,
            customerId: `${prefix}${e.customer}`,
            feature: e.feature,
            timestamp: `${addDays('2026-06-01', e.day)}T06:30:00+02:00`,
            count: e.count,
          }));
          const delivered = [...events, ...repeats.map((i) => events[i % events.length]!)];
          const batches: Ev[][] = Array.from({ length: parts }, () => []);
          delivered.forEach((e, i) => batches[(i * 7) % parts]!.push(e));
          const deps = { dynamo: local.stack.clients.dynamo, tableName: local.stack.tableName, now: () => NOW };
          const results = concurrent
            ? await Promise.all(batches.map((b) => ingestUsageEvents(b, deps)))
            : await batches.reduce<Promise<Awaited<ReturnType<typeof ingestUsageEvents>>[]>>(
                async (acc, b) => [...(await acc), await ingestUsageEvents(b, deps)],
                Promise.resolve([]),
              );
          expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(events.length);
          expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(repeats.length);

          for (const customerId of new Set(events.map((e) => e.customerId))) {
            const mine = events.filter((e) => e.customerId === customerId);
            const want: Record<string, DayActivity> = {};
            const ff: Record<string, string> = {};
            for (const e of mine) {
              // 06:30 at +02:00 is 04:30 UTC the same day
              const day = e.timestamp.slice(0, 10);
              const d = (want[day] ??= { events: 0, features: {} });
              d.events += e.count;
              d.features[e.feature] = (d.features[e.feature] ?? 0) + e.count;
              if (!ff[e.feature] || day < ff[e.feature]!) ff[e.feature] = day;
            }
            const days = Object.keys(want).sort();
            expect(await readActivityDays(deps.dynamo, deps.tableName, customerId, '2026-01-01', '2026-12-31')).toEqual(want);
            const item = (
              await deps.dynamo.send(new GetCommand({ TableName: deps.tableName, Key: keys.profile(customerId), ConsistentRead: true }))
            ).Item!;
            const start = activityWindowStart(days.at(-1)!);
            // Weekly summaries, as the forecast's own summariser makes them of the same days (no userIds here).
            const weeks = Object.fromEntries(
              [...weeksFromDays(want, dayNum(days.at(-1)!))].map(([w, summary]) => [dayFromNum(w), summary]),
            );
            expect(decodeUsageProfile(item)).toEqual({
              activity: Object.fromEntries(Object.entries(want).filter(([d]) => d >= start)),
              weeks,
              firstEventDay: days[0],
              featureFirstSeen: ff,
            });
            expect(item.le).toBe(days.at(-1));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
