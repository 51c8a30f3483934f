import { Duration, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../lambdas/shared/config';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { acknowledge } from './nag';
import { failureQueue } from './queues';
import { PREFIX } from './storage';

/** The SES identities a digest may be sent from: the sender address and its domain. */
export function sesIdentities(from: string): string[] {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return [from, domain];
}

export interface DigestProps {
  table: Table;
  bucket: Bucket;
  config: Config;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * The digest function: one email per CSM through SES. It is invoked asynchronously by the snapshot
 * (a single hand-over per run), so Lambda's own async queue gives it retries and an on-failure
 * destination without a queue to poll, and the snapshot never waits for mail. A retry cannot
 * double-send: the digest records each owner's run before sending (DESIGN.md, idempotency).
 */
export class Digest extends Construct {
  readonly function: ChurnwatchFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: DigestProps) {
    super(scope, id);
    this.failures = failureQueue(this, 'Failures', 'on-failure destination of the digest function');
    this.function = new ChurnwatchFunction(this, 'DigestFunction', {
      ...props.fn,
      name: 'digest',
      memoryMb: 512,
      timeout: Duration.minutes(5),
    });
    const { fn, role } = this.function;
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });

    grantTable(role, props.table);
    grantObjects(role, props.bucket, ['s3:GetObject'], [PREFIX.reports], 'reads the snapshot report it mails');

    const stack = Stack.of(this);
    const identityArn = (identity: string) =>
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity });
    const resources = sesIdentities(props.config.digest.from).map(identityArn);
    const configurationSet = props.config.digest.configurationSet;
    if (configurationSet) {
      resources.push(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet }));
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources }),
    );

    acknowledge(fn, 'Serverless-LambdaDLQ', 'Async failures go to the on-failure destination (the Failures queue), which records the request and the error; a DLQ would duplicate it with less context.');
  }
}
