/**
 * Usage ingest benchmark: events/s through the local API adapter and the ingest-usage handler into
 * DynamoDB Local, and the DynamoDB writes it costs, against a naive write-per-event baseline.
 *
 * Every HTTP request the SDK sends to DynamoDB is counted by a middleware (retries included), and
 * write requests ask for ReturnConsumedCapacity so write units are DynamoDB's own figures (DynamoDB
 * Local computes them from item sizes the way the service does).
 *
 *   npx tsx bench/usage.ts [--quick]
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedStack, type EmbeddedStack } from '../local/stack';
import { startUsagePath } from '../local/usage-path';
import { keys } from '../lambdas/store/keys';
import { eventIdHash } from '../lambdas/store/usage-rollup';
import { validateUsageEvent } from '../lambdas/formats/usage-event';
import { instrumentDynamo, newDynamoCounters, sumOps, type DynamoCounters as Counters } from './dynamo-counters';
import { formatTable, isMain, recordResults, type BenchModule, type Figure } from './harness';

const CUSTOMERS = 50;
const FEATURES = ['dashboard', 'reports', 'export', 'alerts', 'api', 'sso'];
const IN_FLIGHT = 4;

function makeEvents(n: number, seed: string) {
  const today = new Date();
  const days = [0, 1].map((d) => new Date(today.getTime() - d * 86_400_000).toISOString().slice(0, 10));
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${seed}-${i}-${randomUUID()}`,
    customerId: `bench-customer-${i % CUSTOMERS}`,
    feature: FEATURES[(i * 7) % FEATURES.length]!,
    timestamp: `${days[i % days.length]}T${String(i % 24).padStart(2, '0')}:00:00Z`,
    userId: `user-${(i * 13) % 40}`,
  }));
}

async function throughApi(stack: EmbeddedStack, total: number, batchSize: number, counters: Counters) {
  const path = await startUsagePath(stack, {
    apiKeys: ['bench'],
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Bench', serviceName: 'usage-bench' }),
  });
  const api = path.api;
  const events = makeEvents(total, `b${batchSize}`);
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += batchSize) bodies.push(JSON.stringify({ events: events.slice(i, i + batchSize) }));
  Object.assign(counters, newDynamoCounters());
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${api.url}/events`, { method: 'POST', headers: { 'x-api-key': 'bench' }, body });
        const json = (await res.json()) as { accepted?: number; message?: string };
        if (res.status !== 202) throw new Error(`usage API answered ${res.status}: ${json.message}`);
        accepted += json.accepted ?? 0;
      }
    }),
  );
  // Posted, then counted: the queue drained and the inbox folded, as the snapshot does first.
  const counted = await path.settle();
  const seconds = (performance.now() - started) / 1000;
  await path.stop();
  if (accepted !== total || counted.accepted !== total)
    throw new Error(`expected ${total} accepted events, got ${accepted} answered and ${counted.accepted} counted`);
  return { seconds, eventsPerSec: total / seconds, ...summarise(counters, total) };
}

/** The baseline: one conditional UpdateItem per event (idempotent by its id, no profile kept). */
async function naive(stack: EmbeddedStack, total: number, counters: Counters) {
  const events = makeEvents(total, 'naive');
  Object.assign(counters, newDynamoCounters());
  const now = new Date();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < events.length) {
        const v = validateUsageEvent(events[next++], now);
        if (!v.ok) throw new Error(v.reason);
        const e = v.event;
        await stack.clients.dynamo.send(
          new UpdateCommand({
            TableName: stack.tableName,
            Key: { ...keys.day(e.customerId, e.day), sk: `NAIVE#${e.day}` },
            UpdateExpression: 'ADD n :n, #f :n, ids :id',
            ConditionExpression: 'NOT contains(ids, :h)',
            ExpressionAttributeNames: { '#f': `f:${e.feature}` },
            ExpressionAttributeValues: {
              ':n': e.count,
              ':id': new Set([Buffer.from(eventIdHash(e.eventId), 'hex')]),
              ':h': Buffer.from(eventIdHash(e.eventId), 'hex'),
            },
          }),
        );
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { seconds, eventsPerSec: total / seconds, ...summarise(counters, total) };
}

function summarise(c: Counters, events: number) {
  const per1000 = (n: number) => (n / events) * 1000;
  const writes = sumOps(c, 'writes');
  const reads = sumOps(c, 'reads');
  const failedWrites = sumOps(c, 'writes', c.failed);
  return {
    writesPer1000: per1000(writes),
    failedWritesPer1000: per1000(failedWrites),
    readsPer1000: per1000(reads),
    itemsWrittenPer1000: per1000(c.itemsWritten),
    writeUnitsPer1000: per1000(c.writeUnits),
    requests: { ...c.requests },
  };
}

export const usageBench: BenchModule = {
  name: 'usage',
  async run(opts): Promise<Figure[]> {
    const prev = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const stack = await startEmbeddedStack({ ses: false, namePrefix: 'churnwatch-bench' });
    try {
      let counters = newDynamoCounters();
      instrumentDynamo(stack.clients.dynamo, () => counters);
      const big = await throughApi(stack, opts.quick ? 3_000 : 20_000, 1000, (counters = newDynamoCounters()));
      const small = await throughApi(stack, opts.quick ? 1_000 : 5_000, 100, (counters = newDynamoCounters()));
      const base = await naive(stack, opts.quick ? 500 : 3_000, (counters = newDynamoCounters()));

      const rows = [
        ['API, batches of 1000', big],
        ['API, batches of 100', small],
        ['naive UpdateItem per event', base],
      ] as const;
      console.error(`\nusage ingest (${CUSTOMERS} customers, DynamoDB Local, ${IN_FLIGHT} requests in flight)`);
      printTable(
        Object.fromEntries(
          rows.map(([label, r]) => [
            label,
            {
              'events/s': Math.round(r.eventsPerSec),
              'write req /1000 ev': round(r.writesPer1000),
              'of which cancelled': round(r.failedWritesPer1000),
              'read req /1000 ev': round(r.readsPer1000),
              'items written /1000 ev': round(r.itemsWrittenPer1000),
              'WCU /1000 ev': round(r.writeUnitsPer1000),
            },
          ]),
        ),
      );
      const note = `${CUSTOMERS} customers, ${IN_FLIGHT} requests in flight, DynamoDB Local`;
      return [
        { name: 'usage.eventsPerSec', value: round(big.eventsPerSec), unit: 'events/s', note: `API, batches of 1000, ${note}` },
        {
          name: 'usage.writesPer1000Events',
          value: round(big.writesPer1000),
          unit: 'write requests',
          note: 'per 1000 events, batches of 1000 (retries included)',
        },
        {
          name: 'usage.cancelledWritesPer1000Events',
          value: round(big.failedWritesPer1000),
          unit: 'write requests',
          note: 'of those, transactions cancelled by a concurrent batch (retried)',
        },
        { name: 'usage.eventsPerSecBatch100', value: round(small.eventsPerSec), unit: 'events/s', note: `API, batches of 100, ${note}` },
        {
          name: 'usage.writesPer1000EventsBatch100',
          value: round(small.writesPer1000),
          unit: 'write requests',
          note: 'per 1000 events, batches of 100',
        },
        {
          name: 'usage.itemsWrittenPer1000Events',
          value: round(big.itemsWrittenPer1000),
          unit: 'items',
          note: 'per 1000 events, batches of 1000',
        },
        {
          name: 'usage.writeUnitsPer1000Events',
          value: round(big.writeUnitsPer1000),
          unit: 'WCU',
          note: 'per 1000 events, batches of 1000, as DynamoDB Local reports them',
        },
        {
          name: 'usage.naiveWritesPer1000Events',
          value: round(base.writesPer1000),
          unit: 'write requests',
          note: 'baseline: one conditional UpdateItem per event',
        },
        {
          name: 'usage.naiveEventsPerSec',
          value: round(base.eventsPerSec),
          unit: 'events/s',
          note: 'baseline: one UpdateItem per event, 8 in flight',
        },
      ];
    } finally {
      await stack.stop();
      if (prev === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = prev;
    }
  },
};

export default usageBench;

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** console.table, but on stderr: stdout carries the figures. */
function printTable(data: Record<string, Record<string, number>>): void {
  const cols = Object.keys(Object.values(data)[0] ?? {});
  const rows = Object.entries(data).map(([k, v]) => [k, ...cols.map((c) => String(v[c]))]);
  const header = ['', ...cols];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.error([line(header), ...rows.map(line)].join('\n'));
}

if (isMain(import.meta.url)) {
  const figures = await usageBench.run({ quick: process.argv.includes('--quick') });
  recordResults(figures);
  console.log(`\n${formatTable(figures)}\n\nwritten to bench/results.json`);
}
