import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { tableDefinition, TTL_ATTRIBUTE } from '../lambdas/store/table';
import { resetClients } from '../lambdas/shared/aws-clients';
import { INGEST_PREFIXES } from '../lambdas/shared/layout';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startS3Emulator, type S3Emulator } from './s3-emulator';
import { startSesEmulator, type SentMail, type SesEmulator } from './ses-emulator';
import { startSlackReceiver, type SlackReceiver } from './slack-receiver';
import { matchesPrefixes, objectCreatedNotification, type S3EventNotification } from './s3-events';
import { LocalSqsQueue, type LocalSqsQueueOptions, type SqsHandler } from './sqs-queue';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-env';

export const DEFAULT_NOTIFICATION_PREFIXES = INGEST_PREFIXES;

export interface EmbeddedStackOptions {
  /** Use a running DynamoDB Local (e.g. the one a vitest globalSetup started) instead of starting one. */
  dynamodbEndpoint?: string;
  /** Start the SES emulator (default true). */
  ses?: boolean;
  /** Start a Slack incoming-webhook receiver (default false). */
  slack?: boolean;
  /** Only objects under these prefixes are sent to the queue, like the bucket's notification filter. */
  notificationPrefixes?: readonly string[];
  /** Batch size and redrive settings of the export queue. */
  queue?: Omit<LocalSqsQueueOptions, 'region'>;
  /** Batch size and redrive settings of the usage queue (the usage API → the aggregator). */
  usageQueue?: Omit<LocalSqsQueueOptions, 'region'>;
  /** Table and bucket name prefix; a random suffix keeps stacks apart. */
  namePrefix?: string;
}

export interface EmbeddedStackClients {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  ses: SESv2Client | undefined;
}

export interface EmbeddedStack {
  tableName: string;
  bucketName: string;
  region: string;
  endpoints: { dynamodb: string; s3: string; ses: string | undefined };
  /** The environment a handler needs to reach this stack through `AWS_ENDPOINT_URL_*`. */
  env: Record<string, string>;
  clients: EmbeddedStackClients;
  /** The queue S3 object-created notifications (under the prefixes) are sent to. */
  queue: LocalSqsQueue;
  /** The queue the usage API enqueues events on; local/usage-path.ts connects the aggregator. */
  usageQueue: LocalSqsQueue;
  /** Connects a Lambda-style SQS handler (e.g. ingest-billing) to the queue. */
  subscribe(handler: SqsHandler): void;
  /** Every object-created notification of the bucket, before the prefix filter; returns the unsubscribe function. */
  onObjectCreated(listener: (notification: S3EventNotification) => void): () => void;
  sentMail(): Promise<SentMail[]>;
  clearMail(): Promise<void>;
  /** The Slack webhook receiver, when started with `slack: true`. */
  slack: SlackReceiver | undefined;
  stop(): Promise<void>;
  /** What stop() must release: the java child this stack started (if any) and s3rver's directory. */
  resources: { dynamodbPid: number | undefined; s3Directory: string };
}

const clientSettings = {
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const;

/**
 * Starts DynamoDB Local, s3rver and (optionally) the SES emulator on loopback ports, creates a
 * fresh table and bucket, and bridges the bucket's object-created events into an SQS-like queue
 * carrying the same SQS-wrapped S3 notification the ingest Lambda receives on AWS.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const prefix = options.namePrefix ?? 'churnwatch-local';
  const tableName = `${prefix}-${suffix}`;
  const bucketName = `${prefix}-${suffix}`.toLowerCase();
  const prefixes = options.notificationPrefixes ?? DEFAULT_NOTIFICATION_PREFIXES;

  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        errors.push(err);
      }
    }
    stops.length = 0;
    if (errors.length) throw new AggregateError(errors, 'embedded stack did not stop cleanly');
  };

  try {
    // allSettled, not all: when one emulator fails, the others must be up (and tracked) before stopAll runs
    const started = await Promise.allSettled([
      options.dynamodbEndpoint ? Promise.resolve(undefined) : track(startDynamoDbLocal(), stops),
      track(startS3Emulator({ buckets: [] }), stops),
      options.ses === false ? Promise.resolve(undefined) : track(startSesEmulator(), stops),
      options.slack ? track(startSlackReceiver(), stops) : Promise.resolve(undefined),
    ] as const);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamoLocal, s3, ses, slack] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      DynamoDbLocal | undefined,
      S3Emulator,
      SesEmulator | undefined,
      SlackReceiver | undefined,
    ];
    const dynamodbEndpoint = options.dynamodbEndpoint ?? (dynamoLocal as DynamoDbLocal).endpoint;

    const dynamoBase = new DynamoDBClient({ ...clientSettings, endpoint: dynamodbEndpoint, maxAttempts: 8 });
    const dynamo = DynamoDBDocumentClient.from(dynamoBase, { marshallOptions: { removeUndefinedValues: true } });
    const s3Client = new S3Client({ ...clientSettings, endpoint: s3.endpoint, forcePathStyle: true });
    const sesClient = ses ? new SESv2Client({ ...clientSettings, endpoint: ses.endpoint }) : undefined;
    stops.push(async () => {
      dynamo.destroy();
      s3Client.destroy();
      sesClient?.destroy();
    });

    await dynamoBase.send(new CreateTableCommand(tableDefinition(tableName)));
    if (options.dynamodbEndpoint) {
      // a shared DynamoDB Local outlives this stack: leave it as we found it
      stops.push(() => dynamoBase.send(new DeleteTableCommand({ TableName: tableName })));
    }
    await dynamoBase.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
    await s3Client.send(new CreateBucketCommand({ Bucket: bucketName }));

    const queue = new LocalSqsQueue({ name: `${prefix}-exports-${suffix}`, ...options.queue, region: LOCAL_REGION });
    const listeners = new Set<(n: S3EventNotification) => void>();
    s3.onEvent((record) => {
      if (!record.eventName.startsWith('ObjectCreated:') || record.s3.bucket.name !== bucketName) return;
      const notification = objectCreatedNotification({
        bucket: record.s3.bucket.name,
        key: record.s3.object.key,
        size: record.s3.object.size ?? 0,
        eTag: record.s3.object.eTag ?? '',
        eventName: record.eventName,
        eventTime: new Date(record.eventTime),
      });
      for (const listener of listeners) listener(notification);
      if (matchesPrefixes(record.s3.object.key, prefixes)) queue.send(notification);
    });
    stops.push(() => queue.stop());
    // As the stack's event source mapping: batches of up to 1,000 messages (lib/usage-api.ts).
    const usageQueue = new LocalSqsQueue({
      name: `${prefix}-usage-${suffix}`,
      batchSize: 1000,
      ...options.usageQueue,
      region: LOCAL_REGION,
    });
    stops.push(() => usageQueue.stop());

    const endpoints = { dynamodb: dynamodbEndpoint, s3: s3.endpoint, ses: ses?.endpoint };
    return {
      tableName,
      bucketName,
      region: LOCAL_REGION,
      endpoints,
      env: stackEnv(endpoints, tableName, bucketName),
      clients: { dynamo, s3: s3Client, ses: sesClient },
      queue,
      usageQueue,
      subscribe: (handler) => queue.subscribe(handler),
      onObjectCreated(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      sentMail: () => (ses ? ses.sentMail() : Promise.reject(new Error('stack started without SES'))),
      clearMail: () => (ses ? ses.clearMail() : Promise.resolve()),
      slack,
      stop: stopAll,
      resources: { dynamodbPid: dynamoLocal?.pid, s3Directory: s3.directory },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** Registers the emulator's stop() as soon as it is up, so a failure of a sibling still stops it. */
async function track<T extends { stop(): Promise<void> }>(starting: Promise<T>, stops: (() => Promise<unknown>)[]): Promise<T> {
  const emulator = await starting;
  stops.push(() => emulator.stop());
  return emulator;
}

function stackEnv(endpoints: EmbeddedStack['endpoints'], tableName: string, bucketName: string): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    TABLE_NAME: tableName,
    BUCKET_NAME: bucketName,
  };
  if (endpoints.ses) {
    env.AWS_ENDPOINT_URL_SES = endpoints.ses;
    env.AWS_ENDPOINT_URL_SESV2 = endpoints.ses;
  }
  return env;
}

/**
 * Points handlers that read the environment at this stack: sets the variables and drops the
 * cached SDK clients. Returns a function restoring the previous values.
 */
export function applyEnv(stack: Pick<EmbeddedStack, 'env'>, env: NodeJS.ProcessEnv = process.env): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(stack.env)) {
    previous.set(name, env[name]);
    env[name] = value;
  }
  // a session token from the developer's shell would be sent with the dummy key
  previous.set('AWS_SESSION_TOKEN', env.AWS_SESSION_TOKEN);
  delete env.AWS_SESSION_TOKEN;
  resetClients();
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    resetClients();
  };
}
