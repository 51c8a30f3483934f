import { Duration } from 'aws-cdk-lib';
import { LambdaIntegration, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { UNSUBSCRIBE_KEY_SECRET_ENV } from '../lambdas/shared/unsubscribe-key';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantTable } from './grants';
import { acknowledge } from './nag';

export interface UnsubscribeProps {
  /** The usage API (lib/usage-api.ts): `/unsubscribe` sits beside `/events` and `/v1` on the same stage. */
  api: RestApi;
  table: Table;
  stage: string;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * `GET|POST /unsubscribe` → the unsubscribe function (README "Unsubscribe"): the one-click link of
 * every digest (RFC 8058). The route has no API key: the link's token, an HMAC under a key this
 * construct generates in Secrets Manager, is what authorises the change, and it only covers the one
 * address it was issued for. The digest signs with the same key (lib/digest.ts).
 */
export class Unsubscribe extends Construct {
  readonly function: ChurnwatchFunction;
  readonly key: Secret;
  /** The public URL digest links point to. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: UnsubscribeProps) {
    super(scope, id);
    this.key = new Secret(this, 'Key', {
      secretName: `churnwatch-${props.stage}/unsubscribe-key`,
      description: 'Churnwatch: HMAC-SHA256 key of the one-click unsubscribe links in digest emails',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.function = new ChurnwatchFunction(this, 'UnsubscribeFunction', {
      ...props.fn,
      name: 'unsubscribe',
      memoryMb: 256,
      timeout: Duration.seconds(10),
      environment: { ...props.fn.environment, [UNSUBSCRIBE_KEY_SECRET_ENV]: this.key.secretArn },
    });
    grantTable(this.function.role, props.table, 'unsubscribe');
    this.grantKeyRead(this.function.role);

    const resource = props.api.root.addResource('unsubscribe');
    const integration = new LambdaIntegration(this.function.fn, { proxy: true });
    // GET shows the confirmation page (mail scanners follow links, so it changes nothing); POST acts.
    for (const verb of ['GET', 'POST']) {
      const method = resource.addMethod(verb, integration, { apiKeyRequired: false });
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'The caller is a digest recipient (or their mail client) following the link in the email: the HMAC token in the link authorises a change to that one address, checked by the function.',
      );
      acknowledge(method, 'AwsSolutions-COG4', 'Digest recipients are not Cognito users; the signed token in the link identifies them.');
    }
    this.url = props.api.urlForPath('/unsubscribe');

    acknowledge(
      this.key,
      'AwsSolutions-SMG4',
      'Rotating the signing key would invalidate the unsubscribe links of every digest already in a mailbox (RFC 8058 links must keep working); rotate by hand if the key leaks.',
    );
    acknowledge(
      this.function.fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway: the mail client or browser gets the error and can retry; nothing is queued for a dead-letter target.',
    );
  }

  /** GetSecretValue on the key only (Secret.grantRead would add DescribeSecret, which the code never calls). */
  grantKeyRead(role: ChurnwatchFunction['role']): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources: [this.key.secretArn] }),
    );
  }
}
