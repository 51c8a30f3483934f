import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The Powertools Tracer, only inside Lambda with tracing on (the stack sets POWERTOOLS_TRACE_ENABLED
 * from churnwatch.tracing): it puts every SDK call into the function's X-Ray trace as a subsegment.
 * Loaded on demand, because the X-Ray SDK hooks every async operation of the process once imported,
 * which local runs, tests and benchmarks should not pay for.
 */
const tracingOn = Boolean(process.env.AWS_EXECUTION_ENV) && process.env.POWERTOOLS_TRACE_ENABLED === 'true';
const tracer: Tracer | undefined = tracingOn ? new (await import('@aws-lambda-powertools/tracer')).Tracer() : undefined;
const traced = <C>(client: C): C => (tracer ? tracer.captureAWSv3Client(client) : client);

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
let ses: SESv2Client | undefined;
let sfn: SFNClient | undefined;
let sqs: SQSClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient({ ...common, maxAttempts: 8 })), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return ddb;
}

export function s3Client(): S3Client {
  // Path-style addressing is only needed by an S3 emulator on a loopback address.
  s3 ??= traced(new S3Client({ ...common, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));
  return s3;
}

export function sesClient(): SESv2Client {
  ses ??= traced(new SESv2Client({ ...common }));
  return ses;
}

export function sfnClient(): SFNClient {
  sfn ??= traced(new SFNClient({ ...common }));
  return sfn;
}

export function sqsClient(): SQSClient {
  sqs ??= traced(new SQSClient({ ...common }));
  return sqs;
}

/** Drops cached clients (the embedded stack calls this after changing endpoints). */
export function resetClients(): void {
  ddb = undefined;
  s3 = undefined;
  ses = undefined;
  sfn = undefined;
  sqs = undefined;
}
