import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { INGEST_LARGE_TIMEOUT_SECONDS, largeFileDefinition } from './large-file-definition';
import { acknowledge, arnToken } from './nag';
import { PREFIX } from '../lambdas/shared/layout';

export interface LargeFileIngestProps {
  table: Table;
  bucket: Bucket;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * Billing exports over `largeFiles.thresholdBytes` (docs/metrics.md §1.4): a Standard state machine
 * (lib/large-file-definition.ts) whose Distributed Map ingests the export's byte ranges in parallel,
 * at most `largeFiles.maxConcurrency` at a time, every step in the ingest-large function.
 */
export class LargeFileIngest extends Construct {
  readonly function: ChurnwatchFunction;
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: LargeFileIngestProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.function = new ChurnwatchFunction(this, 'IngestLarge', {
      ...props.fn,
      name: 'ingest-large',
      memoryMb: 1024,
      timeout: Duration.seconds(INGEST_LARGE_TIMEOUT_SECONDS),
    });
    const { fn, role } = this.function;
    grantTable(role, props.table, 'ingest-large');
    grantObjects(
      role,
      props.bucket,
      ['s3:GetObject'],
      [PREFIX.exports, PREFIX.staging],
      'reads the export, its staged parts and range checkpoints',
    );
    grantObjects(
      role,
      props.bucket,
      ['s3:PutObject'],
      [PREFIX.staging, PREFIX.quarantine, PREFIX.failed],
      'stages parts and checkpoints, writes row errors and failed files',
    );
    grantObjects(role, props.bucket, ['s3:DeleteObject'], [PREFIX.exports], 'moves unreadable exports to failed/');
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by Step Functions tasks: a failure is retried by the task and then caught by the state machine, which moves the file to failed/; a DLQ would never receive anything.',
    );

    // A fixed name: the Distributed Map's role must start executions of this very state machine,
    // and its ARN from a token would make the role and the state machine depend on each other.
    const stateMachineName = `churnwatch-${props.fn.stage}-large-files`;
    const logGroup = new LogGroup(this, 'Logs', { retention: props.fn.logRetention, removalPolicy: props.fn.removalPolicy });
    const definition = largeFileDefinition({ functionArn: fn.functionArn, maxConcurrency: props.fn.config.largeFiles.maxConcurrency });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(stack.toJsonString(definition)),
      tracingEnabled: props.fn.tracing,
      // Payloads are keys and counts, but a failed step's cause may quote a row: not logged.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    const smRole = this.stateMachine.role;
    fn.grantInvoke(smRole);
    // The ItemReader reads the manifest under staging/.
    smRole.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${PREFIX.staging}*`)],
      }),
    );
    // A Distributed Map runs each item as a child execution of this state machine.
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    smRole.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:StartExecution'], resources: [stateMachineArn] }),
    );
    smRole.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }),
    );

    acknowledge(
      smRole,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:CreateLogDelivery, logs:DescribeResourcePolicies, ...) and X-Ray (PutTraceSegments) support no resource-level permissions; AWS requires Resource "*".',
    );
    if (!props.fn.tracing) {
      const reason = 'Tracing was turned off for this stage in cdk.json (churnwatch.tracing = false).';
      acknowledge(this.stateMachine, 'AwsSolutions-SF2', reason);
      acknowledge(this.stateMachine, 'Serverless-StepFunctionStateMachineXray', reason);
    }
    acknowledge(
      smRole,
      `AwsSolutions-IAM5[Resource::${arnToken(props.bucket)}/${PREFIX.staging}*]`,
      'The Distributed Map reads its manifest under staging/<execution>/, a key chosen at run time; the prefix is the narrowest ARN that covers it.',
    );
    acknowledge(
      smRole,
      // As cdk-nag prints the ARN: pseudo parameters as <AWS::...>, a region or account the stack is pinned to as itself.
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${nagText(stack.region, 'AWS::Region')}:${nagText(stack.account, 'AWS::AccountId')}:execution:${stateMachineName}/*]`,
      'The Distributed Map describes and stops its own child executions, whose names Step Functions chooses; this is the ARN pattern AWS documents for it.',
    );
    acknowledge(
      smRole,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      'CDK grants invoke on the function and its versions (ARN:*); the state machine invokes only this function.',
    );
  }
}

const nagText = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
