import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { acknowledge } from './nag';
import { SNAPSHOT_MEMORY_MB, SNAPSHOT_TIMEOUT_SECONDS, SNAPSHOT_V8_FLAGS } from './snapshot-sizing';
import { failureQueue } from './queues';
import { PREFIX } from '../lambdas/shared/layout';

export interface SnapshotProps {
  table: Table;
  bucket: Bucket;
  digestFunction: IFunction;
  /** EventBridge schedule expression (config snapshot.schedule). */
  schedule: string;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * Daily snapshot: an EventBridge rule runs it at the configured schedule; the function itself decides
 * whether the run also closes a month (on the 1st), writes the snapshot item and reports/, then hands
 * over to the digest by an asynchronous invoke.
 */
export class SnapshotStage extends Construct {
  readonly function: ChurnwatchFunction;
  readonly failures: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: SnapshotProps) {
    super(scope, id);
    this.failures = failureQueue(this, 'Failures', 'failed scheduled snapshot runs');
    this.function = new ChurnwatchFunction(this, 'SnapshotFunction', {
      ...props.fn,
      name: 'snapshot',
      memoryMb: SNAPSHOT_MEMORY_MB,
      timeout: Duration.seconds(SNAPSHOT_TIMEOUT_SECONDS),
      v8Flags: SNAPSHOT_V8_FLAGS,
      environment: { ...props.fn.environment, DIGEST_FUNCTION_NAME: props.digestFunction.functionName },
    });
    const { fn, role } = this.function;
    // No reserved concurrency: a daily run does not need it, and reserving capacity fails deploys in
    // new accounts whose concurrency limit is 10. A duplicate run rewrites the same snapshot item.
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });

    grantTable(role, props.table, 'snapshot');
    // s3:PutObject also covers the multipart upload of a large snapshot.json / at-risk.csv; aborting a failed one is its own action.
    grantObjects(
      role,
      props.bucket,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      [PREFIX.reports],
      'writes the snapshot reports (multipart when large), reads the previous bands.json',
    );
    // The usage fold before each run: lists the inbox, reads each object, deletes it once counted.
    grantObjects(
      role,
      props.bucket,
      ['s3:DeleteObject', 's3:GetObject'],
      [PREFIX.usageInbox],
      'folds the usage inbox, then deletes the folded objects',
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${PREFIX.usageInbox}*`] } },
      }),
    );
    // Only the unqualified digest function (no versions or aliases), so no `:*` ARN.
    role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [props.digestFunction.functionArn] }),
    );

    this.rule = new Rule(this, 'Schedule', {
      description: 'Churnwatch daily snapshot (month close on the 1st)',
      schedule: Schedule.expression(props.schedule),
    });
    this.rule.addTarget(new LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(2), deadLetterQueue: this.failures }));

    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Async failures go to the on-failure destination (the Failures queue), which records the request and the error; a DLQ would duplicate it with less context.',
    );
  }
}
