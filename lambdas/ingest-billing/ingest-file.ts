import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Readable } from 'node:stream';
import { readBillingExportBatches, UnreadableFileError, type BillingRecord, type ReadOptions, type ReadResult } from '../formats';
import { isParquetKey, readParquetBatches } from '../formats/stripe-data-pipeline';
import { keys } from '../store/keys';
import { applyLedgerChanges, type LedgerChange } from '../store/ledger-store';
import { s3AsyncBuffer } from './s3-async-buffer';
import type { ObjectCreated } from './s3-notification';

export interface IngestDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  readOptions: ReadOptions;
  /** Rows folded into DynamoDB at a time: bounds memory however large the file is. */
  chunkRows?: number;
  /** Bound of the quarantine file (default 64 MB). */
  maxQuarantineBytes?: number;
}

export interface FileReport {
  key: string;
  status: 'done' | 'failed';
  rows: number;
  ingested: number;
  unchanged: number;
  quarantined: number;
  writeRequests: number;
  ledgerItemsWritten: number;
  /** Why the file could not be read (status "failed"). */
  error?: string;
  quarantineKey?: string;
  /** Bad rows counted but not written to the quarantine file (past its size bound). */
  quarantineNotListed?: number;
  failedKey?: string;
}

export const quarantineKeyFor = (key: string) => `quarantine/${key}.errors.jsonl`;
export const failedKeyFor = (key: string) => `failed/${key}`;
export const failedReportKeyFor = (key: string) => `failed/${key}.error.json`;

const DEFAULT_CHUNK_ROWS = 50_000;
/** Longest raw text kept per quarantined row: enough to find the row, bounded for huge fields. */
const MAX_RAW = 2_000;
/**
 * Bound of the quarantine file (held in memory until the file is done): a file whose every row is bad
 * (e.g. a currency missing from fxRates) must still end with a report, not an out-of-memory crash.
 * Every bad row is still counted.
 */
const MAX_QUARANTINE_BYTES = 64 * 1024 * 1024;

function toChanges(record: BillingRecord, at: number, source: LedgerChange['source']): LedgerChange[] {
    switch (record.kind) {
    case 'invoice_line': {
      const changes: LedgerChange[] = [{ kind: 'line', line: record.line, at, source }];
      if (record.customerName !== undefined || record.ownerEmail !== undefined) {
        const attributes = { name: record.customerName, ownerEmail: record.ownerEmail };
        changes.push({ kind: 'attributes', attributes, at, source, incidental: true });
      }
      return changes;
    }
    case 'cancellation':
      return [{ kind: 'cancellation', cancellation: record.cancellation, at, source }];
    case 'customer':
      return [{ kind: 'attributes', attributes: record.attributes, at, source }];
  }
  throw new Error(`unknown record kind ${(record as { kind: string }).kind}`);
}

/**
 * Streams one billing export into the table: good rows are folded into ledger items and profiles a
 * chunk at a time, bad rows go to `quarantine/<key>.errors.jsonl`, an unreadable file is moved to
 * `failed/` with a report, and the file is recorded with its counts. Safe to run again on the same
 * file: every row then counts as unchanged and no ledger item is written.
 */
export async function ingestBillingFile(deps: IngestDeps, object: ObjectCreated): Promise<FileReport> {
  const { dynamo, s3, tableName } = deps;
  const chunkRows = deps.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const report: FileReport = {
    key: object.key,
    status: 'done',
    rows: 0,
    ingested: 0,
    unchanged: 0,
    quarantined: 0,
    writeRequests: 0,
    ledgerItemsWritten: 0,
  };
  const startedAt = new Date().toISOString();
  const quarantine: string[] = [];
  let quarantineBytes = 0;
  let pending = new Map<string, LedgerChange[]>();
  let pendingRows = 0;

  const flush = async () => {
    if (pendingRows === 0) return;
    const applied = await applyLedgerChanges(dynamo, tableName, pending);
    for (const { source, reason } of applied.rejected) {
      report.quarantined++;
      quarantine.push(JSON.stringify({ line: source.line, reason, raw: '' }));
    }
    report.ingested += applied.ingested;
    report.unchanged += applied.unchanged;
    report.writeRequests += applied.writeRequests;
    report.ledgerItemsWritten += applied.ledgerItemsWritten;
    pending = new Map();
    pendingRows = 0;
  };

  try {
    for await (const rows of readRows(s3, object, deps.readOptions)) {
      for (const row of rows) {
        report.rows++;
        if (!row.ok) {
          report.quarantined++;
          const entry = JSON.stringify({ line: row.line, reason: row.reason, raw: row.raw.slice(0, MAX_RAW) });
          if (quarantineBytes + entry.length <= (deps.maxQuarantineBytes ?? MAX_QUARANTINE_BYTES)) {
            quarantine.push(entry);
            quarantineBytes += entry.length + 1;
          } else {
            report.quarantineNotListed = (report.quarantineNotListed ?? 0) + 1;
          }
          continue;
        }
        const source = { key: object.key, line: row.line };
        const changes = toChanges(row.record, object.eventTime, source);
        const list = pending.get(row.record.customerId);
        if (list) list.push(...changes);
        else pending.set(row.record.customerId, changes);
        if (++pendingRows >= chunkRows) await flush();
      }
    }
    await flush();
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    // Rows read before the fault (e.g. a truncated gzip) are valid and stay ingested; say so.
    await flush();
    report.status = 'failed';
    report.error = err.message;
  }

  if (quarantine.length > 0) {
    report.quarantineKey = quarantineKeyFor(object.key);
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: report.quarantineKey,
        Body: quarantine.join('\n') + '\n',
        ContentType: 'application/x-ndjson',
      }),
    );
  }
  if (report.status === 'failed') await moveToFailed(s3, object, report);

  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.file(object.key, object.eTag || 'none'),
        type: 'file',
        eTag: object.eTag,
        size: object.size,
        eventTime: new Date(object.eventTime).toISOString(),
        startedAt,
        finishedAt: new Date().toISOString(),
        ...report,
      },
    }),
  );
  return report;
}

/** Parquet (Stripe Data Pipeline) is read by ranges; CSV and JSONL as one stream. */
async function* readRows(s3: S3Client, object: ObjectCreated, opts: ReadOptions): AsyncGenerator<ReadResult[]> {
  if (isParquetKey(object.key)) {
    yield* readParquetBatches(s3AsyncBuffer(s3, object.bucket, object.key, object.size), object.key, opts);
    return;
  }
  const body = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  if (!body.Body) throw new UnreadableFileError('the object has no body');
  yield* readBillingExportBatches(body.Body as Readable, object.key, opts);
}

async function moveToFailed(s3: S3Client, object: ObjectCreated, report: FileReport): Promise<void> {
  report.failedKey = failedKeyFor(object.key);
  const source = `${object.bucket}/${object.key.split('/').map(encodeURIComponent).join('/')}`;
  await s3.send(new CopyObjectCommand({ Bucket: object.bucket, Key: report.failedKey, CopySource: source }));
  const explanation = {
    key: object.key,
    failedAt: new Date().toISOString(),
    error: report.error,
    rowsReadBeforeError: report.rows,
    note:
      report.rows > 0
        ? 'Rows read before the error were ingested (they are valid and idempotent); fix the file and drop it again into exports/.'
        : 'Nothing was ingested from this file; fix it and drop it again into exports/.',
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: failedReportKeyFor(object.key),
      Body: JSON.stringify(explanation, null, 2),
      ContentType: 'application/json',
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: object.bucket, Key: object.key }));
}
