import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import {
  ConfigurationSet,
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '../lambdas/shared/config';
import { DIGEST_MEMORY_MB } from './digest-sizing';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects, grantTable } from './grants';
import { acknowledge } from './nag';
import { failureQueue } from './queues';
import { PREFIX } from '../lambdas/shared/layout';
import type { Unsubscribe } from './unsubscribe';
import { UNSUBSCRIBE_KEY_SECRET_ENV, UNSUBSCRIBE_URL_ENV } from '../lambdas/shared/unsubscribe-key';

/** The SES identities a digest may be sent from: the sender address and its domain. */
export function sesIdentities(from: string): string[] {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return [from, domain];
}

/** The IAM condition that limits SendEmail to recipients in the allowed domains (To, Cc and Bcc). */
export function recipientCondition(domains: readonly string[] | undefined): Record<string, unknown> | undefined {
  if (!domains) return undefined;
  return { 'ForAllValues:StringLike': { 'ses:Recipients': domains.map((d) => `*@${d}`) } };
}

export interface DigestProps {
  table: Table;
  bucket: Bucket;
  config: Config;
  /**
   * Create `config.digest.configurationSet` (suppression of bounced and complained-about addresses,
   * bounce and complaint events to an SNS topic). False when the operator named an existing set.
   */
  createConfigurationSet: boolean;
  /** Encrypts the SES event topic (the ops key). */
  key: IKey;
  /** The one-click unsubscribe endpoint: every email links to it, signed with its key. */
  unsubscribe: Unsubscribe;
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
  /** SES bounce and complaint events of the created configuration set. */
  readonly recipientEvents?: Topic;

  constructor(scope: Construct, id: string, props: DigestProps) {
    super(scope, id);
    this.failures = failureQueue(this, 'Failures', 'on-failure destination of the digest function');
    this.function = new ChurnwatchFunction(this, 'DigestFunction', {
      ...props.fn,
      name: 'digest',
      memoryMb: DIGEST_MEMORY_MB,
      timeout: Duration.minutes(5),
      environment: {
        ...props.fn.environment,
        [UNSUBSCRIBE_KEY_SECRET_ENV]: props.unsubscribe.key.secretArn,
        [UNSUBSCRIBE_URL_ENV]: props.unsubscribe.url,
      },
    });
    const { fn, role } = this.function;
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failures),
    });

    grantTable(role, props.table, 'digest');
    props.unsubscribe.grantKeyRead(role);
    grantObjects(role, props.bucket, ['s3:GetObject'], [PREFIX.reports], 'reads the snapshot report it mails');

    const stack = Stack.of(this);
    const configurationSetName = props.config.digest.configurationSet;
    if (props.createConfigurationSet && configurationSetName) {
      const set = new ConfigurationSet(this, 'ConfigurationSet', {
        configurationSetName,
        // SES drops addresses that bounced or complained before; the send is then not attempted.
        suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      });
      this.recipientEvents = new Topic(this, 'RecipientEvents', {
        displayName: 'Churnwatch digest bounces and complaints',
        masterKey: props.key,
        enforceSSL: true,
      });
      props.key.addToResourcePolicy(
        new PolicyStatement({
          sid: 'SesEventsOfTheDigestConfigurationSet',
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('ses.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'aws:SourceAccount': stack.account,
              'aws:SourceArn': stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSetName }),
            },
          },
        }),
      );
      new ConfigurationSetEventDestination(this, 'BounceEvents', {
        configurationSet: set,
        destination: EventDestination.snsTopic(this.recipientEvents),
        events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.REJECT],
      });
    }

    const identityArn = (identity: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity });
    const resources = sesIdentities(props.config.digest.from).map(identityArn);
    if (configurationSetName) {
      resources.push(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSetName }));
    }
    // SendEmail only (the digest never sends raw MIME); recipients limited to the allowed domains.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources,
        conditions: recipientCondition(props.config.digest.allowedRecipientDomains),
      }),
    );

    // Slack webhook URLs stay in the operator's secret: the function may read that one secret, nothing else.
    const slackSecret = props.config.slack.secretName;
    if (slackSecret) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['secretsmanager:GetSecretValue'],
          // Secrets Manager appends a random 6-character suffix to a secret's ARN.
          resources: [
            stack.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: `${slackSecret}-??????`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
    }

    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      'Async failures go to the on-failure destination (the Failures queue), which records the request and the error; a DLQ would duplicate it with less context.',
    );
  }
}
