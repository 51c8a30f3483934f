import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Readable } from 'node:stream';
import { ingestUsageFile, type UsageFileResult } from '../store/usage-file';
import { quarantineKeyFor } from '../shared/layout';
import type { ObjectCreated } from './s3-notification';

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
