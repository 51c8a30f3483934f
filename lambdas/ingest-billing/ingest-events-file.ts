import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Readable } from 'node:stream';
import { MAX_EVENTS_PER_REQUEST } from '../formats/usage-event';
import { readJsonLines } from '../formats/usage-lines';
import { quarantineKeyFor } from '../shared/layout';
import { ingestUsageEvents, type UsageStoreDeps } from '../store/usage-store';
import type { ObjectCreated } from './s3-notification';

export interface FileRejection {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  reason: string;
}

export interface UsageFileResult {
  accepted: number;
  duplicates: number;
  rejected: FileRejection[];
  lines: number;
}

/** Ingests a JSONL event file straight into the table, in batches of up to 1000 events. */
export async function ingestUsageFile(stream: Readable, key: string, deps: UsageStoreDeps): Promise<UsageFileResult> {
  const result: UsageFileResult = { accepted: 0, duplicates: 0, rejected: [], lines: 0 };
  let batch: unknown[] = [];
  let batchLines: number[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await ingestUsageEvents(batch, deps);
    result.accepted += r.accepted;
    result.duplicates += r.duplicates;
    for (const rej of r.rejected) result.rejected.push({ line: batchLines[rej.index]!, reason: rej.reason });
    batch = [];
    batchLines = [];
  };
  try {
    for await (const l of readJsonLines(stream)) {
      result.lines = l.line;
      if (l.error !== undefined) {
        result.rejected.push({ line: l.line, reason: l.error });
        continue;
      }
      batch.push(l.value);
      batchLines.push(l.line);
      if (batch.length >= MAX_EVENTS_PER_REQUEST) await flush();
    }
    await flush();
  } catch (err) {
    throw new Error(`cannot read usage events from ${key}: ${(err as Error).message}`, { cause: err });
  }
  result.rejected.sort((a, b) => a.line - b.line);
  return result;
}

/**
 * A JSONL file of usage events dropped under `events/` (docs/metrics.md §2 bulk load): same validation and
 * exactly-once rollups as the API; rejected events are quarantined like bad billing rows.
 */
export async function ingestEventsFile(
  deps: { dynamo: DynamoDBDocumentClient; s3: S3Client; tableName: string },
  object: ObjectCreated,
): Promise<UsageFileResult & { quarantineKey?: string }> {
  const body = await deps.s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
  const result = await ingestUsageFile(body.Body as Readable, object.key, { dynamo: deps.dynamo, tableName: deps.tableName });
  if (result.rejected.length === 0) return result;
  const quarantineKey = quarantineKeyFor(object.key);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: object.bucket,
      Key: quarantineKey,
      Body: result.rejected.map((r) => JSON.stringify({ line: r.line, reason: r.reason })).join('\n') + '\n',
      ContentType: 'application/x-ndjson',
    }),
  );
  return { ...result, quarantineKey };
}
