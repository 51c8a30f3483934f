import { Duration } from 'aws-cdk-lib';
import { LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SEGMENT_ENDPOINTS } from '../lambdas/formats/segment';
import { WEBHOOK_SECRET_ENV, WRITE_KEYS_SECRET_ENV } from '../lambdas/ingest-segment/credentials';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantTable } from './grants';
import { acknowledge } from './nag';

export interface SegmentApiProps {
  /** The usage API (lib/usage-api.ts): the Segment routes sit beside POST /events on the same stage. */
  api: RestApi;
  table: Table;
  /** The usage queue (lib/usage-api.ts): the intake enqueues its events there, as POST /events does. */
  usageQueue: IQueue;
  stage: string;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * `POST /v1/batch|track|group|identify|webhook` (Segment/RudderStack intake, docs/metrics.md §2.1) →
 * ingest-segment → the usage queue (as POST /events; group links are written to the table directly). The routes carry no API key: Segment and RudderStack authenticate with a write key
 * (Basic auth) and the Webhook destination with an HMAC signature, which the function checks against
 * two secrets this construct generates (their values never appear in the template).
 */
export class SegmentApi extends Construct {
  readonly function: ChurnwatchFunction;
  readonly writeKeys: Secret;
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: SegmentApiProps) {
    super(scope, id);
    this.writeKeys = new Secret(this, 'WriteKeys', {
      secretName: `churnwatch-${props.stage}/segment-write-keys`,
      description:
        'Churnwatch: write keys Segment/RudderStack send as Basic-auth user (one key, or several separated by commas, for rotation)',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      secretName: `churnwatch-${props.stage}/segment-webhook-secret`,
      description: "Churnwatch: shared secret of Segment's Webhook destination (X-Signature, HMAC-SHA1)",
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });

    this.function = new ChurnwatchFunction(this, 'IngestSegment', {
      ...props.fn,
      name: 'ingest-segment',
      memoryMb: 512,
      timeout: Duration.seconds(10),
      environment: {
        ...props.fn.environment,
        [WRITE_KEYS_SECRET_ENV]: this.writeKeys.secretArn,
        [WEBHOOK_SECRET_ENV]: this.webhookSecret.secretArn,
        USAGE_QUEUE_URL: props.usageQueue.queueUrl,
      },
    });
    grantTable(this.function.role, props.table, 'ingest-segment');
    props.usageQueue.grantSendMessages(this.function.role);
    // GetSecretValue on exactly these two secrets (Secret.grantRead would add DescribeSecret, which the code never calls).
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.writeKeys.secretArn, this.webhookSecret.secretArn],
      }),
    );

    const v1 = props.api.root.addResource('v1');
    const integration = new LambdaIntegration(this.function.fn, { proxy: true });
    for (const endpoint of SEGMENT_ENDPOINTS) {
      const method = v1.addResource(endpoint).addMethod('POST', integration, { apiKeyRequired: false });
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'Segment and RudderStack authenticate with a write key (HTTP Basic) and the Webhook destination with an HMAC signature; the function checks both against Secrets Manager before anything is stored.',
      );
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'Callers are Segment, RudderStack or a product backend holding a write key, not Cognito users.',
      );
    }

    for (const secret of [this.writeKeys, this.webhookSecret]) {
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        'Write keys and the webhook secret are pasted into Segment/RudderStack by hand: rotating them automatically would break delivery until someone updates the source. Rotate by adding a second key to the secret (README).',
      );
    }
    acknowledge(
      this.function.fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway: Segment and RudderStack retry what fails; nothing is queued for a dead-letter target.',
    );
  }
}
