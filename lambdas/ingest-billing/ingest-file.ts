import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Readable } from 'node:stream';
import { readBillingExportBatches, UnreadableFileError, type BillingRecord, type ReadOptions, type ReadResult } from '../formats';
import { isParquetKey, readParquetBatches } from '../formats/stripe-data-pipeline';
import { failedKeyFor, failedReportKeyFor, quarantineKeyFor } from '../shared/layout';
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

export interface FileReport extends RowCounts {
  key: string;
  status: 'done' | 'failed';
  /** Why the file could not be read (status "failed"). */
  error?: string;
  quarantineKey?: string;
  failedKey?: string;
}

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

/** What a row, or the rows of a range, came to: summed over ranges into the file's record. */
export interface RowCounts {
  rows: number;
  ingested: number;
  unchanged: number;
  quarantined: number;
  writeRequests: number;
  ledgerItemsWritten: number;
  /** Bad rows counted but not written to the quarantine file (past its size bound). */
  quarantineNotListed?: number;
}

export const emptyCounts = (): RowCounts => ({
  rows: 0,
  ingested: 0,
  unchanged: 0,
  quarantined: 0,
  writeRequests: 0,
  ledgerItemsWritten: 0,
});

/**
 * Folds read rows into ledger items and profiles a chunk at a time, counting every row and keeping
 * the quarantine entries (bounded). The small-file path and each range of a large file use it; a
 * range resumes from a checkpoint by starting it with the counts and entries saved there.
 */
export class RowFolder {
  readonly counts: RowCounts;
  readonly quarantine: string[];
  private quarantineBytes: number;
  private pending = new Map<string, LedgerChange[]>();
  private pendingRows = 0;
  private lastLine = 0;
  private readonly chunkRows: number;
  private readonly maxQuarantineBytes: number;

  constructor(
    private readonly deps: IngestDeps,
    private readonly object: ObjectCreated,
    from: { counts: RowCounts; quarantine: string[] } = { counts: emptyCounts(), quarantine: [] },
    /** Called after each chunk is stored: every row up to `lastLine` is then counted and applied. */
    private readonly onFlushed?: (lastLine: number) => Promise<void>,
  ) {
    this.counts = { ...from.counts };
    this.quarantine = [...from.quarantine];
    this.quarantineBytes = this.quarantine.reduce((n, e) => n + e.length + 1, 0);
    this.chunkRows = deps.chunkRows ?? DEFAULT_CHUNK_ROWS;
    this.maxQuarantineBytes = deps.maxQuarantineBytes ?? MAX_QUARANTINE_BYTES;
  }

  async add(row: ReadResult): Promise<void> {
    const counts = this.counts;
    counts.rows++;
    this.lastLine = row.line;
    if (!row.ok) {
      counts.quarantined++;
      this.quarantineEntry({ line: row.line, reason: row.reason, raw: row.raw.slice(0, MAX_RAW) });
      return;
    }
    const source = { key: this.object.key, line: row.line };
    const changes = toChanges(row.record, this.object.eventTime, source);
    const list = this.pending.get(row.record.customerId);
    if (list) list.push(...changes);
    else this.pending.set(row.record.customerId, changes);
    if (++this.pendingRows >= this.chunkRows) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const applied = await applyLedgerChanges(this.deps.dynamo, this.deps.tableName, this.pending);
    const counts = this.counts;
    for (const { source, reason } of applied.rejected) {
      counts.quarantined++;
      this.quarantineEntry({ line: source.line, reason, raw: '' });
    }
    counts.ingested += applied.ingested;
    counts.unchanged += applied.unchanged;
    counts.writeRequests += applied.writeRequests;
    counts.ledgerItemsWritten += applied.ledgerItemsWritten;
    this.pending = new Map();
    this.pendingRows = 0;
    await this.onFlushed?.(this.lastLine);
  }

  private quarantineEntry(entry: { line: number; reason: string; raw: string }): void {
    const text = JSON.stringify(entry);
    if (this.quarantineBytes + text.length <= this.maxQuarantineBytes) {
      this.quarantine.push(text);
      this.quarantineBytes += text.length + 1;
    } else {
      this.counts.quarantineNotListed = (this.counts.quarantineNotListed ?? 0) + 1;
    }
  }
}

/**
 * Streams one billing export into the table: good rows are folded into ledger items and profiles a
 * chunk at a time, bad rows go to `quarantine/<key>.errors.jsonl`, an unreadable file is moved to
 * `failed/` with a report, and the file is recorded with its counts. Safe to run again on the same
 * file: every row then counts as unchanged and no ledger item is written.
 */
export async function ingestBillingFile(deps: IngestDeps, object: ObjectCreated): Promise<FileReport> {
  const startedAt = new Date().toISOString();
  const folder = new RowFolder(deps, object);
  let error: string | undefined;
  try {
    for await (const rows of readRows(deps.s3, object, deps.readOptions)) {
      for (const row of rows) await folder.add(row);
    }
    await folder.flush();
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    // Rows read before the fault (e.g. a truncated gzip) are valid and stay ingested; say so.
    await folder.flush();
    error = err.message;
  }
  return finishFile(deps, object, { counts: folder.counts, quarantine: folder.quarantine, error, startedAt });
}

/**
 * The end of a file, whichever path read it: the quarantine file, the move to `failed/` of a file that
 * could not be read (with its report), and the `FILE#` record with the counts (docs/metrics.md §1.3).
 */
export async function finishFile(
  deps: Pick<IngestDeps, 'dynamo' | 's3' | 'tableName'>,
  object: ObjectCreated,
  outcome: { counts: RowCounts; quarantine: string[]; error?: string; startedAt: string; extra?: Record<string, unknown> },
): Promise<FileReport> {
  const { dynamo, s3, tableName } = deps;
  const report: FileReport = { key: object.key, status: outcome.error === undefined ? 'done' : 'failed', ...outcome.counts };
  if (outcome.error !== undefined) report.error = outcome.error;
  if (outcome.quarantine.length > 0) {
    report.quarantineKey = quarantineKeyFor(object.key);
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: report.quarantineKey,
        Body: outcome.quarantine.join('\n') + '\n',
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
        startedAt: outcome.startedAt,
        finishedAt: new Date().toISOString(),
        ...outcome.extra,
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
