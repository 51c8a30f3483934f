import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type FunctionName } from './function';

export interface MonitoringProps {
  functions: Record<FunctionName, IFunction>;
  deadLetterQueues: { name: string; queue: IQueue; meaning: string }[];
  quarantineAlarmThreshold: number;
  removalPolicy: RemovalPolicy;
}

/** Alarms for everything that needs an operator, all notifying one encrypted SNS topic. */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS
    // key, whose policy cannot grant it kms:GenerateDataKey.
    const key = new Key(this, 'TopicKey', {
      description: 'Churnwatch ops alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Churnwatch alarms',
      masterKey: key,
      enforceSSL: true,
    });
    const action = new SnsAction(this.topic);

    const add = (id: string, metric: IMetric, threshold: number, description: string) => {
      const alarm = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };

    for (const { name, queue, meaning } of props.deadLetterQueues) {
      add(`${name}Depth`, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1, meaning);
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      const id = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
      add(`${id}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `The ${name} function failed (uncaught error or timeout); see its log group.`);
      add(`${id}Throttles`, fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `The ${name} function was throttled (account or reserved concurrency reached).`);
    }
    // Powertools EMF metrics carry the default `service` dimension (POWERTOOLS_SERVICE_NAME).
    add(
      'QuarantinedRows',
      new Metric({ namespace: METRICS_NAMESPACE, metricName: 'QuarantinedRows', dimensionsMap: { service: 'ingest-billing' }, statistic: 'Sum', period: Duration.hours(1) }),
      props.quarantineAlarmThreshold,
      'Billing rows failed validation and were written to quarantine/<key>.errors.jsonl; fix the export and drop it again.',
    );
    add(
      'DigestFailures',
      new Metric({ namespace: METRICS_NAMESPACE, metricName: 'DigestFailures', dimensionsMap: { service: 'digest' }, statistic: 'Sum', period: Duration.hours(1) }),
      1,
      'At least one CSM digest could not be sent through SES (identity not verified, sandbox, or throttling).',
    );
  }
}
