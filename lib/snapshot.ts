import { Duration, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { acknowledge } from './nag';
import { SNAPSHOT_MAX_CONCURRENCY, snapshotDefinition } from './snapshot-definition';
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
 * Daily snapshot: an EventBridge rule starts the snapshot state machine (lib/snapshot-definition.ts)
 * at the configured schedule. Its steps, all in the snapshot function, fold the customers in parts
 * and merge them; the run decides whether it also closes a month (on the 1st), writes the snapshot
 * item and reports/, then hands over to the digest by an asynchronous invoke.
 */
export class SnapshotStage extends Construct {
  readonly function: ChurnwatchFunction;
  readonly stateMachine: StateMachine;
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
    // No reserved concurrency: reserving capacity fails deploys in new accounts whose concurrency
    // limit is 10, and the map runs at most SNAPSHOT_MAX_CONCURRENCY parts. A duplicate run rewrites
    // the same snapshot item. The async config serves a manual `aws lambda invoke --invocation-type Event`.
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
    // The fan-out's working files: the pinned model and each part's partial snapshot.
    grantObjects(
      role,
      props.bucket,
      ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      [PREFIX.staging],
      "writes and reads the fan-out's plan and partial snapshots (multipart when large)",
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

    const logGroup = new LogGroup(this, 'Logs', { retention: props.fn.logRetention, removalPolicy: props.fn.removalPolicy });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        Stack.of(this).toJsonString(snapshotDefinition({ functionArn: fn.functionArn, maxConcurrency: SNAPSHOT_MAX_CONCURRENCY })),
      ),
      tracingEnabled: props.fn.tracing,
      // Payloads are dates, keys and counts; a failed step's cause may quote a customer's text: not logged.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    fn.grantInvoke(this.stateMachine.role);

    this.rule = new Rule(this, 'Schedule', {
      description: 'Churnwatch daily snapshot (month close on the 1st)',
      schedule: Schedule.expression(props.schedule),
    });
    // The scheduled event is the execution's input (Plan reads its time). Failing to start the
    // execution is retried, then recorded in the Failures queue.
    this.rule.addTarget(
      new SfnStateMachine(this.stateMachine, { retryAttempts: 4, maxEventAge: Duration.hours(2), deadLetterQueue: this.failures }),
    );

    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery, logs:DescribeResourcePolicies, ...) and X-Ray (PutTraceSegments) support no resource-level permissions; AWS requires Resource "*".',
    );
    acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      'CDK grants invoke on the function and its versions (ARN:*); the state machine invokes only this function.',
    );
    if (!props.fn.tracing) {
      const reason = 'Tracing was turned off for this stage in cdk.json (churnwatch.tracing = false).';
      acknowledge(this.stateMachine, 'AwsSolutions-SF2', reason);
      acknowledge(this.stateMachine, 'Serverless-StepFunctionStateMachineXray', reason);
    }
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Async failures go to the on-failure destination (the Failures queue), which records the request and the error; a DLQ would duplicate it with less context.',
    );
  }
}
