import { Duration, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type Bucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { acknowledge } from './nag';
import { failureQueue } from './queues';
import { INGEST_PREFIXES, PREFIX } from '../lambdas/shared/layout';

export const INGEST_TIMEOUT = Duration.minutes(5);
/** AWS's advice for SQS event sources: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TO_TIMEOUT = 6;
export const INGEST_MAX_RECEIVE_COUNT = 5;

export interface BillingIngestProps {
  table: Table;
  bucket: Bucket;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
  /** Concurrent invocations the SQS event source may run: a burst of files cannot take the account's concurrency. */
  maxConcurrency: number;
  /** Where exports over largeFiles.thresholdBytes are handed (lib/large-files.ts). */
  largeFiles: IStateMachine;
}

/**
 * One file per invocation: a slow file (near its timeout) is retried on its own and never takes the
 * files of its batch to the dead-letter queue with it.
 */
export const INGEST_BATCH_SIZE = 1;

/**
 * exports/ and events/ object-created notifications → SQS (with DLQ) → ingest-billing. The queue
 * makes a slow or failed file retried rather than lost; a message that fails five times lands in the DLQ.
 */
export class BillingIngest extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: ChurnwatchFunction;

  constructor(scope: Construct, id: string, props: BillingIngestProps) {
    super(scope, id);
    this.deadLetterQueue = failureQueue(this, 'DeadLetterQueue', 'dead-letter queue of the ingest queue', {
      isDeadLetterQueueOfAQueue: true,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(INGEST_TIMEOUT.toSeconds() * VISIBILITY_TO_TIMEOUT),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
    });

    this.function = new ChurnwatchFunction(this, 'IngestBilling', {
      ...props.fn,
      name: 'ingest-billing',
      memoryMb: 1024,
      timeout: INGEST_TIMEOUT,
      environment: { LARGE_FILE_STATE_MACHINE_ARN: props.largeFiles.stateMachineArn },
    });
    const { fn, role } = this.function;
    fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: INGEST_BATCH_SIZE, reportBatchItemFailures: true, maxConcurrency: props.maxConcurrency }),
    );
    props.largeFiles.grantStartExecution(role);

    for (const prefix of INGEST_PREFIXES) {
      props.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), { prefix });
    }
    // CDK's singleton custom resource that writes the bucket's notification configuration.
    const notificationsHandler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler) {
      acknowledge(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-provided deploy-time handler that sets the bucket notification configuration; its role and policy are not configurable and it runs only during deployments.',
      );
    }

    grantTable(role, props.table, 'ingest-billing');
    grantObjects(role, props.bucket, ['s3:GetObject'], [...INGEST_PREFIXES], 'reads dropped files');
    // Deleting is part of moving an unreadable billing export to failed/ (copy, then delete); event
    // files are never moved.
    grantObjects(role, props.bucket, ['s3:DeleteObject'], [PREFIX.exports], 'moves unreadable exports to failed/');
    grantObjects(role, props.bucket, ['s3:PutObject'], [PREFIX.quarantine, PREFIX.failed], 'writes row errors and failed files');

    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      "Invoked synchronously by the SQS event source: failed messages go to the queue's own dead-letter queue (maxReceiveCount 5), a function DLQ would never receive anything.",
    );
    acknowledge(
      fn,
      'Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings do not support on-failure destinations; failures are redriven by the source queue to its dead-letter queue.',
    );
  }
}
