import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { useEmbeddedStack } from '../../support/stack';
import { createIngestUsageHandler } from '../../../lambdas/ingest-usage/handler';
import { readActivityDays } from '../../../lambdas/store/usage-store';
import { startUsageApi, type UsageApi } from '../../../local/usage-api';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';
import { bulkLoadUsageEvents, ingestUsageFile } from '../../../local/usage-bulk';

const KEY = 'bulk-key';
const local = useEmbeddedStack({ ses: false });
let path: LocalUsagePath;
let api: UsageApi;
let dir: string;
let requests = 0;
/** Requests the API answers 503 before handling one: a throttled or failing deployment. */
let failNext = 0;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const handler = createIngestUsageHandler({
    enqueue: async (bodies) => void bodies.forEach((b) => local.stack.usageQueue.send(b)),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'usage-bulk-test' }),
  });
  // The queue, the aggregator and the fold of the stack; the API in front is this test's, to watch requests.
  path = await startUsagePath(local.stack, { apiKeys: [] });
  await path.api.stop();
  api = await startUsageApi({
    handler: async (event, context) => {
      requests++;
      if (failNext > 0) {
        failNext--;
        return { statusCode: 503, body: JSON.stringify({ message: 'Service Unavailable' }) };
      }
      const body = event.body ?? '';
      // the loader's promise: every request within the API limits
      expect(Buffer.byteLength(body)).toBeLessThan(1_048_576);
      expect((JSON.parse(body) as { events: unknown[] }).events.length).toBeLessThanOrEqual(1000);
      return handler(event, context);
    },
    apiKeys: [KEY],
  });
  dir = await mkdtemp(join(tmpdir(), 'usage-bulk-'));
});
afterAll(async () => {
  await path?.stop().catch(() => undefined);
  await api?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const line = (customerId: string, eventId: string, day: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId, customerId, feature: 'search', timestamp: `${day}T08:00:00Z`, ...extra });

const days = (customerId: string) =>
  readActivityDays(local.stack.clients.dynamo, local.stack.tableName, customerId, '2026-01-01', '2026-12-31');

describe('bulk load of JSONL event files through the API', () => {
  it('streams plain and gzip files, batches within limits, and reports rejected lines by file:line', async () => {
    const a = Array.from({ length: 2500 }, (_, i) => line(`bulk${i % 5}`, `a${i}`, `2026-10-${String((i % 28) + 1).padStart(2, '0')}`));
    a.splice(10, 0, '{"eventId": oops');
    a.splice(20, 0, '');
    a.splice(30, 0, line('bulk0', 'bad', '2026-10-01', { count: -1 }));
    await mkdir(join(dir, 'in'), { recursive: true });
    const fileA = join(dir, 'in', 'a.jsonl');
    await writeFile(fileA, `\uFEFF${a.join('\r\n')}\r\n`);
    // a big-padded event set, to force the 1 MB cut before 1000 events
    const b = Array.from({ length: 1200 }, (_, i) => line('bulkpad', `b${i}`, '2026-10-05', { pad: 'p'.repeat(1500) }));
    b.push(line('bulkpad', 'b0', '2026-10-05'));
    const fileB = join(dir, 'in', 'b.ndjson.gz');
    await writeFile(fileB, gzipSync(b.join('\n')));
    await writeFile(join(dir, 'in', 'ignored.txt'), 'not events');

    requests = 0;
    const result = await bulkLoadUsageEvents([join(dir, 'in')], { url: api.url, apiKey: KEY });
    expect(result.files).toBe(2);
    // The API answers before counting: b0's resend sits in another request, so it is found when counted.
    expect(result.accepted).toBe(2500 + 1200 + 1);
    expect(result.duplicates).toBe(0);
    expect(await path.settle()).toMatchObject({ accepted: 2500 + 1200, duplicates: 1, rejected: [] });
    expect(result.rejected).toEqual([
      { file: fileA, line: 11, reason: expect.stringMatching(/^malformed JSON/) },
      { file: fileA, line: 31, reason: 'count: must be a positive integer' },
    ]);
    expect(result.requests).toBe(requests);
    // a: 1000 + 1000 + 500 events; b: 1200 events of ~1.6 KB cut at 1 MB into 2 requests
    expect(requests).toBe(5);
    const total = (await Promise.all([0, 1, 2, 3, 4].map((i) => days(`bulk${i}`))))
      .flatMap((d) => Object.values(d))
      .reduce((n, d) => n + d.events, 0);
    expect(total).toBe(2500);
    expect((await days('bulkpad'))['2026-10-05']?.events).toBe(1200);

    // loading the same files again adds nothing
    await bulkLoadUsageEvents([fileA, fileB], { url: api.url, apiKey: KEY });
    expect(await path.settle()).toMatchObject({ accepted: 0, duplicates: 3701 });
  });

  it('sends a request again after a 503, counting its events once, and gives up after the attempts', async () => {
    const f = join(dir, 'retry.jsonl');
    await writeFile(f, Array.from({ length: 30 }, (_, i) => line('retry', `r${i}`, '2026-10-02')).join('\n'));
    failNext = 2;
    const result = await bulkLoadUsageEvents([f], { url: api.url, apiKey: KEY });
    expect(result).toMatchObject({ requests: 1, retries: 2, accepted: 30, rejected: [] });
    expect(await path.settle()).toMatchObject({ accepted: 30, duplicates: 0 });
    expect((await days('retry'))['2026-10-02']?.events).toBe(30);

    failNext = 3;
    await expect(bulkLoadUsageEvents([f], { url: api.url, apiKey: KEY, maxAttempts: 3 })).rejects.toThrow(
      'usage API answered 503: Service Unavailable (after 3 attempts)',
    );
    failNext = 0;
  });

  it('fails clearly with a wrong API key', async () => {
    const f = join(dir, 'k.jsonl');
    await writeFile(f, line('k', 'k1', '2026-10-01'));
    await expect(bulkLoadUsageEvents([f], { url: api.url, apiKey: 'nope' })).rejects.toThrow(/403/);
  });
});

describe('ingestUsageFile (S3 events/ prefix path)', () => {
  it('ingests a gzip stream in batches and reports rejected lines', async () => {
    const lines = Array.from({ length: 2100 }, (_, i) => line('s3file', `s${i}`, '2026-09-01', { count: 2 }));
    lines.splice(5, 0, 'nope');
    lines.push(line('s3file', 's0', '2026-09-01', { count: 2 }));
    const stream = Readable.from([gzipSync(lines.join('\n'))]);
    const result = await ingestUsageFile(stream, 'events/2026/09/01.jsonl.gz', {
      dynamo: local.stack.clients.dynamo,
      tableName: local.stack.tableName,
    });
    expect(result.accepted).toBe(2100);
    expect(result.duplicates).toBe(1);
    expect(result.rejected).toEqual([{ line: 6, reason: expect.stringMatching(/^malformed JSON/) }]);
    expect((await days('s3file'))['2026-09-01']).toEqual({ events: 4200, features: { search: 4200 } });
  });

  it('reads a plain stream split at arbitrary byte boundaries', async () => {
    const text = [line('s3plain', 'p1', '2026-09-02'), line('s3plain', 'p2', '2026-09-02', { feature: 'export' })].join('\n');
    const bytes = Buffer.from(text);
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 37), bytes.subarray(37)];
    const result = await ingestUsageFile(Readable.from(chunks), 'events/x.jsonl', {
      dynamo: local.stack.clients.dynamo,
      tableName: local.stack.tableName,
    });
    expect(result).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await days('s3plain'))['2026-09-02']).toEqual({ events: 2, features: { search: 1, export: 1 } });
  });
});
