import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/store/keys';
import { decodeUsageProfile } from '../../../lambdas/store/usage-store';
import { bulkLoadUsageEvents } from '../../../local/usage-bulk';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';
import { useEmbeddedStack } from '../../support/stack';

/**
 * The usage half of the hostile-input corpus (issue 11): requests through the local API adapter
 * (loopback) to the real handler, each case with good events beside the bad ones, checking the
 * response and that the good events are stored exactly.
 */
const KEY = 'hostile-key';
const local = useEmbeddedStack({ ses: false });
let path: LocalUsagePath;
/** The handler's clock: cases move it to deliver the same event days later. */
let clock = new Date('2026-11-24T12:00:00Z');
const run = Date.now().toString(36);

beforeAll(async () => {
  path = await startUsagePath(local.stack, {
    apiKeys: [KEY],
    now: () => clock,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'hostile-usage' }),
  });
});
afterAll(async () => {
  await path?.stop();
});

/** Posts, then lets the path settle (counted: what the fold found, resends of earlier requests included). */
async function post(body: string | Buffer) {
  const res = await fetch(`${path.api.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body,
  });
  const json = (await res.json()) as {
    accepted?: number;
    duplicates?: number;
    rejected?: { index: number; reason: string }[];
    message?: string;
  };
  const counted = await path.settle();
  return { status: res.status, json, counted };
}

async function day(customerId: string, d: string) {
  const out = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.day(customerId, d), ConsistentRead: true }),
  );
  return out.Item;
}

const ev = (c: string, id: string, over: Record<string, unknown> = {}) => ({
  eventId: id,
  customerId: c,
  feature: 'search',
  timestamp: '2026-11-20T10:00:00Z',
  ...over,
});

interface UsageCase {
  name: string;
  bad: Record<string, unknown>;
  reason: RegExp;
}

/** One bad event between two good ones: 202, the bad one rejected with its reason, the good ones stored. */
const badEvents = (c: string): UsageCase[] => [
  { name: 'customerId of 86 emoji (344 bytes)', bad: ev('😀'.repeat(86), 'b'), reason: /^customerId: must be at most 256 bytes in UTF-8/ },
  { name: 'eventId of 100 × 株 (300 bytes)', bad: ev(c, '株'.repeat(100)), reason: /^eventId: must be at most 256 bytes/ },
  { name: 'feature of 70 × 株 (210 bytes)', bad: ev(c, 'b', { feature: '株'.repeat(70) }), reason: /^feature: must be at most 128 bytes/ },
  { name: 'NUL in customerId', bad: ev(`${c}\u0000`, 'b'), reason: /^customerId: must not contain control characters/ },
  { name: 'U+001F in eventId', bad: ev(c, 'b\u001f1'), reason: /^eventId: must not contain control characters/ },
  { name: 'ESC in feature', bad: ev(c, 'b', { feature: '\u001b[2J' }), reason: /^feature: must not contain control characters/ },
  { name: 'lone surrogate in customerId', bad: ev(`${c}\ud800`, 'b'), reason: /no lone surrogate/ },
  { name: 'count 1e20', bad: ev(c, 'b', { count: 1e20 }), reason: /^count: must be .*(integer|at most 1000000)/ },
  {
    name: 'count 2^53 + 1',
    bad: ev(c, 'b', { count: Number.MAX_SAFE_INTEGER + 2 }),
    reason: /^count: must be .*(integer|at most 1000000)/,
  },
  { name: 'count 1.5', bad: ev(c, 'b', { count: 1.5 }), reason: /^count: must be a positive integer/ },
  { name: 'count 0', bad: ev(c, 'b', { count: 0 }), reason: /^count: must be a positive integer/ },
  { name: 'count as a string', bad: ev(c, 'b', { count: '5' }), reason: /^count: must be a positive integer/ },
  {
    name: 'timestamp in year 0000',
    bad: ev(c, 'b', { timestamp: '0000-01-01T00:00:00Z' }),
    reason: /^timestamp: .* is not a valid ISO-8601 timestamp/,
  },
  {
    name: 'timestamp without an offset',
    bad: ev(c, 'b', { timestamp: '2026-11-20T10:00:00' }),
    reason: /^timestamp: .* is not a valid ISO-8601 timestamp/,
  },
  { name: 'timestamp two days ahead', bad: ev(c, 'b', { timestamp: '2026-11-26T13:00:00Z' }), reason: /more than 1 day in the future/ },
  { name: 'an array instead of an event', bad: [1, 2] as unknown as Record<string, unknown>, reason: /^event: must be a JSON object/ },
];

describe('hostile usage input: nothing good is ever lost', () => {
  it.each(badEvents('x').map((c, i) => [i, c.name] as const))('bad event %i: %s', async (i) => {
    const c = `u${i}-${run}`;
    const { bad, reason } = badEvents(c)[i]!;
    const res = await post(JSON.stringify({ events: [ev(c, 'g1', { count: 2 }), bad, ev(c, 'g2', { feature: 'export' })] }));
    expect(res.status).toBe(202);
    expect(res.json.accepted).toBe(2);
    expect(res.json.rejected).toHaveLength(1);
    expect(res.json.rejected![0]!.index).toBe(1);
    expect(res.json.rejected![0]!.reason).toMatch(reason);
    const item = await day(c, '2026-11-20');
    expect(item).toMatchObject({ n: 3, 'f:search': 2, 'f:export': 1 });
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', '__defineGetter__'])(
    'feature %s is an ordinary feature',
    async (feature) => {
      const c = `proto-${feature}-${run}`;
      const res = await post(JSON.stringify({ events: [ev(c, 'p1', { feature, count: 3 }), ev(c, 'p2', { feature }), ev(c, 'p3')] }));
      expect(res).toMatchObject({ status: 202, json: { accepted: 3, duplicates: 0, rejected: [] } });
      // Again, so the counts are read back and added to.
      expect((await post(JSON.stringify({ events: [ev(c, 'p4', { feature })] }))).json.accepted).toBe(1);
      expect(await day(c, '2026-11-20')).toMatchObject({ n: 6, [`f:${feature}`]: 5, 'f:search': 1 });
      const prof = await local.stack.clients.dynamo.send(
        new GetCommand({ TableName: local.stack.tableName, Key: keys.profile(c), ConsistentRead: true }),
      );
      const usage = decodeUsageProfile(prof.Item!);
      expect(Object.hasOwn(usage.featureFirstSeen, feature)).toBe(true);
      expect(usage.featureFirstSeen[feature]).toBe('2026-11-20');
      const activity = usage.activity['2026-11-20']!;
      expect(activity.events).toBe(6);
      expect(Object.hasOwn(activity.features, feature) && activity.features[feature]).toBe(5);
    },
  );

  it('an eventId sent again with a later timestamp counts once, within 7 days of arrival', async () => {
    const c = `redeliver-${run}`;
    clock = new Date('2026-11-24T12:00:00Z');
    expect((await post(JSON.stringify({ events: [ev(c, 'r1', { timestamp: '2026-11-20T23:59:00Z' })] }))).json.accepted).toBe(1);
    // Redelivered with the next day's timestamp, the same day and 6 days later: duplicates.
    expect((await post(JSON.stringify({ events: [ev(c, 'r1', { timestamp: '2026-11-21T00:01:00Z' })] }))).counted).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    clock = new Date('2026-11-30T20:00:00Z');
    expect(
      (await post(JSON.stringify({ events: [ev(c, 'r1', { timestamp: '2026-11-27T08:00:00Z' }), ev(c, 'r2')] }))).counted,
    ).toMatchObject({ accepted: 1, duplicates: 1 });
    clock = new Date('2026-11-24T12:00:00Z');
    expect((await day(c, '2026-11-20'))?.n).toBe(2);
    expect(await day(c, '2026-11-21')).toBeUndefined();
    expect(await day(c, '2026-11-27')).toBeUndefined();
  });

  it.each([
    [
      'invalid UTF-8 in the body',
      Buffer.concat([
        Buffer.from('{"events":[{"eventId":"a","customerId":"cus_'),
        Buffer.from([0xff]),
        Buffer.from('","feature":"f","timestamp":"2026-11-20T10:00:00Z"}]}'),
      ]),
      400,
      /not valid UTF-8/,
    ],
    ['a top-level array', '[1,2]', 400, /"events" array/],
    ['malformed JSON', '{"events":[', 400, /malformed JSON/],
    ['1,001 events', JSON.stringify({ events: Array.from({ length: 1001 }, (_, i) => ev('many', `m${i}`)) }), 413, /limit is 1000/],
    ['no valid event', JSON.stringify({ events: [ev('x', 'y', { count: -1 })] }), 400, /no valid event/],
  ] as const)('refuses %s as a whole', async (_name, body, status, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.json.message).toMatch(message);
  });

  it('bulk load: lines with invalid UTF-8 or not an object are rejected by line, customers never merged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hostile-usage-'));
    try {
      const c = `bulk-${run}`;
      const lines = [
        Buffer.from('[1,2]'),
        Buffer.from(JSON.stringify(ev(c, 'b1'))),
        Buffer.concat([
          Buffer.from(`{"eventId":"x1","customerId":"${c}cus_`),
          Buffer.from([0xff]),
          Buffer.from('","feature":"f","timestamp":"2026-11-20T10:00:00Z"}'),
        ]),
        Buffer.concat([
          Buffer.from(`{"eventId":"x2","customerId":"${c}cus_`),
          Buffer.from([0xfe]),
          Buffer.from('","feature":"f","timestamp":"2026-11-20T10:00:00Z"}'),
        ]),
        Buffer.from(JSON.stringify(ev(c, 'b2', { feature: 'constructor' }))),
      ];
      const file = join(dir, 'events.jsonl');
      await writeFile(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      const result = await bulkLoadUsageEvents([file], { url: path.api.url, apiKey: KEY, now: () => clock });
      expect(result.accepted).toBe(2);
      await path.settle();
      expect(result.rejected.map((r) => r.line)).toEqual([1, 3, 4]);
      expect(result.rejected[0]!.reason).toBe('event: must be a JSON object');
      expect(result.rejected[1]!.reason).toMatch(/^line is not valid UTF-8/);
      expect(result.rejected[2]!.reason).toMatch(/^line is not valid UTF-8/);
      expect(await day(`${c}cus_\uFFFD`, '2026-11-20')).toBeUndefined();
      expect(await day(c, '2026-11-20')).toMatchObject({ n: 2, 'f:constructor': 1, 'f:search': 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
