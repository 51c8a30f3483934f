import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { useEmbeddedStack } from '../../support/stack';
import { DEFAULT_SEGMENT_MAPPING } from '../../../lambdas/formats/segment';
import { keys } from '../../../lambdas/store/keys';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';

/**
 * Segment- and RudderStack-shaped payloads, as their libraries send them, through the local API
 * adapter, the usage queue and the aggregator into the inbox, folded into DynamoDB Local as the
 * snapshot folds it; the counts are read back from the stored DAY# items.
 */

const NOW = new Date('2026-11-24T12:00:00Z');
const SEGMENT_KEY = 'wk_segment_test';
const RUDDER_KEY = '1Xk5DChfJAol3xtW7qNnK1a5p';
const WEBHOOK_SECRET = 'whsec_shared';
const local = useEmbeddedStack({ ses: false });
let path: LocalUsagePath;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const logger = new Logger({ logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'segment-test' });
  path = await startUsagePath(local.stack, {
    // The /events route beside the Segment ones (only its key check is exercised here).
    apiKeys: ['events-key'],
    segment: { mapping: DEFAULT_SEGMENT_MAPPING, credentials: { writeKeys: [SEGMENT_KEY, RUDDER_KEY], webhookSecret: WEBHOOK_SECRET } },
    now: () => NOW,
    logger,
    metrics,
  });
});
afterAll(async () => {
  await path?.stop();
});

const basic = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function post(route: string, body: unknown, headers: Record<string, string> = { authorization: basic(SEGMENT_KEY) }) {
  const res = await fetch(`${path.api.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The stored counts once everything enqueued so far is counted (the aggregator, then the fold). */
async function day(customerId: string, d: string) {
  await path.settle();
  const res = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.day(customerId, d), ConsistentRead: true }),
  );
  return res.Item;
}

async function profile(customerId: string) {
  const res = await local.stack.clients.dynamo.send(
    new GetCommand({ TableName: local.stack.tableName, Key: keys.profile(customerId), ConsistentRead: true }),
  );
  return res.Item;
}

/** A track call as analytics-node sends it inside a batch. */
const segmentTrack = (messageId: string, userId: string, event: string, groupId?: string, timestamp = '2026-11-20T10:00:00.000Z') => ({
  type: 'track',
  messageId,
  userId,
  event,
  properties: { plan: 'pro' },
  timestamp,
  context: { library: { name: '@segment/analytics-node', version: '2.1.0' }, ...(groupId ? { groupId } : {}) },
  integrations: {},
  _metadata: { jsRuntime: 'node' },
});

describe('Segment HTTP Tracking API', () => {
  it('a batch of track, group and identify calls counts each track once for its account', async () => {
    const batch = {
      batch: [
        segmentTrack('seg-1', 'ann', 'Report Exported', 'cus_seg_a'),
        segmentTrack('seg-2', 'ann', 'Report Exported', 'cus_seg_a', '2026-11-20T11:00:00.000Z'),
        segmentTrack('seg-3', 'bob', 'Dashboard Viewed', 'cus_seg_a'),
        {
          type: 'group',
          messageId: 'seg-4',
          userId: 'cyd',
          groupId: 'cus_seg_b',
          traits: { name: 'Beta & Sons <Ltd>', owner_email: 'csm@acme.io', employees: 40 },
          timestamp: '2026-11-20T09:00:00.000Z',
        },
        segmentTrack('seg-5', 'cyd', 'Report Exported'),
        { type: 'identify', messageId: 'seg-6', userId: 'cyd', traits: { email: 'cyd@beta.io' } },
        { type: 'page', messageId: 'seg-7', userId: 'cyd', name: 'Home' },
      ],
      sentAt: '2026-11-24T12:00:00.000Z',
    };
    const res = await post('/v1/batch', batch);
    expect(res).toEqual({ status: 200, json: { success: true, accepted: 4, duplicates: 0, linked: 1, ignored: 2, rejected: [] } });
    // The intake only enqueued the events (as POST /events does): nothing is counted before the fold.
    const unfolded = await local.stack.clients.dynamo.send(
      new GetCommand({ TableName: local.stack.tableName, Key: keys.day('cus_seg_a', '2026-11-20'), ConsistentRead: true }),
    );
    expect(unfolded.Item).toBeUndefined();
    const a = await day('cus_seg_a', '2026-11-20');
    expect(a?.n).toBe(3);
    expect(a?.['f:Report Exported']).toBe(2);
    expect(a?.['f:Dashboard Viewed']).toBe(1);
    expect([...(a?.users as Set<string>)].sort()).toEqual(['ann', 'bob']);
    expect((await day('cus_seg_b', '2026-11-20'))?.['f:Report Exported']).toBe(1);
    // Group traits become the account's name and owner, stored as data (escaped where rendered).
    expect(await profile('cus_seg_b')).toMatchObject({ name: 'Beta & Sons <Ltd>', ownerEmail: 'csm@acme.io' });

    // Segment retries a batch it got no answer for: the answer is the same (the intake only enqueues),
    // and every messageId counts once when the events are counted.
    const again = await post('/v1/batch', batch);
    expect(again.json).toMatchObject({ success: true, accepted: 4, duplicates: 0 });
    const fold = await path.settle();
    expect(fold).toMatchObject({ accepted: 0, duplicates: 4, rejected: [] });
    expect((await day('cus_seg_a', '2026-11-20'))?.n).toBe(3);
  });

  it('single calls with the write key in the body; a later track without groupId uses the last group call', async () => {
    const group = await post(
      '/v1/group',
      { writeKey: SEGMENT_KEY, userId: 'dee', groupId: 'cus_seg_c', timestamp: '2026-11-21T08:00:00Z' },
      {},
    );
    expect(group).toMatchObject({ status: 200, json: { success: true, linked: 1 } });
    const track = await post(
      '/v1/track',
      { writeKey: SEGMENT_KEY, userId: 'dee', event: 'Invite Sent', messageId: 'seg-c1', timestamp: '2026-11-21T09:00:00Z' },
      {},
    );
    expect(track).toMatchObject({ status: 200, json: { success: true, accepted: 1 } });
    expect((await day('cus_seg_c', '2026-11-21'))?.['f:Invite Sent']).toBe(1);

    // A late retry of an older group call does not move the user back.
    await post('/v1/group', { userId: 'dee', groupId: 'cus_seg_old', timestamp: '2026-11-01T08:00:00Z' });
    await post('/v1/track', { userId: 'dee', event: 'Invite Sent', messageId: 'seg-c2', timestamp: '2026-11-21T10:00:00Z' });
    expect((await day('cus_seg_c', '2026-11-21'))?.['f:Invite Sent']).toBe(2);
    expect(await day('cus_seg_old', '2026-11-21')).toBeUndefined();

    const identify = await post('/v1/identify', { userId: 'dee', traits: { email: 'dee@c.io' } });
    expect(identify.json).toMatchObject({ success: true, accepted: 0, ignored: 1 });
  });

  it('keeps the valid calls of a mixed batch, reports the others by index, and 400s when none is valid', async () => {
    const res = await post('/v1/batch', {
      batch: [
        segmentTrack('seg-m1', 'eve', 'Search', 'cus_seg_m'),
        segmentTrack('seg-m2', 'nobody-linked', 'Search'),
        { ...segmentTrack('seg-m3', 'eve', 'Search', 'cus_seg_m'), timestamp: '2026-11-27T00:00:00Z' },
        { ...segmentTrack('', 'eve', 'Search', 'cus_seg_m') },
        { type: 'track', messageId: 'seg-m5', userId: 'eve', context: { groupId: 'cus_seg_m' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(1);
    expect((res.json.rejected as { index: number; reason: string }[]).map((r) => [r.index, r.reason.split(':')[0]])).toEqual([
      [1, 'no account for user "nobody-linked"'],
      [2, 'timestamp'],
      [3, 'messageId'],
      [4, 'event'],
    ]);
    const none = await post('/v1/track', { userId: 'eve', event: 'Search' });
    expect(none.status).toBe(400);
    expect(none.json).toMatchObject({ success: false, message: 'no valid call in the request' });
  });

  it('refuses without a valid write key, malformed JSON, and bodies over the limits, storing nothing', async () => {
    const call = segmentTrack('seg-x1', 'fay', 'Search', 'cus_seg_x');
    expect((await post('/v1/track', call, {})).status).toBe(401);
    expect((await post('/v1/track', call, { authorization: basic('wrong-key') })).status).toBe(401);
    expect((await post('/v1/track', { ...call, writeKey: 'wrong-key' }, {})).status).toBe(401);
    // /events' API key is not a write key, and the write key does not open /events.
    expect((await post('/v1/track', call, { 'x-api-key': 'events-key' })).status).toBe(401);
    expect((await post('/events', { events: [] }, { authorization: basic(SEGMENT_KEY) })).status).toBe(403);
    const malformed = await post('/v1/batch', '{"batch": [');
    expect(malformed).toMatchObject({ status: 400, json: { success: false, message: expect.stringMatching(/^malformed JSON/) } });
    const big = await post('/v1/track', { ...call, properties: { blob: 'x'.repeat(33 * 1024) } });
    expect(big.status).toBe(413);
    const bigBatch = await post('/v1/batch', {
      batch: Array.from({ length: 40 }, (_, i) => ({ ...call, messageId: `b${i}`, properties: { blob: 'x'.repeat(14 * 1024) } })),
    });
    expect(bigBatch.status).toBe(413);
    expect(await day('cus_seg_x', '2026-11-20')).toBeUndefined();
  });
});

describe('RudderStack HTTP API (Segment-compatible dialect)', () => {
  it('takes a RudderStack batch with Basic auth password "", anonymous users and device-clock timestamps', async () => {
    const rudderTrack = (messageId: string, anonymousId: string, event: string, originalTimestamp: string) => ({
      type: 'track',
      event,
      messageId,
      anonymousId,
      channel: 'server',
      rudderId: `r-${messageId}`,
      originalTimestamp,
      properties: { groupId: 'cus_rudder' },
      context: { library: { name: 'rudder-sdk-node', version: '2.0.7' }, traits: { plan: 'pro' } },
      integrations: { All: true },
    });
    // The device clock runs 2 hours ahead: RudderStack corrects by receivedAt − sentAt.
    const res = await post(
      '/v1/batch',
      {
        batch: [
          rudderTrack('rs-1', 'anon-1', 'file_uploaded', '2026-11-24T09:00:00.000Z'),
          rudderTrack('rs-2', 'anon-2', 'file_uploaded', '2026-11-24T01:30:00.000Z'),
        ],
        sentAt: '2026-11-24T14:00:00.000Z',
      },
      { authorization: 'Basic MVhrNURDaGZKQW9sM3h0VzdxTm5LMWE1cDoiIg==' },
    );
    expect(res.json).toMatchObject({ success: true, accepted: 2 });
    expect((await day('cus_rudder', '2026-11-24'))?.['f:file_uploaded']).toBe(1);
    expect((await day('cus_rudder', '2026-11-23'))?.['f:file_uploaded']).toBe(1);
    expect([...((await day('cus_rudder', '2026-11-24'))?.users as Set<string>)]).toEqual(['anon-1']);
  });
});

describe("Segment's Webhook destination", () => {
  const sign = (data: string) => createHmac('sha1', WEBHOOK_SECRET).update(data).digest('hex');

  it('counts a signed array body and refuses a wrongly signed or unsigned one', async () => {
    const body = JSON.stringify([segmentTrack('wh-1', 'gus', 'Search', 'cus_hook'), segmentTrack('wh-2', 'gus', 'Search', 'cus_hook')]);
    const wrong = await post('/v1/webhook', body, { 'x-signature': createHmac('sha1', 'not-the-secret').update(body).digest('hex') });
    expect(wrong.status).toBe(401);
    expect((await post('/v1/webhook', body, {})).status).toBe(401);
    // A write key does not stand in for the signature once a shared secret is configured.
    expect((await post('/v1/webhook', body, { authorization: basic(SEGMENT_KEY) })).status).toBe(401);
    expect(await day('cus_hook', '2026-11-20')).toBeUndefined();

    const ok = await post('/v1/webhook', body, { 'x-signature': sign(body) });
    expect(ok).toMatchObject({ status: 200, json: { success: true, accepted: 2 } });
    expect((await day('cus_hook', '2026-11-20'))?.n).toBe(2);
  });

  it('takes one call signed over its body, and a batch signed over its first call (as Segment signs batches)', async () => {
    const one = JSON.stringify(segmentTrack('wh-3', 'gus', 'Export', 'cus_hook'));
    expect((await post('/v1/webhook', one, { 'x-signature': sign(one) })).json).toMatchObject({ accepted: 1 });
    const first = segmentTrack('wh-4', 'gus', 'Export', 'cus_hook');
    const batch = JSON.stringify([first, segmentTrack('wh-5', 'gus', 'Export', 'cus_hook')]);
    expect((await post('/v1/webhook', batch, { 'x-signature': sign(JSON.stringify(first)) })).json).toMatchObject({ accepted: 2 });
    expect((await day('cus_hook', '2026-11-20'))?.['f:Export']).toBe(3);
  });
});
