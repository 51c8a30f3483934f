import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { useEmbeddedStack } from '../../support/stack';
import { createIngestUsageHandler, type ApiHandler } from '../../../lambdas/ingest-usage/handler';
import { decodeUsageProfile, readActivityDays } from '../../../lambdas/store/usage-store';
import { eventIdHash } from '../../../lambdas/store/usage-rollup';
import { keys } from '../../../lambdas/store/keys';
import type { FoldResult } from '../../../lambdas/store/usage-inbox';
import { applyEnv } from '../../../local/stack';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';
import { handler as defaultHandler } from '../../../lambdas/ingest-usage/handler';
import { addDays } from '../../../lambdas/domain/dates';

const NOW = new Date('2026-11-24T12:00:00Z');
const KEY = 'test-key-1';
const local = useEmbeddedStack({ ses: false });
let path: LocalUsagePath;
let handler: ApiHandler;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const quiet = { logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Test', serviceName: 'usage-test' }) };
  path = await startUsagePath(local.stack, { apiKeys: [KEY, 'second-key'], now: () => NOW, ...quiet });
  // The same handler called directly (no HTTP adapter), enqueuing on the same queue.
  handler = createIngestUsageHandler({
    enqueue: async (bodies) => void bodies.forEach((b) => local.stack.usageQueue.send(b)),
    now: () => NOW,
    ...quiet,
  });
});
afterAll(async () => {
  await path?.stop();
});

interface Ev {
  eventId: string;
  customerId: string;
  feature: string;
  timestamp: string;
  userId?: string;
  count?: number;
}

const ev = (customerId: string, eventId: string, timestamp = '2026-11-20T10:00:00Z', feature = 'search', extra: Partial<Ev> = {}): Ev => ({
  eventId,
  customerId,
  feature,
  timestamp,
  ...extra,
});

/**
 * Posts through the HTTP adapter, then lets the path settle (queue drained, inbox folded) so the
 * table holds the counts; `fold` is what counting found (resends of earlier requests are its duplicates).
 */
async function post(
  body: unknown,
  headers: Record<string, string> = { 'x-api-key': KEY },
  route = '/events',
  method = 'POST',
  settle = true,
) {
  const res = await fetch(`${path.api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await res.json()) as ApiJson;
  if (!settle || res.status !== 202) return { status: res.status, json };
  const fold: FoldResult = await path.settle();
  return { status: res.status, json, fold };
}

/** What the API may answer; which fields are present is what the tests check. */
interface ApiJson {
  accepted: number;
  duplicates: number;
  rejected: { index: number; reason: string }[];
  message: string;
}

async function dayItem(customerId: string, day: string) {
  const res = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.day(customerId, day), ConsistentRead: true }),
  );
  return res.Item;
}

async function profile(customerId: string) {
  const res = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.profile(customerId), ConsistentRead: true }),
  );
  return res.Item;
}

async function customerItems(customerId: string) {
  const res = await local.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: local.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.customerPk(customerId) },
      ConsistentRead: true,
    }),
  );
  return res.Items ?? [];
}

describe('POST /events through the local API adapter', () => {
  it('keeps the valid events of a mixed batch and reports each invalid one by index and reason', async () => {
    const res = await post({
      events: [
        ev('mixed', 'm1'),
        { ...ev('mixed', 'm2'), timestamp: '2026-13-01T00:00:00Z' },
        ev('mixed', 'm3', '2026-11-20T11:00:00Z', 'export', { userId: 'ann', count: 4 }),
        { customerId: 'mixed', feature: 'search', timestamp: '2026-11-20T10:00:00Z' },
        ev('mixed', 'm5', '2026-11-20T12:00:00Z', 'search', { userId: 'bob' }),
        'not an event',
        ev('mixed', 'm7', '2026-11-27T00:00:00Z'),
      ],
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: [
        {
          index: 1,
          reason: 'timestamp: "2026-13-01T00:00:00Z" is not a valid ISO-8601 timestamp with a UTC offset (e.g. "2026-11-24T10:15:00Z")',
        },
        { index: 3, reason: 'eventId: is required' },
        { index: 5, reason: 'event: must be a JSON object' },
        { index: 6, reason: 'timestamp: "2026-11-27T00:00:00Z" is more than 1 day in the future' },
      ],
    });
    const day = await dayItem('mixed', '2026-11-20');
    expect(day?.n).toBe(6);
    expect(day?.['f:search']).toBe(2);
    expect(day?.['f:export']).toBe(4);
    expect([...(day?.users as Set<string>)].sort()).toEqual(['ann', 'bob']);
    expect((day?.ids as Set<Uint8Array>).size).toBe(3);
    const hashes = [...(day?.ids as Set<Uint8Array>)].map((b) => Buffer.from(b).toString('hex')).sort();
    expect(hashes).toEqual(['m1', 'm3', 'm5'].map(eventIdHash).sort());
  });

  it('answers 400 for malformed JSON, an empty body, no events array, and a batch with no valid event', async () => {
    const malformed = await post('{"events": [');
    expect(malformed.status).toBe(400);
    expect(malformed.json.message).toMatch(/^malformed JSON/);
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(empty.json.message).toMatch(/empty/);
    const noArray = await post({ event: [] });
    expect(noArray.status).toBe(400);
    expect(noArray.json.message).toBe('body must be a JSON object with an "events" array');
    const none = await post({ events: [] });
    expect(none.status).toBe(400);
    const allBad = await post({ events: [{ ...ev('bad', 'b1'), feature: 'x'.repeat(129) }, 5] });
    expect(allBad.status).toBe(400);
    expect(allBad.json).toEqual({
      message: 'no valid event in the request',
      rejected: [
        { index: 0, reason: 'feature: must be at most 128 bytes in UTF-8' },
        { index: 1, reason: 'event: must be a JSON object' },
      ],
    });
    expect(await customerItems('bad')).toEqual([]);
  });

  it('answers 413 over 1 MB or over 1000 events, and refuses > 10 MB at the gateway', async () => {
    const big = await post({ events: [ev('big', 'b1', undefined, 'search', { userId: 'u'.repeat(100) })], pad: 'x'.repeat(1_048_576) });
    expect(big.status).toBe(413);
    expect(big.json.message).toMatch(/limit is 1048576/);
    const many = await post({ events: Array.from({ length: 1001 }, (_, i) => ev('many', `e${i}`)) });
    expect(many.status).toBe(413);
    expect(many.json.message).toMatch(/1001 events/);
    const huge = await post({ events: [], pad: 'x'.repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({ message: 'Request Entity Too Large' });
    expect(await customerItems('big')).toEqual([]);
    expect(await customerItems('many')).toEqual([]);
    // exactly 1000 events is fine
    const thousand = await post({ events: Array.from({ length: 1000 }, (_, i) => ev('thousand', `e${i}`)) });
    expect(thousand.status).toBe(202);
    expect(thousand.json.accepted).toBe(1000);
  });

  it('checks the API key like API Gateway and routes only POST /events', async () => {
    const body = { events: [ev('keys', 'k1')] };
    expect(await post(body, {})).toEqual({ status: 403, json: { message: 'Forbidden' } });
    expect(await post(body, { 'x-api-key': 'wrong' })).toEqual({ status: 403, json: { message: 'Forbidden' } });
    expect((await post(body, { 'x-api-key': KEY }, '/other')).status).toBe(404);
    expect((await post(body, { 'x-api-key': KEY }, '/events', 'GET')).status).toBe(405);
    expect(await customerItems('keys')).toEqual([]);
    expect((await post(body, { 'x-api-key': 'second-key' })).status).toBe(202);
  });

  it('counts a batch sent twice once: counting finds the resend duplicate and leaves the table unchanged', async () => {
    const batch = {
      events: [
        ev('twice', 't1', '2026-11-01T10:00:00Z'),
        ev('twice', 't2', '2026-11-02T10:00:00Z', 'export', { count: 3 }),
        ev('twice', 't3', '2026-11-02T11:00:00Z'),
      ],
    };
    const first = await post(batch);
    expect(first.json).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(first.fold).toMatchObject({ accepted: 3, duplicates: 0, rejected: [] });
    const before = await customerItems('twice');
    const again = await post(batch);
    // The API answers before counting: the resend is known as such only when it is counted (README).
    expect(again.json).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(again.fold).toMatchObject({ accepted: 0, duplicates: 3, rejected: [] });
    expect(await customerItems('twice')).toEqual(before);
  });

  it('counts the overlap of two batches once, and duplicates inside one batch', async () => {
    const a = Array.from({ length: 10 }, (_, i) => ev('overlap', `o${i}`));
    const b = Array.from({ length: 10 }, (_, i) => ev('overlap', `o${i + 5}`));
    expect((await post({ events: a })).json).toEqual({ accepted: 10, duplicates: 0, rejected: [] });
    const second = await post({ events: b });
    expect(second.json).toEqual({ accepted: 10, duplicates: 0, rejected: [] });
    expect(second.fold).toMatchObject({ accepted: 5, duplicates: 5 });
    expect((await post({ events: [ev('overlap', 'o20'), ev('overlap', 'o20')] })).json).toEqual({
      accepted: 1,
      duplicates: 1,
      rejected: [],
    });
    expect((await dayItem('overlap', '2026-11-20'))?.n).toBe(16);
  });

  it('puts events on their UTC day across midnight and offsets', async () => {
    const res = await post({
      events: [
        ev('tz', 'z1', '2026-11-20T23:59:59Z'),
        ev('tz', 'z2', '2026-11-21T00:00:00Z'),
        ev('tz', 'z3', '2026-11-21T07:59:59+08:00'),
        ev('tz', 'z4', '2026-11-21T08:00:00+08:00'),
        ev('tz', 'z5', '2026-11-20T19:30:00-04:30'),
      ],
    });
    expect(res.json.accepted).toBe(5);
    expect((await dayItem('tz', '2026-11-20'))?.n).toBe(2);
    expect((await dayItem('tz', '2026-11-21'))?.n).toBe(3);
  });

  it('keeps unicode customer ids apart, and events of customers billing does not know yet', async () => {
    const ids = ['株式会社テスト 🚀', 'Zürich GmbH', 'zurich gmbh', 'CUST#nested'];
    const res = await post({ events: ids.map((c, i) => ev(c, `u${i}`, '2026-11-10T10:00:00Z', 'api', { count: i + 1 })) });
    expect(res.json).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    for (const [i, c] of ids.entries()) {
      expect((await dayItem(c, '2026-11-10'))?.n).toBe(i + 1);
      const p = await profile(c);
      expect(decodeUsageProfile(p!)).toEqual({
        activity: { '2026-11-10': { events: i + 1, features: { api: i + 1 } } },
        // The week of Monday 2026-11-09, for the forecast's baseline.
        weeks: { '2026-11-09': { days: 1, events: i + 1, features: 1, users: 0 } },
        firstEventDay: '2026-11-10',
        featureFirstSeen: { api: '2026-11-10' },
      });
    }
  });

  it('rejects over-long strings by field', async () => {
    const res = await post({
      events: [
        { ...ev('long', 'l1'), eventId: 'e'.repeat(257) },
        { ...ev('long', 'l2'), customerId: 'c'.repeat(257) },
        { ...ev('long', 'l3'), userId: 'u'.repeat(257) },
        { ...ev('long', 'e'.repeat(256)), customerId: 'c'.repeat(256), feature: 'f'.repeat(128), userId: 'u'.repeat(256) },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.json.rejected).toEqual([
      { index: 0, reason: 'eventId: must be at most 256 bytes in UTF-8' },
      { index: 1, reason: 'customerId: must be at most 256 bytes in UTF-8' },
      { index: 2, reason: 'userId: must be at most 256 bytes in UTF-8' },
    ]);
    expect(res.json.accepted).toBe(1);
    expect((await dayItem('c'.repeat(256), '2026-11-20'))?.[`f:${'f'.repeat(128)}`]).toBe(1);
  });

  it('updates only the usage part of a profile the billing side already wrote', async () => {
    const billing = { ...keys.profile('billed'), name: 'Billed Inc', ledger: '{"lines":[]}', lv: 7, gsi1sk: 'CUST#billed' };
    await local.stack.clients.dynamo.send(new PutCommand({ TableName: local.stack.tableName, Item: billing }));
    await post({ events: [ev('billed', 'b1', '2026-11-05T10:00:00Z', 'export')] });
    const p = await profile('billed');
    expect(p).toMatchObject(billing);
    expect(p?.uv).toBe(1);
    expect(p?.fe).toBe('2026-11-05');
    expect(p?.le).toBe('2026-11-05');
    expect(p?.['ff:export']).toBe('2026-11-05');
    expect(p?.['a:2026-11-05']).toBe('{"n":1,"f":{"export":1}}');
  });

  it('loses and double-counts nothing when concurrent requests hit the same customer', async () => {
    const requests = Array.from({ length: 8 }, (_, r) =>
      // each request: 40 own events over 3 days + 10 events shared with the next request
      [
        ...Array.from({ length: 40 }, (_, i) =>
          ev('hot', `r${r}-${i}`, `2026-11-1${i % 3}T10:00:00Z`, `f${i % 4}`, { userId: `u${i % 7}` }),
        ),
        ...Array.from({ length: 10 }, (_, i) => ev('hot', `shared-${(r + i) % 12}`, '2026-11-12T10:00:00Z', 'shared')),
      ],
    );
    const results = await Promise.all(requests.map((events) => post({ events }, undefined, undefined, undefined, false)));
    for (const r of results) expect(r.status).toBe(202);
    // Two folds at once (two snapshot runs) must not count anything twice either.
    const folds = await Promise.all([path.settle(), path.settle()]);
    const accepted = folds.reduce((n, f) => n + f.accepted, 0);
    const duplicates = folds.reduce((n, f) => n + f.duplicates, 0);
    expect(accepted).toBe(8 * 40 + 12);
    expect(accepted + duplicates).toBeGreaterThanOrEqual(8 * 50);
    const days = await readActivityDays(local.stack.clients.dynamo, local.stack.tableName, 'hot', '2026-11-01', '2026-11-30');
    const total = Object.values(days).reduce((n, d) => n + d.events, 0);
    expect(total).toBe(8 * 40 + 12);
    expect(days['2026-11-12']!.features.shared).toBe(12);
    const p = decodeUsageProfile((await profile('hot'))!);
    expect(p.activity).toEqual(days);
    expect((await profile('hot'))?.uv).toBeGreaterThanOrEqual(1);
  });

  it('keeps the profile activity to the 60 days up to the latest event, with first days', async () => {
    const c = 'window';
    await post({ events: [ev(c, 'w1', '2026-07-01T10:00:00Z', 'search'), ev(c, 'w2', '2026-08-29T10:00:00Z', 'export')] });
    let p = await profile(c);
    // 2026-08-29 − 59 days = 2026-07-01: both in the window
    expect(Object.keys(decodeUsageProfile(p!).activity).sort()).toEqual(['2026-07-01', '2026-08-29']);
    await post({ events: [ev(c, 'w3', '2026-08-30T10:00:00Z', 'reports')] });
    p = await profile(c);
    expect(p?.['a:2026-07-01']).toBeUndefined();
    expect(Object.keys(decodeUsageProfile(p!).activity).sort()).toEqual(['2026-08-29', '2026-08-30']);
    // a backfill before the window moves fe and ff, not the activity
    await post({ events: [ev(c, 'w4', '2026-01-15T10:00:00Z', 'export')] });
    p = await profile(c);
    expect(decodeUsageProfile(p!)).toEqual({
      activity: {
        '2026-08-29': { events: 1, features: { export: 1 } },
        '2026-08-30': { events: 1, features: { reports: 1 } },
      },
      // Weeks are kept for 62 weeks: the backfill's week too. Aug 29 and 30 share the week of Aug 24.
      weeks: {
        '2026-01-12': { days: 1, events: 1, features: 1, users: 0 },
        '2026-06-29': { days: 1, events: 1, features: 1, users: 0 },
        '2026-08-24': { days: 2, events: 2, features: 1, users: 0 },
      },
      firstEventDay: '2026-01-15',
      featureFirstSeen: { search: '2026-07-01', export: '2026-01-15', reports: '2026-08-30' },
    });
    expect(p?.le).toBe('2026-08-30');
    // the DAY# items keep everything, for back-dated snapshots
    expect(await readActivityDays(local.stack.clients.dynamo, local.stack.tableName, c, '2026-01-01', '2026-07-31')).toEqual({
      '2026-01-15': { events: 1, features: { export: 1 } },
      '2026-07-01': { events: 1, features: { search: 1 } },
    });
  });

  it('accepts a base64-encoded body (API Gateway binary passthrough)', async () => {
    const body = Buffer.from(JSON.stringify({ events: [ev('b64', 'x1')] })).toString('base64');
    const event = { body, isBase64Encoded: true, httpMethod: 'POST', path: '/events', headers: {} } as unknown as APIGatewayProxyEvent;
    const res = await handler(event, { awsRequestId: 'r1', functionName: 'f' } as Context);
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await path.settle()).accepted).toBe(1);
    expect((await dayItem('b64', '2026-11-20'))?.n).toBe(1);
  });

  it('writes a customer with more days than one transaction holds, keeping 60 in the profile', async () => {
    const c = 'manydays';
    const days = Array.from({ length: 120 }, (_, i) => addDays('2026-03-01', i));
    const res = await post({ events: days.map((d, i) => ev(c, `d${i}`, `${d}T12:00:00Z`, i % 2 ? 'odd' : 'even')) });
    expect(res.json).toEqual({ accepted: 120, duplicates: 0, rejected: [] });
    const p = await profile(c);
    const decoded = decodeUsageProfile(p!);
    expect(Object.keys(decoded.activity).sort()).toEqual(days.slice(60));
    expect(decoded.firstEventDay).toBe('2026-03-01');
    expect(p?.le).toBe(days[119]);
    expect(decoded.featureFirstSeen).toEqual({ even: '2026-03-01', odd: '2026-03-02' });
    const all = await readActivityDays(local.stack.clients.dynamo, local.stack.tableName, c, '2026-01-01', '2026-12-31');
    expect(Object.keys(all)).toHaveLength(120);
    // resending is recognised on every one of the days
    expect((await post({ events: days.map((d, i) => ev(c, `d${i}`, `${d}T12:00:00Z`)) })).fold?.duplicates).toBe(120);
  });

  it('the default handler names the missing queue variable instead of failing later', async () => {
    const restore = applyEnv(local.stack);
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    delete process.env.USAGE_QUEUE_URL;
    try {
      const event = {
        body: JSON.stringify({ events: [ev('envdefault', 'x1')] }),
        isBase64Encoded: false,
        httpMethod: 'POST',
        path: '/events',
        headers: {},
      } as unknown as APIGatewayProxyEvent;
      await expect(async () => defaultHandler(event, { awsRequestId: 'r2', functionName: 'f' } as Context)).rejects.toThrow(
        /USAGE_QUEUE_URL must name the usage queue/,
      );
      expect(await customerItems('envdefault')).toEqual([]);
    } finally {
      restore();
      delete process.env.POWERTOOLS_LOG_LEVEL;
    }
  });

  it('counts an event sent again with another timestamp once, on the first day it was sent for', async () => {
    await post({ events: [ev('retimed', 'same-id', '2026-11-20T10:00:00Z')] });
    const again = await post({ events: [ev('retimed', 'same-id', '2026-11-23T10:00:00Z', 'other')] });
    expect(again.fold).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await dayItem('retimed', '2026-11-20'))?.n).toBe(1);
    expect(await dayItem('retimed', '2026-11-23')).toBeUndefined();
  });
});
