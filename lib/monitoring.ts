import { ArnFormat, Aws, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { scheduleProblem } from '../lambdas/shared/config';
import { METRICS_NAMESPACE, type FunctionName } from './function';
import { USAGE_AGE_ALARM } from './usage-api';

/** Share of a function's timeout at which its maximum duration alarms. */
export const DURATION_ALARM_SHARE = 0.8;
/** Age of the oldest ingest message that alarms: a first attempt failed (visibility 30 min) or a backlog. */
export const INGEST_AGE_ALARM = Duration.minutes(30);
/** p99 latency of POST /events that alarms, sustained over three 5-minute periods. */
export const API_LATENCY_ALARM_MS = 3_000;

export interface MonitoringProps {
  stage: string;
  removalPolicy: RemovalPolicy;
}

export interface WatchProps {
  functions: Record<FunctionName, { fn: IFunction; timeout: Duration }>;
  deadLetterQueues: { name: string; queue: IQueue; meaning: string }[];
  ingestQueue: IQueue;
  /** The large-file state machine (lib/large-files.ts). */
  largeFiles: IStateMachine;
  /** The snapshot state machine (lib/snapshot.ts). */
  snapshots: IStateMachine;
  /** The usage API's queue, drained by the aggregator. */
  usageQueue: IQueue;
  api: RestApi;
  /** The API's access log group (JSON with `status` and `churnwatchStage`). */
  apiAccessLogs: ILogGroup;
  table: ITable;
  snapshotSchedule: string;
  quarantineAlarmThreshold: number;
  /** Digests also go to Slack (config.slack.secretName): only then does the digest publish SlackDigestFailures. */
  slackDigests: boolean;
}

/**
 * How long the snapshot may go without a run before the heartbeat alarms: a day for a daily (or more
 * frequent) schedule, a week for anything sparser, the rate itself (at least an hour) for rate().
 */
export function heartbeatWindow(schedule: string): Duration {
  if (scheduleProblem(schedule)) return Duration.days(1);
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (rate) {
    const minutes = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day'];
    return minutes <= 60 ? Duration.hours(1) : Duration.days(Math.min(7, Math.ceil(minutes / 1440)));
  }
  const [, , dom, month, dow] = /^cron\((.*)\)$/.exec(schedule)![1]!.trim().split(/\s+/);
  const everyDay = month === '*' && ((dom === '*' && dow === '?') || (dom === '?' && dow === '*'));
  return everyDay ? Duration.days(1) : Duration.days(7);
}

/** The functions API Gateway invokes: ApiLatency and Api5xx watch their duration. */
const API_FUNCTIONS: ReadonlySet<string> = new Set<FunctionName>(['ingest-usage', 'ingest-segment', 'unsubscribe']);

/**
 * Alarms for everything that needs an operator, all notifying one encrypted SNS topic. The topic and
 * its key exist first (the digest's SES events use the key too); `watch` adds the alarms.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  readonly alarms: Alarm[] = [];
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stage = props.stage;
    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS
    // key, whose policy cannot grant it kms:GenerateDataKey.
    this.key = new Key(this, 'TopicKey', {
      description: 'Churnwatch ops alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // Only CloudWatch alarms of this account (confused-deputy protection).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Churnwatch alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
  }

  /** A Churnwatch EMF metric as Powertools emits it: dimensions service and stage together. */
  customMetric(service: FunctionName, metricName: string, statistic: string, period: Duration): Metric {
    return new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, stage: this.stage }, statistic, period });
  }

  private add(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    opts: { comparison?: ComparisonOperator; missing?: TreatMissingData; periods?: number } = {},
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: opts.periods ?? 1,
      datapointsToAlarm: opts.periods ?? 1,
      comparisonOperator: opts.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: opts.missing ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  watch(props: WatchProps): void {
    const fiveMinutes = Duration.minutes(5);
    for (const { name, queue, meaning } of props.deadLetterQueues) {
      this.add(`${name}Depth`, queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }), 1, meaning);
    }
    this.add(
      'IngestOldestMessage',
      props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      INGEST_AGE_ALARM.toSeconds(),
      'An S3 file notification has waited 30 minutes or more: a file failed its first attempt (and is retried), or ingest is backlogged. See the ingest-billing logs.',
    );

    this.add(
      'UsageOldestMessage',
      props.usageQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      USAGE_AGE_ALARM.toSeconds(),
      'Usage events have waited 15 minutes or more in the usage queue: the aggregator is failing or throttled (events are kept 14 days). See the usage-aggregator logs.',
    );

    for (const [name, { fn, timeout }] of Object.entries(props.functions)) {
      const id = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
      // No throttle alarm per function: a throttled invocation is retried by its source, and one that
      // stays throttled already alarms where it hurts (API 5XX, queue age, failed executions, the
      // failure queues, the snapshot heartbeat). Seven alarms saved: $0.70 a month.
      this.add(
        `${id}Errors`,
        fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        1,
        `The ${name} function failed (uncaught error or timeout); see its log group.`,
      );
      // Behind the API a slow function is already the API's p99 latency alarm, and a timeout its 5XX alarm.
      if (API_FUNCTIONS.has(name)) continue;
      this.add(
        `${id}DurationNearTimeout`,
        fn.metricDuration({ period: fiveMinutes, statistic: 'Maximum' }),
        Math.round(timeout.toMilliseconds() * DURATION_ALARM_SHARE),
        `The ${name} function ran for ${DURATION_ALARM_SHARE * 100}% or more of its ${timeout.toSeconds()} s timeout; it will soon time out.`,
      );
    }

    // Both billing paths report the same metrics, each under its own service.
    for (const [service, prefix] of [
      ['ingest-billing', ''],
      ['ingest-large', 'LargeFile'],
    ] as const) {
      this.add(
        `${prefix}QuarantinedRows`,
        this.customMetric(service, 'QuarantinedRows', 'Sum', Duration.hours(1)),
        props.quarantineAlarmThreshold,
        'Billing rows failed validation and were written to quarantine/<key>.errors.jsonl; fix the export and drop it again.',
      );
      this.add(
        `${prefix}FilesFailed`,
        this.customMetric(service, 'FilesFailed', 'Sum', fiveMinutes),
        1,
        'A dropped file could not be read at all and was moved to failed/ (an error report beside it); fix the file and drop it again.',
      );
    }
    this.add(
      'LargeFileExecutionsFailed',
      props.largeFiles.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
      1,
      'A large-file execution failed after its retries (DynamoDB, S3 or the function kept failing); the export was moved to failed/ with a report. See the execution in the Step Functions console and the ingest-large logs, then drop the file again.',
    );
    this.add(
      'LargeFileExecutionsTimedOut',
      props.largeFiles.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
      1,
      'A large-file execution ran past its 6-hour timeout: its ranges did not finish (throttling?). The file has no FILE# record; drop it again once the cause is fixed.',
    );
    // A snapshot that runs too long is caught by the heartbeat below (no CustomersScanned for a day).
    this.add(
      'SnapshotExecutionsFailed',
      props.snapshots.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
      1,
      'A snapshot execution failed after its retries: no snapshot, report or digest for that day; the previous ones stay. See the failed step in the Step Functions console and the snapshot logs, then start an execution with {"asOf": "YYYY-MM-DD"}.',
    );
    this.add(
      'DigestFailures',
      this.customMetric('digest', 'DigestFailures', 'Sum', Duration.hours(1)),
      1,
      'At least one CSM digest could not be sent through SES (identity not verified, sandbox, or throttling).',
    );
    this.add(
      'RecipientsRefused',
      this.customMetric('digest', 'RecipientsRefused', 'Sum', Duration.hours(1)),
      1,
      'A customer owner outside digest.allowedRecipientDomains was not mailed; their customers went to digest.fallbackTo. Fix the owner_email in billing or the allowlist.',
    );
    if (props.slackDigests) {
      this.add(
        'SlackDigestFailures',
        this.customMetric('digest', 'SlackDigestFailures', 'Sum', Duration.hours(1)),
        1,
        'At least one Slack digest could not be posted (webhook revoked or archived channel, invalid secret, Slack errors after retries); the email went out regardless. The digest log names the owner and what Slack answered.',
      );
    }

    const window = heartbeatWindow(props.snapshotSchedule);
    const period = window.toHours() <= 1 ? Duration.hours(1) : Duration.days(1);
    this.add(
      'SnapshotHeartbeat',
      this.customMetric('snapshot', 'CustomersScanned', 'SampleCount', period),
      1,
      `No snapshot completed for ${window.toHumanString()} (schedule ${props.snapshotSchedule}): the rule is disabled, the function fails, or it was never invoked.`,
      {
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        missing: TreatMissingData.BREACHING,
        periods: Math.max(1, Math.round(window.toSeconds() / period.toSeconds())),
      },
    );

    this.add(
      'Api5xx',
      props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      1,
      'POST /events answered 5XX (function error, timeout or integration failure); see the ingest-usage logs.',
    );
    this.add(
      'ApiLatency',
      props.api.metricLatency({ period: fiveMinutes, statistic: 'p99' }),
      API_LATENCY_ALARM_MS,
      `POST /events p99 latency at or above ${API_LATENCY_ALARM_MS} ms for 15 minutes (function timeout 10 s): DynamoDB throttling or contention.`,
      { periods: 3 },
    );
    // REST APIs publish no 429 metric: count them from the access logs.
    new MetricFilter(this, 'Api429Filter', {
      logGroup: props.apiAccessLogs,
      filterPattern: FilterPattern.numberValue('$.status', '=', 429),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'ApiThrottled',
      metricValue: '1',
      dimensions: { stage: '$.churnwatchStage' },
    });
    this.add(
      'Api429',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ApiThrottled',
        dimensionsMap: { stage: this.stage },
        statistic: 'Sum',
        period: fiveMinutes,
      }),
      1,
      'POST /events answered 429: a caller exceeded the usage plan (rate, burst or daily quota). Check the caller, or raise churnwatch.api.',
    );

    for (const metricName of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      this.add(
        `Table${metricName}`,
        props.table.metric(metricName, { period: fiveMinutes, statistic: 'Sum' }),
        1,
        `DynamoDB ${metricName} on the table (a hot partition even on on-demand); the SDK retried them, sustained throttling slows ingest and the snapshot.`,
      );
    }
  }
}
