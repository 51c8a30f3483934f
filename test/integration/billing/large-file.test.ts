import { gzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { largeExport, type LargeExportTruth } from '../../../bench/large-export';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import type { FileReport } from '../../../lambdas/ingest-billing/ingest-file';
import { failedReportKeyFor, quarantineKeyFor } from '../../../lambdas/shared/layout';
import type { ObjectCreated } from '../../../lambdas/ingest-billing/s3-notification';
import { manifestKey, type RangeItem, type SplitResult } from '../../../lambdas/ingest-large/staging';
import { parseConfig } from '../../../lambdas/shared/config';
import { keys } from '../../../lambdas/store/keys';
import { profileToTimeline } from '../../../lambdas/store/profile-reader';
import { LARGE_FILE_STATES } from '../../../lib/large-file-definition';
import { localLargeFileStarter, runLargeFileLocally, type LocalLargeFileOptions } from '../../../local/large-files';
import type { EmbeddedStack } from '../../../local/stack';
import type { ExecutionEvent } from '../../../local/state-machine';
import { useEmbeddedStack } from '../../support/stack';

// Two stacks, two tables: the same export through the small-file path and through the state machine.
const small = useEmbeddedStack({ ses: false });
const large = useEmbeddedStack({ ses: false });
/** Thresholds lowered so that a 150 KB export is "large" and splits into about twenty ranges. */
const config = parseConfig({ largeFiles: { thresholdBytes: 4096, rangeBytes: 8192, maxConcurrency: 3 } });
const context = { functionName: 'ingest-billing', awsRequestId: 'test' } as Context;
const AS_OF = '2025-06-30';
/** Small chunks: every range stores (and checkpoints) several chunks. */
const CHUNK_ROWS = 40;
/** Dozens of DynamoDB Local round trips per range: generous on a busy machine, still bounded. */
const SLOW = 240_000;

function largeOptions(stack: EmbeddedStack, extra: Partial<LocalLargeFileOptions> = {}): LocalLargeFileOptions {
  const { dynamo, s3 } = stack.clients;
  return { dynamo, s3, tableName: stack.tableName, config, chunkRows: CHUNK_ROWS, retryDelayScale: 0, ...extra };
}

async function drop(stack: EmbeddedStack, key: string, body: string | Buffer, startLargeFile?: ReturnType<typeof localLargeFileStarter>) {
  const { dynamo, s3 } = stack.clients;
  const handler = createBillingIngestHandler({ dynamo, s3, tableName: stack.tableName, config, chunkRows: CHUNK_ROWS, startLargeFile });
  stack.subscribe((event: SQSEvent) => handler(event, context));
  await s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: body }));
  await stack.queue.drain();
  stack.queue.unsubscribe();
}

async function fileRecord(stack: EmbeddedStack, key: string): Promise<FileReport & Record<string, unknown>> {
  const out = await stack.clients.dynamo.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
    }),
  );
  expect(out.Items).toHaveLength(1);
  return out.Items![0] as FileReport & Record<string, unknown>;
}

async function text(stack: EmbeddedStack, key: string): Promise<string> {
  const out = await stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
  return out.Body!.transformToString('utf-8');
}

const quarantineOf = async (stack: EmbeddedStack, key: string) =>
  (await text(stack, quarantineKeyFor(key)))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; reason: string; raw: string });

async function timelines(stack: EmbeddedStack, prefix: string) {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await stack.clients.dynamo.send(
      new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return (
    items
      .filter((i) => i.sk === 'PROFILE' && String(i.customerId).startsWith(`${prefix}_`))
      .map(profileToTimeline)
      // Ranges run in parallel: a customer whose rows span two ranges gets them in either order.
      .map((t) => ({ ...t, lines: [...t.lines].sort((a, b) => (a.invoiceId < b.invoiceId ? -1 : a.invoiceId > b.invoiceId ? 1 : 0)) }))
      .sort((a, b) => (a.customerId < b.customerId ? -1 : 1))
  );
}

async function objectCreated(stack: EmbeddedStack, key: string): Promise<ObjectCreated> {
  const head = await stack.clients.s3.send(new HeadObjectCommand({ Bucket: stack.bucketName, Key: key }));
  return { bucket: stack.bucketName, key, size: head.ContentLength ?? 0, eTag: (head.ETag ?? '').replace(/"/g, ''), eventTime: Date.now() };
}

function expectTruth(record: FileReport, quarantine: { line: number; reason: string }[], truth: LargeExportTruth) {
  expect(record.status).toBe('done');
  expect(record.rows).toBe(truth.rows);
  expect(record.quarantined).toBe(truth.bad.length);
  expect(quarantine.map((q) => q.line)).toEqual(truth.bad.map((b) => b.line));
  quarantine.forEach((q, i) => expect(q.reason).toContain(truth.bad[i]!.reason));
}

describe('billing exports over largeFiles.thresholdBytes go through the large-file state machine', () => {
  const { text: csv, truth } = largeExport({ rows: 800, linesPerCustomer: 12, badEvery: 97, idPrefix: 'same' });

  it(
    'gives the same FILE# counts, quarantine lines and snapshot as the small-file path',
    async () => {
      await drop(small.stack, 'exports/big.csv', csv);
      const starter = localLargeFileStarter(largeOptions(large.stack));
      await drop(large.stack, 'exports/big.csv', csv, starter);

      expect(starter.executions).toHaveLength(1);
      expect(starter.executions[0]!.status).toBe('SUCCEEDED');
      const viaSmall = await fileRecord(small.stack, 'exports/big.csv');
      const viaLarge = await fileRecord(large.stack, 'exports/big.csv');
      expect(viaSmall.path).toBeUndefined();
      expect(viaLarge.path).toBe('large-file');
      expect(viaLarge.ranges).toBeGreaterThan(8);
      for (const field of ['status', 'rows', 'ingested', 'unchanged', 'quarantined'] as const)
        expect(viaLarge[field]).toBe(viaSmall[field]);
      expect(viaLarge.ingested).toBe(truth.rows - truth.bad.length);

      const quarantine = await quarantineOf(large.stack, 'exports/big.csv');
      expect(quarantine).toEqual(await quarantineOf(small.stack, 'exports/big.csv'));
      expectTruth(viaLarge, quarantine, truth);

      const expected = await timelines(small.stack, 'same');
      const actual = await timelines(large.stack, 'same');
      expect(actual).toHaveLength(truth.customers);
      expect(actual).toEqual(expected);
      expect(computeSnapshot(actual, config, AS_OF)).toEqual(computeSnapshot(expected, config, AS_OF));
    },
    SLOW,
  );

  it(
    'stages a gzip export (CRLF) as decompressed parts, one per range, with the right line numbers',
    async () => {
      const { text: plain, truth: gzTruth } = largeExport({ rows: 800, linesPerCustomer: 12, badEvery: 97, idPrefix: 'gz', eol: '\r\n' });
      const gz = gzipSync(Buffer.from(plain));
      const starter = localLargeFileStarter(largeOptions(large.stack));
      await drop(large.stack, 'exports/big.csv.gz', gz, starter);
      expect(starter.executions[0]!.status).toBe('SUCCEEDED');

      const record = await fileRecord(large.stack, 'exports/big.csv.gz');
      expectTruth(record, await quarantineOf(large.stack, 'exports/big.csv.gz'), gzTruth);
      expect(record.ingested).toBe(gzTruth.rows - gzTruth.bad.length);
      expect((await timelines(large.stack, 'gz')).reduce((n, t) => n + t.lines.length, 0)).toBe(record.ingested);
      const staged = await large.stack.clients.s3.send(new ListObjectsV2Command({ Bucket: large.stack.bucketName, Prefix: 'staging/' }));
      const parts = (staged.Contents ?? []).filter((o) => o.Key!.includes('/parts/'));
      expect(parts).toHaveLength(Number(record.ranges));
      expect(parts.reduce((n, p) => n + (p.Size ?? 0), 0)).toBe(Buffer.byteLength(plain));
    },
    SLOW,
  );

  it(
    'hands a small file to the small-file path even with the state machine wired',
    async () => {
      const { text: little } = largeExport({ rows: 10, idPrefix: 'little' });
      expect(Buffer.byteLength(little)).toBeLessThan(config.largeFiles.thresholdBytes);
      const starter = localLargeFileStarter(largeOptions(large.stack));
      await drop(large.stack, 'exports/little.csv', little, starter);
      expect(starter.executions).toHaveLength(0);
      expect((await fileRecord(large.stack, 'exports/little.csv')).rows).toBe(10);
    },
    SLOW,
  );
});

describe('a range that fails part-way is retried by the map without counting a row twice', () => {
  const removers: (() => void)[] = [];
  afterEach(() => removers.splice(0).forEach((remove) => remove()));

  /** Fails, once, the first DynamoDB batch write of `key` that holds a row at `line` or after. */
  function crashOnBatchWrite(stack: EmbeddedStack, key: string, line: number) {
    let fired = false;
    const name = `crash-${key}`;
    stack.clients.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { RequestItems?: Record<string, { PutRequest?: { Item?: Record<string, unknown> } }[]> };
        const items = Object.values(input.RequestItems ?? {})
          .flat()
          .map((r) => r.PutRequest?.Item ?? {});
        if (!fired && items.some((i) => i.srcKey === key && Number(i.srcLine) >= line)) {
          fired = true;
          throw Object.assign(new Error('injected crash in the middle of a range'), { name: 'CrashInjected' });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    removers.push(() => stack.clients.dynamo.middlewareStack.remove(name));
    return () => fired;
  }

  it(
    'resumes from the checkpoint: counts, quarantine and ledger exact',
    async () => {
      const { text: csv, truth } = largeExport({ rows: 1200, linesPerCustomer: 12, badEvery: 97, idPrefix: 'crash' });
      // Outside exports/: no notification, the execution is started by the test.
      const key = 'upload/crash.csv';
      await large.stack.clients.s3.send(new PutObjectCommand({ Bucket: large.stack.bucketName, Key: key, Body: csv }));
      const file = await objectCreated(large.stack, key);
      const fired = crashOnBatchWrite(large.stack, file.key, Math.floor(truth.physicalLines * 0.55));
      const events: ExecutionEvent[] = [];

      const result = await runLargeFileLocally(largeOptions(large.stack, { onEvent: (e) => events.push(e) }), file);

      expect(result.status).toBe('SUCCEEDED');
      expect(fired()).toBe(true);
      const retries = events.filter((e) => e.type === 'retry');
      expect(retries).toEqual([expect.objectContaining({ state: LARGE_FILE_STATES.range, error: 'CrashInjected', attempt: 1 })]);
      const record = await fileRecord(large.stack, file.key);
      expectTruth(record, await quarantineOf(large.stack, file.key), truth);
      expect(record.ingested).toBe(truth.rows - truth.bad.length);
      expect(record.unchanged).toBe(0);
      expect(record.rangeAttempts).toBe(Number(record.ranges) + 1);
      const lines = (await timelines(large.stack, 'crash')).reduce((n, t) => n + t.lines.length, 0);
      expect(lines).toBe(truth.rows - truth.bad.length);
    },
    SLOW,
  );

  it(
    'a crash after a chunk was stored but before its checkpoint: no row counted twice, ledger exact',
    async () => {
      const { text: csv, truth } = largeExport({ rows: 600, linesPerCustomer: 12, badEvery: 97, idPrefix: 'late' });
      const key = 'upload/late.csv';
      await large.stack.clients.s3.send(new PutObjectCommand({ Bucket: large.stack.bucketName, Key: key, Body: csv }));
      const file = await objectCreated(large.stack, key);
      // The third checkpoint written fails: its chunk is stored, the retry reads it again.
      let checkpoints = 0;
      const name = 'fail-third-checkpoint';
      large.stack.clients.s3.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { Key?: string; Body?: unknown };
          if (
            typeof input.Key === 'string' &&
            input.Key.includes('/ranges/') &&
            typeof input.Body === 'string' &&
            input.Body.includes('"done":false') &&
            !input.Body.includes('"doneThroughLine":0,')
          ) {
            if (++checkpoints === 3) throw Object.assign(new Error('injected crash before the checkpoint'), { name: 'CrashInjected' });
          }
          return next(args);
        },
        { step: 'initialize', name },
      );
      removers.push(() => large.stack.clients.s3.middlewareStack.remove(name));

      const result = await runLargeFileLocally(largeOptions(large.stack), file);

      expect(result.status).toBe('SUCCEEDED');
      const record = await fileRecord(large.stack, key);
      expectTruth(record, await quarantineOf(large.stack, key), truth);
      // The stored chunk read again counts as unchanged, not as ingested a second time.
      expect(record.ingested + record.unchanged).toBe(truth.rows - truth.bad.length);
      expect(record.unchanged).toBeLessThanOrEqual(CHUNK_ROWS);
      const lines = (await timelines(large.stack, 'late')).reduce((n, t) => n + t.lines.length, 0);
      expect(lines).toBe(truth.rows - truth.bad.length);
    },
    SLOW,
  );

  it(
    'a range short of time stops at a checkpoint and the retry resumes it',
    async () => {
      const { text: csv, truth } = largeExport({ rows: 600, linesPerCustomer: 12, badEvery: 97, idPrefix: 'slow' });
      const key = 'upload/slow.csv';
      await large.stack.clients.s3.send(new PutObjectCommand({ Bucket: large.stack.bucketName, Key: key, Body: csv }));
      const events: ExecutionEvent[] = [];
      // An emulated timeout below the time a range keeps in hand: every range stops after each chunk.
      const result = await runLargeFileLocally(
        largeOptions(large.stack, { timeoutMs: 9_000, onEvent: (e) => events.push(e) }),
        await objectCreated(large.stack, key),
      );

      expect(result.status).toBe('SUCCEEDED');
      expect(events.filter((e) => e.type === 'retry' && e.error === 'RangeIncomplete').length).toBeGreaterThan(5);
      const record = await fileRecord(large.stack, key);
      expectTruth(record, await quarantineOf(large.stack, key), truth);
      expect(record.ingested).toBe(truth.rows - truth.bad.length);
    },
    SLOW,
  );
});

describe('a large export that cannot be read', () => {
  it(
    'is moved to failed/ with a report, like a small one',
    async () => {
      const body = 'what,is,this\n' + 'a,b,c\n'.repeat(2000);
      const starter = localLargeFileStarter(largeOptions(large.stack));
      await drop(large.stack, 'exports/unknown.csv', body, starter);
      expect(starter.executions[0]!.status).toBe('SUCCEEDED');
      const record = await fileRecord(large.stack, 'exports/unknown.csv');
      expect(record.status).toBe('failed');
      expect(record.error).toMatch(/header/i);
      expect(record.failedKey).toBe('failed/exports/unknown.csv');
      const report = JSON.parse(await text(large.stack, failedReportKeyFor('exports/unknown.csv'))) as { error: string };
      expect(report.error).toBe(record.error);
      expect(record.rows).toBe(0);
      // The split saw the header and went no further: one range, whose reader refused the header.
      expect(record.ranges).toBe(1);
    },
    SLOW,
  );

  it(
    'a damaged gzip: the ranges before the damage are ingested, and the file is failed with the line it stopped at',
    async () => {
      const { text: csv, truth } = largeExport({ rows: 900, linesPerCustomer: 12, badEvery: 97, idPrefix: 'torn' });
      const gz = gzipSync(Buffer.from(csv));
      const torn = gz.subarray(0, Math.floor(gz.length * 0.6));
      const starter = localLargeFileStarter(largeOptions(large.stack));
      await drop(large.stack, 'exports/torn.csv.gz', torn, starter);
      const record = await fileRecord(large.stack, 'exports/torn.csv.gz');
      expect(record.status).toBe('failed');
      const stoppedAfter = Number(/after line (\d+)/.exec(record.error ?? '')?.[1]);
      expect(stoppedAfter).toBeGreaterThan(100);
      // Exactly the rows up to that line were read: the bad ones among them quarantined.
      expect(record.quarantined).toBe(truth.bad.filter((b) => b.line <= stoppedAfter).length);
      expect(record.rows).toBeGreaterThan(0);
      expect(record.rows).toBeLessThan(truth.rows);
    },
    SLOW,
  );
});

describe('the manifest', () => {
  it(
    'tiles the export: ranges back to back, each starting on the line after the previous one ends',
    async () => {
      const { text: csv } = largeExport({ rows: 500, linesPerCustomer: 10, badEvery: 41, idPrefix: 'tile' });
      const key = 'upload/tile.csv';
      await large.stack.clients.s3.send(new PutObjectCommand({ Bucket: large.stack.bucketName, Key: key, Body: csv }));
      const file = await objectCreated(large.stack, key);
      let split: SplitResult | undefined;
      await runLargeFileLocally(
        largeOptions(large.stack, {
          invoke: async (event, run) => {
            const out = await run(event);
            if (event.step === 'split') split = out as SplitResult;
            return out;
          },
        }),
        file,
      );
      const items = JSON.parse(await text(large.stack, manifestKey(split!.run))) as RangeItem[];
      expect(items.length).toBe(split!.ranges);
      let offset = 0;
      let line = 1;
      const buf = Buffer.from(csv);
      for (const item of items) {
        expect(item.start).toBe(offset);
        expect(item.line).toBe(line);
        const slice = buf.subarray(item.start, item.end).toString('utf8');
        line += (slice.match(/\n/g) ?? []).length;
        offset = item.end;
      }
      expect(offset).toBe(buf.length);
    },
    SLOW,
  );
});
