/**
 * The cost-model workload of usage ingest (docs/metrics.md §6.1): requests of 20 events each, every
 * event for another customer, as analytics SDKs send them, over 10,000 customers whose profiles are
 * seeded in their steady-state shape (24 months of ledger, 60 days of activity). Measures the DynamoDB
 * write and read units, item counts and requests per 1,000 events on the embedded stack.
 *
 *   npx tsx bench/usage-spread.ts [--quick]
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { addDays, dayFromNum, dayNum } from '../lambdas/domain/dates';
import { WEEKS_KEPT, weekStartOf, type WeekSummary } from '../lambdas/domain/forecast/weeks';
import type { CustomerTimeline, Day, DayActivity } from '../lambdas/domain/types';
import type { FoldResult } from '../lambdas/store/usage-inbox';
import { batchGet, batchPut } from '../lambdas/store/batch';
import { keys, PROFILE_ACTIVITY_DAYS } from '../lambdas/store/keys';
import { startEmbeddedStack, type EmbeddedStack } from '../local/stack';
import { startUsagePath } from '../local/usage-path';
import { instrumentDynamo, newDynamoCounters, sumOps, type DynamoCounters } from './dynamo-counters';
import { formatTable, isMain, recordResults, type BenchModule, type Figure } from './harness';
import { prng, profileItem, SYNTHETIC_FEATURES, syntheticCustomers } from './synthetic';

/** 10M events a month over 10k customers: ~32.9 events per customer per day. */
export const COST_MODEL = { customers: 10_000, eventsPerMonth: 10_000_000, eventsPerRequest: 20, daysPerMonth: 30.4375 } as const;
export const EVENTS_PER_CUSTOMER_DAY = COST_MODEL.eventsPerMonth / COST_MODEL.customers / COST_MODEL.daysPerMonth;
const IN_FLIGHT = 8;
const USERS_PER_CUSTOMER = 5;

export interface SpreadOptions {
  customers: number;
  /** Events sent, in requests of COST_MODEL.eventsPerRequest. */
  events: number;
  seed?: number;
  /** Start the SES emulator too (for digests in `after`). */
  ses?: boolean;
  /** More work on the same stack once the events are counted (the cost model's snapshot and digest). */
  after?: (stack: EmbeddedStack, phase: Phase) => Promise<unknown>;
}

/** Runs `fn` with fresh counters: what it cost in DynamoDB and S3 requests, and how long it took. */
export type Phase = <R>(
  fn: () => Promise<R>,
) => Promise<{ result: R; dynamo: DynamoCounters; s3: Record<string, number>; seconds: number }>;

export interface SpreadMeasurement {
  /** What `after` returned. */
  after?: unknown;
  customers: number;
  events: number;
  requests: number;
  seconds: number;
  /** Posting every request (the API answers once the events are enqueued). */
  apiSeconds: number;
  /** Draining the queue and folding the inbox. */
  foldSeconds: number;
  apiDynamo: DynamoCounters;
  foldDynamo: DynamoCounters;
  fold: FoldResult;
  s3Requests: Record<string, number>;
  /** SQS messages sent by the API. */
  messages: number;
  /** Answers other than 202. */
  failedRequests: number;
  dynamo: DynamoCounters;
  avgProfileBytes: number;
  storedEvents: number;
}

/** Requests of 20 events, each event for a customer drawn at random, stamped today. */
export function spreadBodies(opts: SpreadOptions, now = new Date()): string[] {
  const random = prng(opts.seed ?? 7);
  const today = now.toISOString().slice(0, 10);
  const bodies: string[] = [];
  const secondsToday = Math.max(1, Math.floor((now.getTime() - Date.parse(`${today}T00:00:00Z`)) / 1000));
  for (let sent = 0; sent < opts.events; ) {
    const events = [];
    for (let i = 0; i < COST_MODEL.eventsPerRequest && sent < opts.events; i++, sent++) {
      const n = Math.floor(random() * opts.customers);
      const at = new Date(Date.parse(`${today}T00:00:00Z`) + Math.floor(random() * secondsToday) * 1000);
      events.push({
        eventId: `ev-${opts.seed ?? 7}-${sent}`,
        customerId: `cus_${n.toString(36).padStart(6, '0')}`,
        feature: SYNTHETIC_FEATURES[Math.floor(random() * SYNTHETIC_FEATURES.length)]!,
        timestamp: at.toISOString(),
        userId: `user-${n}-${Math.floor(random() * USERS_PER_CUSTOMER)}`,
      });
    }
    bodies.push(JSON.stringify({ events }));
  }
  return bodies;
}

/**
 * A customer of the cost-model workload (~33 events a day) has activity on every day its profile keeps
 * and a summary for every week the forecast keeps: the profile at its steady-state size.
 */
function steadyState(t: CustomerTimeline, lastDay: Day): CustomerTimeline {
  const days = Object.values(t.activity);
  const pool = days.length > 0 ? days : [{ events: 33, features: { dashboard: 20, reports: 13 } }];
  const activity: Record<Day, DayActivity> = {};
  for (let i = 0; i < PROFILE_ACTIVITY_DAYS; i++) activity[addDays(lastDay, -i)] = pool[i % pool.length]!;
  const weeks: Record<Day, WeekSummary> = {};
  const lastWeek = weekStartOf(dayNum(lastDay));
  for (let i = 0; i < WEEKS_KEPT; i++)
    weeks[dayFromNum(lastWeek - 7 * i)] = { days: 7, events: 230, features: 6, users: USERS_PER_CUSTOMER };
  return { ...t, activity, weeks, firstEventDay: t.firstEventDay ?? addDays(lastDay, -(PROFILE_ACTIVITY_DAYS - 1)) };
}

function addCounters(a: DynamoCounters, b: DynamoCounters): DynamoCounters {
  const sum = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    requests: sum(a.requests, b.requests),
    failed: sum(a.failed, b.failed),
    writeUnits: a.writeUnits + b.writeUnits,
    readUnits: a.readUnits + b.readUnits,
    itemsWritten: a.itemsWritten + b.itemsWritten,
  };
}

export async function measureSpread(opts: SpreadOptions): Promise<SpreadMeasurement> {
  const prev = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const stack = await startEmbeddedStack({ ses: opts.ses ?? false, namePrefix: 'churnwatch-bench' });
  try {
    const now = new Date();
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
    const items: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const t of syntheticCustomers({ customers: opts.customers, asOf: yesterday, seed: 42 })) {
      const item = profileItem(steadyState(t, yesterday));
      bytes += JSON.stringify(item).length;
      items.push(item);
    }
    await batchPut(stack.clients.dynamo, stack.tableName, items, 8);
    items.length = 0;

    let counters = newDynamoCounters();
    instrumentDynamo(stack.clients.dynamo, () => counters);
    let s3Requests: Record<string, number> = {};
    stack.clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        s3Requests[name] = (s3Requests[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchCountS3' },
    );
    let messages = 0;
    const send = stack.usageQueue.send.bind(stack.usageQueue);
    stack.usageQueue.send = (body) => {
      messages++;
      return send(body);
    };
    const path = await startUsagePath(stack, {
      apiKeys: ['bench'],
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Bench', serviceName: 'usage-spread' }),
    });
    const api = path.api;
    const bodies = spreadBodies(opts, now);
    let failedRequests = 0;
    let next = 0;
    const started = performance.now();
    try {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < bodies.length) {
            const res = await fetch(`${api.url}/events`, { method: 'POST', headers: { 'x-api-key': 'bench' }, body: bodies[next++]! });
            await res.arrayBuffer();
            if (res.status !== 202) failedRequests++;
          }
        }),
      );
    } catch (err) {
      await path.stop();
      throw err;
    }
    const apiSeconds = (performance.now() - started) / 1000;
    const apiDynamo = counters;
    counters = newDynamoCounters();
    const folding = performance.now();
    const fold = await path.settle();
    const foldSeconds = (performance.now() - folding) / 1000;
    await path.stop();
    const foldDynamo = counters;
    const measured = addCounters(apiDynamo, foldDynamo);
    counters = newDynamoCounters();

    const today = now.toISOString().slice(0, 10);
    const ids = Array.from({ length: opts.customers }, (_, n) => keys.day(`cus_${n.toString(36).padStart(6, '0')}`, today));
    const { items: days } = await batchGet(stack.clients.dynamo, stack.tableName, ids);
    const storedEvents = days.reduce((n, d) => n + (typeof d.n === 'number' ? d.n : 0), 0);
    const apiS3 = s3Requests;
    const phase: Phase = async (fn) => {
      counters = newDynamoCounters();
      s3Requests = {};
      const started = performance.now();
      const result = await fn();
      return { result, dynamo: counters, s3: s3Requests, seconds: (performance.now() - started) / 1000 };
    };
    const after = opts.after ? await opts.after(stack, phase) : undefined;
    return {
      after,
      customers: opts.customers,
      events: opts.events,
      requests: bodies.length,
      seconds: apiSeconds + foldSeconds,
      apiSeconds,
      foldSeconds,
      failedRequests,
      apiDynamo,
      foldDynamo,
      fold,
      s3Requests: apiS3,
      messages,
      dynamo: measured,
      avgProfileBytes: bytes / opts.customers,
      storedEvents,
    };
  } finally {
    await stack.stop();
    if (prev === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = prev;
  }
}

export const usageSpreadBench: BenchModule = {
  name: 'usage-spread',
  async run({ quick }) {
    // Quick: fewer customers, each with the same day (the figure is per event, not per customer).
    const customers = quick ? 200 : COST_MODEL.customers;
    const events = Math.round(customers * EVENTS_PER_CUSTOMER_DAY);
    const m = await measureSpread({ customers, events });
    if (m.storedEvents !== m.events) throw new Error(`stored ${m.storedEvents} events, sent ${m.events}`);
    const per1000 = (n: number) => Math.round((n / m.events) * 1000 * 10) / 10;
    return [
      {
        name: 'usage.writeUnitsPer1000EventsSpread',
        value: per1000(m.dynamo.writeUnits),
        unit: 'WCU',
        note: `${m.events} events in requests of 20 over ${customers} customers (one day's worth), profiles ~${(m.avgProfileBytes / 1024).toFixed(1)} KB`,
      },
      { name: 'usage.readUnitsPer1000EventsSpread', value: per1000(m.dynamo.readUnits), unit: 'RCU', note: 'same workload' },
      {
        name: 'usage.writeRequestsPer1000EventsSpread',
        value: per1000(sumOps(m.dynamo, 'writes')),
        unit: 'write requests',
        note: `same workload; ${JSON.stringify(m.dynamo.requests)}`,
      },
      {
        name: 'usage.failedRequestsSpread',
        value: m.failedRequests,
        unit: 'requests',
        note: `of ${m.requests}, answered other than 202; ${m.seconds.toFixed(1)} s`,
      },
    ] satisfies Figure[];
  },
};

if (isMain(import.meta.url)) {
  const figures = await usageSpreadBench.run({ quick: process.argv.includes('--quick') });
  recordResults(figures);
  console.log(formatTable(figures));
}
