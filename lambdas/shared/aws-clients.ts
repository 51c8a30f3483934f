import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';

/**
 * AWS SDK clients, created once per Lambda container. Endpoints come from the standard
 * `AWS_ENDPOINT_URL_*` variables, so the embedded stack only sets those. Checksums are computed only
 * when an operation requires them: same behaviour on AWS, and the S3 emulator stores bodies intact.
 */
const common = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

let ddb: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let ses: SESClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({ ...common, maxAttempts: 8 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return ddb;
}

export function s3Client(): S3Client {
  // Path-style addressing is only needed by an S3 emulator on a loopback address.
  s3 ??= new S3Client({ ...common, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return s3;
}

export function sesClient(): SESClient {
  ses ??= new SESClient({ ...common });
  return ses;
}

/** Drops cached clients (the embedded stack calls this after changing endpoints). */
export function resetClients(): void {
  ddb = undefined;
  s3 = undefined;
  ses = undefined;
}
