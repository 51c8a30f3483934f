import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/store/keys';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';
import { useEmbeddedStack } from '../../support/stack';

/**
 * 50 concurrent clients on loopback, every request spanning the same customers (as analytics SDKs
 * send), some events delivered twice: no 5xx, and the stored counts are exact. No wall-clock
 * assertion: the figures are printed for the record only.
 */
const KEY = 'concurrency-key';
const CLIENTS = 50;
const REQUESTS_PER_CLIENT = 2;
const EVENTS_PER_REQUEST = 40;
const CUSTOMERS = 10;
const local = useEmbeddedStack({ ses: false });
let path: LocalUsagePath;

beforeAll(async () => {
  path = await startUsagePath(local.stack, {
    apiKeys: [KEY],
    now: () => new Date('2026-11-24T12:00:00Z'),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'usage-concurrency' }),
  });
});
afterAll(async () => {
  await path?.stop();
});

describe('the usage API under 50 concurrent clients', () => {
  it('answers no 5xx and stores exact counts', { timeout: 600_000 }, async () => {
    const run = Date.now().toString(36);
    const customer = (i: number) => `conc-${run}-${i}`;
    const statuses: number[] = [];
    const latencies: number[] = [];
    let accepted = 0;
    let duplicates = 0;

    const client = async (k: number) => {
      for (let r = 0; r < REQUESTS_PER_CLIENT; r++) {
        const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => ({
          eventId: `e-${k}-${r}-${j}`,
          customerId: customer(j % CUSTOMERS),
          feature: j % 2 ? 'search' : 'constructor',
          timestamp: `2026-11-${10 + (j % 5)}T10:00:00Z`,
          count: 1 + (j % 3),
        }));
        // Every request repeats the last event of the request before (a client retry): counted once.
        if (r > 0)
          events.push({
            ...events[0]!,
            eventId: `e-${k}-${r - 1}-${EVENTS_PER_REQUEST - 1}`,
            customerId: customer((EVENTS_PER_REQUEST - 1) % CUSTOMERS),
            timestamp: '2026-11-20T10:00:00Z',
          });
        const started = performance.now();
        const res = await fetch(`${path.api.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          body: JSON.stringify({ events }),
        });
        const json = (await res.json()) as { accepted?: number; duplicates?: number };
        latencies.push(performance.now() - started);
        statuses.push(res.status);
        accepted += json.accepted ?? 0;
        duplicates += json.duplicates ?? 0;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));

    const requests = CLIENTS * REQUESTS_PER_CLIENT;
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    console.log(
      `usage concurrency: ${requests} requests from ${CLIENTS} clients, ${statuses.filter((s) => s >= 500).length} × 5xx, ` +
        `latency median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${Math.round(sorted.at(-1)!)} ms`,
    );
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 202)).toBe(true);
    // The API answers before counting: each retried event is taken again, and found out when counted.
    expect(accepted).toBe(requests * EVENTS_PER_REQUEST + CLIENTS * (REQUESTS_PER_CLIENT - 1));
    expect(duplicates).toBe(0);
    const counted = await path.settle();
    expect(counted).toMatchObject({
      accepted: requests * EVENTS_PER_REQUEST,
      duplicates: CLIENTS * (REQUESTS_PER_CLIENT - 1),
      rejected: [],
    });

    // Exact counts per customer-day: what was sent, once.
    const want = new Map<string, number>();
    for (let k = 0; k < CLIENTS; k++) {
      for (let r = 0; r < REQUESTS_PER_CLIENT; r++) {
        for (let j = 0; j < EVENTS_PER_REQUEST; j++) {
          const key = `${customer(j % CUSTOMERS)}|2026-11-${10 + (j % 5)}`;
          want.set(key, (want.get(key) ?? 0) + 1 + (j % 3));
        }
      }
    }
    for (const [key, n] of want) {
      const [c, day] = key.split('|') as [string, string];
      const item = await local.stack.clients.dynamo.send(
        new GetCommand({ TableName: local.stack.tableName, Key: keys.day(c, day), ConsistentRead: true }),
      );
      expect(item.Item?.n, key).toBe(n);
    }
  });
});
