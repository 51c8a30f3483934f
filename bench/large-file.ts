/**
 * ingest.largeFileSeconds (docs/metrics.md §6): a generated canonical CSV through the large-file path on
 * the embedded stack (the deployed state machine definition run by local/state-machine.ts, every step
 * by the ingest-large handler), with the function's timeout emulated at 60 s per invocation and ranges
 * sized to fit; a crash is injected into one range half-way through the file. Checks that the counts
 * are exact and every quarantined row carries its physical line, then says where the time went.
 *
 *   npm run bench -- --only large-file            256 MB, plain and gzip
 *   npm run bench -- --only large-file --large    1 GB as well
 *   npx tsx bench/large-file.ts --mb 256 [--gzip]   one run
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { paginateScan, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readBillingExportBatches } from '../lambdas/formats';
import type { FileReport } from '../lambdas/ingest-billing/ingest-file';
import type { ObjectCreated } from '../lambdas/ingest-billing/s3-notification';
import { parseConfig } from '../lambdas/shared/config';
import { keys } from '../lambdas/store/keys';
import { runLargeFileLocally } from '../local/large-files';
import { startEmbeddedStack } from '../local/stack';
import { formatTable, isMain, recordResults, type BenchModule, type Figure } from './harness';
import { writeLargeExport, type LargeExportTruth } from './large-export';

const MB = 1024 * 1024;
/** Bytes per generated row (the file's size divided by its rows, as largeExportText writes them). */
const ROW_BYTES = 130;
const TIMEOUT_MS = 60_000;
/** Smallest export whose time is reported as `ingest.largeFileSeconds` (the quick run's 1 MB is not). */
const HEADLINE_MIN_MB = 256;

export interface LargeFileRun {
  mb: number;
  gzip: boolean;
  rows: number;
  fileBytes: number;
  ranges: number;
  seconds: number;
  splitSeconds: number;
  mapSeconds: number;
  mergeSeconds: number;
  /** Reading and validating every row of the file with no storage at all, in this process. */
  parseSeconds: number;
  dynamoRequests: number;
  /** Wall time during which at least one DynamoDB request was in flight. */
  dynamoBusySeconds: number;
  rangeAttempts: number;
  /** Stored rows read again after a timeout between their writes and their checkpoint (counted unchanged). */
  recountedRows: number;
  crashRetried: boolean;
  problems: string[];
}

/** One export through the large-file path on a fresh embedded stack. */
export async function runLargeFile(mb: number, gzip: boolean, progress: (s: string) => void = () => undefined): Promise<LargeFileRun> {
  const dir = await mkdtemp(join(tmpdir(), 'churnwatch-large-'));
  const rows = Math.round((mb * MB) / ROW_BYTES);
  const key = `exports/large-${mb}mb.csv${gzip ? '.gz' : ''}`;
  const path = join(dir, key.split('/')[1]!);
  progress(`generating ${rows.toLocaleString('en-US')} rows (${mb} MB of CSV${gzip ? ', gzipped' : ''})…`);
  const truth = await writeLargeExport(path, { rows, linesPerCustomer: 24, badEvery: 9_973 }, gzip);
  const fileBytes = (await stat(path)).size;

  // Ranges of 4 MB (about 32k rows) stored 2,000 rows a chunk: on a busy machine DynamoDB Local stores a
  // few hundred rows a second per range, so a range checkpoints well inside the 60 s timeout and, when
  // short of time, stops at a checkpoint and is resumed by the map's retry.
  const rangeBytes = mb <= 8 ? Math.max(256 * 1024, (mb * MB) / 4) : 4 * MB;
  const config = parseConfig({ largeFiles: { thresholdBytes: MB, rangeBytes, maxConcurrency: 4 } });
  const stack = await startEmbeddedStack({ ses: false });
  try {
    const { dynamo, s3 } = stack.clients;
    let requests = 0;
    let inFlight = 0;
    let busySince = 0;
    let busyMs = 0;
    let crashed = false;
    const crashAt = Math.floor(truth.physicalLines / 2);
    dynamo.middlewareStack.add(
      (next) => async (args) => {
        const batch = (args.input as { RequestItems?: Record<string, { PutRequest?: { Item?: { srcLine?: unknown } } }[]> }).RequestItems;
        if (!crashed && batch) {
          if (
            Object.values(batch)
              .flat()
              .some((r) => Number(r.PutRequest?.Item?.srcLine ?? 0) >= crashAt)
          ) {
            crashed = true;
            throw Object.assign(new Error('injected crash half-way through the file'), { name: 'CrashInjected' });
          }
        }
        requests++;
        if (inFlight++ === 0) busySince = Date.now();
        try {
          return await next(args);
        } finally {
          if (--inFlight === 0) busyMs += Date.now() - busySince;
        }
      },
      { step: 'initialize', name: 'benchCount' },
    );
    await s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: key, Body: createReadStream(path), ContentLength: fileBytes }));
    const file: ObjectCreated = { bucket: stack.bucketName, key, size: fileBytes, eTag: 'bench', eventTime: Date.now() };

    progress(`through the state machine (ranges of ${rangeBytes / MB} MB, 4 at a time, 60 s timeout, chunks of 2,000 rows)…`);
    const entered = new Map<string, number>();
    let retried = false;
    let done = 0;
    const started = Date.now();
    const result = await runLargeFileLocally(
      {
        dynamo,
        s3,
        tableName: stack.tableName,
        config,
        chunkRows: 2_000,
        timeoutMs: TIMEOUT_MS,
        onEvent: (e) => {
          if (e.type === 'enter' && e.mapItem === undefined) entered.set(e.state, Date.now());
          if (e.type === 'retry' && e.error === 'CrashInjected') retried = true;
        },
        invoke: async (event, run) => {
          const out = await run(event);
          if (event.step === 'range')
            progress(`  range ${event.range.index} done (${++done} finished, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
          return out;
        },
      },
      file,
    );
    const seconds = (Date.now() - started) / 1000;
    const at = (state: string) => entered.get(state) ?? Date.now();
    const problems: string[] = [];
    if (result.status !== 'SUCCEEDED') problems.push(`execution ${result.status}: ${result.error} ${result.cause}`);

    const out = await dynamo.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
      }),
    );
    const record = out.Items?.[0] as (FileReport & { ranges: number; rangeAttempts: number }) | undefined;
    // Say what the execution answered: a missing record with a merge that reported counts points at the store.
    if (!record) {
      problems.push(`the execution's output was ${JSON.stringify(result.output ?? null).slice(0, 2_000)}`);
      problems.push(`FILE# records in the table: ${JSON.stringify(await fileRecordKeys(dynamo, stack.tableName))}`);
    }
    problems.push(
      ...(await check(record, truth, async (k) =>
        (await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: k }))).Body!.transformToString('utf-8'),
      )),
    );
    if (!crashed || !retried) problems.push('the injected crash did not happen or was not retried');

    progress('parsing the same file with no storage, for comparison…');
    const parseStarted = Date.now();
    let parsed = 0;
    for await (const batch of readBillingExportBatches(createReadStream(path), key, { reportingCurrency: 'USD', fxRates: {} }))
      parsed += batch.length;
    const parseSeconds = (Date.now() - parseStarted) / 1000;
    if (parsed !== truth.rows) problems.push(`the bare reader read ${parsed} rows, not ${truth.rows}`);

    return {
      mb,
      gzip,
      rows: truth.rows,
      fileBytes,
      ranges: record?.ranges ?? 0,
      seconds,
      splitSeconds: (at('IngestRanges') - at('Split')) / 1000,
      mapSeconds: (at('Merge') - at('IngestRanges')) / 1000,
      mergeSeconds: (started + seconds * 1000 - at('Merge')) / 1000,
      parseSeconds,
      dynamoRequests: requests,
      dynamoBusySeconds: busyMs / 1000,
      rangeAttempts: record?.rangeAttempts ?? 0,
      recountedRows: record?.unchanged ?? 0,
      crashRetried: crashed && retried,
      problems,
    };
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every `FILE#` key in the table, to tell a record written under another key from one never written. */
async function fileRecordKeys(dynamo: DynamoDBDocumentClient, tableName: string): Promise<string[]> {
  const found: string[] = [];
  const pages = paginateScan(
    { client: dynamo },
    {
      TableName: tableName,
      ProjectionExpression: 'pk, sk',
      FilterExpression: 'begins_with(pk, :file)',
      ExpressionAttributeValues: { ':file': 'FILE#' },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) found.push(`${String(item.pk)} ${String(item.sk)}`);
  return found;
}

async function check(
  record: (FileReport & { ranges: number }) | undefined,
  truth: LargeExportTruth,
  read: (key: string) => Promise<string>,
): Promise<string[]> {
  if (!record) return ['no FILE# record'];
  const problems: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) problems.push(`${what}: ${String(actual)}, expected ${String(expected)}`);
  };
  expect('status', record.status, 'done');
  expect('rows', record.rows, truth.rows);
  expect('quarantined', record.quarantined, truth.bad.length);
  // A chunk stored by an invocation that timed out before its checkpoint is read again by the retry and
  // counts as unchanged (docs/metrics.md §1.4): reported as recountedRows, not a failure. No row twice.
  expect('ingested + unchanged', record.ingested + record.unchanged, truth.rows - truth.bad.length);
  if (record.quarantineKey) {
    const lines = (await read(record.quarantineKey))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    expect('quarantine lines', JSON.stringify(lines), JSON.stringify(truth.bad.map((b) => b.line)));
  } else if (truth.bad.length > 0) problems.push('no quarantine file');
  return problems;
}

export function figuresOf(run: LargeFileRun, headline: boolean): Figure[] {
  const size = `${run.mb >= 1024 ? `${run.mb / 1024}Gb` : `${run.mb}Mb`}${run.gzip ? 'Gzip' : ''}`;
  const what = `${run.mb} MB CSV${run.gzip ? ' (gzip)' : ''}, ${run.rows.toLocaleString('en-US')} rows, ${run.ranges} ranges × 4 at a time`;
  if (run.problems.length > 0) throw new Error(`${what}: ${run.problems.join('; ')}`);
  const figures: Figure[] = [
    {
      name: `ingest.largeFileSeconds${size}`,
      value: run.seconds,
      unit: 's',
      note: `${what}; counts and quarantine lines exact, crash resumed (${run.rangeAttempts} range attempts)`,
    },
    {
      name: `ingest.largeFileRecountedRows${size}`,
      value: run.recountedRows,
      unit: 'rows',
      note: 'stored rows read again after a timeout before their checkpoint: counted unchanged, not ingested (target 0)',
    },
    { name: `ingest.largeFileRowsPerSec${size}`, value: run.rows / run.seconds, unit: 'rows/s', note: 'end to end, on the embedded stack' },
    {
      name: `ingest.largeFileSplitSeconds${size}`,
      value: run.splitSeconds,
      unit: 's',
      note: run.gzip ? 'split, decompressing into staged parts' : 'split (one read, boundaries and line numbers)',
    },
    { name: `ingest.largeFileMergeSeconds${size}`, value: run.mergeSeconds, unit: 's', note: 'merge of counts and quarantine parts' },
    {
      name: `ingest.largeFileParseShare${size}`,
      value: run.parseSeconds / run.mapSeconds,
      unit: 'ratio',
      note: `bare reader ${run.parseSeconds.toFixed(1)} s ÷ map ${run.mapSeconds.toFixed(1)} s`,
    },
    {
      name: `ingest.largeFileDynamoBusyShare${size}`,
      value: run.dynamoBusySeconds / run.mapSeconds,
      unit: 'ratio',
      note: `${run.dynamoRequests.toLocaleString('en-US')} DynamoDB requests in flight ${run.dynamoBusySeconds.toFixed(0)} s of the map's ${run.mapSeconds.toFixed(0)} s`,
    },
  ];
  if (headline) figures.unshift({ name: 'ingest.largeFileSeconds', value: run.seconds, unit: 's', note: what });
  return figures;
}

export const largeFileBench: BenchModule = {
  name: 'large-file',
  async run({ quick, large }) {
    const progress = (s: string) => process.stderr.write(`   ${s}\n`);
    const sizes = quick ? [1] : large ? [256, 1024] : [256];
    const figures: Figure[] = [];
    // The headline is the largest plain run, and only at a size the figure means (docs/metrics.md §6).
    for (const mb of sizes)
      figures.push(...figuresOf(await runLargeFile(mb, false, progress), mb === sizes.at(-1) && mb >= HEADLINE_MIN_MB));
    figures.push(...figuresOf(await runLargeFile(sizes[0]!, true, progress), false));
    return figures;
  },
};

if (isMain(import.meta.url)) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  const mb = process.argv.includes('--mb') ? Number(arg('--mb')) : 4;
  const run = await runLargeFile(mb, process.argv.includes('--gzip'), (s) => process.stderr.write(`${s}\n`));
  const figures = figuresOf(run, mb >= HEADLINE_MIN_MB && !run.gzip);
  recordResults(figures);
  console.log(formatTable(figures));
}
