import { CfnOutput, RemovalPolicy, Stack, Tags, type Duration, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ChurnwatchSettings } from './context';
import { Digest } from './digest';
import { BillingIngest } from './ingest';
import { LargeFileIngest } from './large-files';
import { Monitoring } from './monitoring';
import { SnapshotStage } from './snapshot';
import { Storage } from './storage';
import { SegmentApi } from './segment-api';
import { Unsubscribe } from './unsubscribe';
import { UsageApi } from './usage-api';

export interface ChurnwatchStackProps extends StackProps {
  settings: ChurnwatchSettings;
}

/** The whole pipeline: storage, then one construct per stage, then the alarms watching them. */
export class ChurnwatchStack extends Stack {
  readonly storage: Storage;
  readonly ingest: BillingIngest;
  readonly largeFiles: LargeFileIngest;
  readonly usageApi: UsageApi;
  readonly segmentApi: SegmentApi;
  readonly unsubscribe: Unsubscribe;
  readonly digest: Digest;
  readonly snapshot: SnapshotStage;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ChurnwatchStackProps) {
    super(scope, id, props);
    const { deploy } = props.settings;
    const removalPolicy = deploy.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = deploy.logRetentionDays as RetentionDays;
    Tags.of(this).add('churnwatch:stage', deploy.stage);

    this.storage = new Storage(this, 'Storage', {
      removalPolicy,
      deletionProtection: deploy.deletionProtection,
      keepLegacyOwnerIndex: deploy.keepLegacyOwnerIndex,
    });
    const { table, bucket } = this.storage;
    // The digest sends through a configuration set: the operator's, or one this stack creates.
    const configurationSet = props.settings.config.digest.configurationSet ?? `churnwatch-${deploy.stage}-digest`;
    const config = { ...props.settings.config, digest: { ...props.settings.config.digest, configurationSet } };
    const fn = {
      config,
      tableName: table.tableName,
      bucketName: bucket.bucketName,
      stage: deploy.stage,
      logRetention,
      removalPolicy,
      tracing: deploy.tracing,
      bundleAwsSdk: deploy.bundleAwsSdk,
    };

    this.monitoring = new Monitoring(this, 'Monitoring', { stage: deploy.stage, removalPolicy });
    this.largeFiles = new LargeFileIngest(this, 'LargeFiles', { table, bucket, fn });
    this.ingest = new BillingIngest(this, 'Ingest', {
      table,
      bucket,
      fn,
      maxConcurrency: deploy.ingestMaxConcurrency,
      largeFiles: this.largeFiles.stateMachine,
    });
    this.usageApi = new UsageApi(this, 'UsageApi', {
      table,
      bucket,
      api: deploy.api,
      tracing: deploy.tracing,
      traceRate: deploy.apiTraceRate,
      logRetention,
      removalPolicy,
      stage: deploy.stage,
      reservedConcurrency: deploy.apiReservedConcurrency,
      fn,
    });
    this.segmentApi = new SegmentApi(this, 'SegmentApi', {
      api: this.usageApi.api,
      table,
      usageQueue: this.usageApi.queue,
      stage: deploy.stage,
      fn,
    });
    this.unsubscribe = new Unsubscribe(this, 'Unsubscribe', { api: this.usageApi.api, table, stage: deploy.stage, fn });
    this.digest = new Digest(this, 'Digest', {
      table,
      bucket,
      config,
      createConfigurationSet: props.settings.config.digest.configurationSet === undefined,
      key: this.monitoring.key,
      unsubscribe: this.unsubscribe,
      fn,
    });
    this.snapshot = new SnapshotStage(this, 'Snapshot', {
      table,
      bucket,
      digestFunction: this.digest.function.fn,
      schedule: config.snapshot.schedule,
      fn,
    });
    const watched = (f: { fn: IFunction; timeout: Duration }) => ({ fn: f.fn, timeout: f.timeout });
    this.monitoring.watch({
      functions: {
        'ingest-billing': watched(this.ingest.function),
        'ingest-large': watched(this.largeFiles.function),
        'ingest-usage': watched(this.usageApi.function),
        'ingest-segment': watched(this.segmentApi.function),
        'usage-aggregator': watched(this.usageApi.aggregator),
        snapshot: watched(this.snapshot.function),
        digest: watched(this.digest.function),
        unsubscribe: watched(this.unsubscribe.function),
      },
      deadLetterQueues: [
        {
          name: 'IngestDlq',
          queue: this.ingest.deadLetterQueue,
          meaning: 'An S3 file notification failed 5 times; the file was not ingested. Inspect the message, fix, redrive.',
        },
        {
          name: 'UsageDlq',
          queue: this.usageApi.deadLetterQueue,
          meaning:
            'A usage message failed the aggregator 5 times; its events are not counted. Inspect the message and the usage-aggregator logs, fix, redrive.',
        },
        {
          name: 'DigestFailures',
          queue: this.digest.failures,
          meaning: 'A digest run failed after its retries; CSMs did not get their email.',
        },
        // The snapshot's failure queue (a run the schedule could not start) has no alarm of its own:
        // a day without a snapshot trips SnapshotHeartbeat whatever the cause, and a run that
        // started and failed trips SnapshotExecutionsFailed.
      ],
      ingestQueue: this.ingest.queue,
      largeFiles: this.largeFiles.stateMachine,
      snapshots: this.snapshot.stateMachine,
      usageQueue: this.usageApi.queue,
      api: this.usageApi.api,
      apiAccessLogs: this.usageApi.accessLogs,
      table,
      snapshotSchedule: config.snapshot.schedule,
      quarantineAlarmThreshold: deploy.quarantineAlarmThreshold,
      slackDigests: config.slack.secretName !== undefined,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.usageApi.api.urlForPath('/events'),
      description: 'POST usage events here (header x-api-key)',
    });
    new CfnOutput(this, 'SegmentApiUrl', {
      value: this.usageApi.api.urlForPath('/v1'),
      description: 'Segment/RudderStack API host: POST /v1/batch, /v1/track, /v1/group, /v1/identify, /v1/webhook',
    });
    new CfnOutput(this, 'SegmentWriteKeysSecret', {
      value: this.segmentApi.writeKeys.secretName,
      description: 'aws secretsmanager get-secret-value --secret-id <name>: the write key',
    });
    new CfnOutput(this, 'SegmentWebhookSecret', {
      value: this.segmentApi.webhookSecret.secretName,
      description: "The Webhook destination's shared secret",
    });
    new CfnOutput(this, 'UnsubscribeUrl', {
      value: this.unsubscribe.url,
      description: 'The one-click unsubscribe endpoint every digest email links to (List-Unsubscribe)',
    });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.usageApi.apiKey.keyId,
      description: 'aws apigateway get-api-key --api-key <id> --include-value',
    });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Drop billing exports under exports/' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'SnapshotStateMachineArn', {
      value: this.snapshot.stateMachine.stateMachineArn,
      description: `Run a snapshot now: aws stepfunctions start-execution --state-machine-arn <arn> --input '{"asOf":"YYYY-MM-DD"}'`,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe ops to this topic' });
    if (this.digest.recipientEvents) {
      new CfnOutput(this, 'RecipientEventsTopicArn', {
        value: this.digest.recipientEvents.topicArn,
        description: 'SES bounces and complaints of digest mail',
      });
    }
    new CfnOutput(this, 'ConfigurationSetName', { value: configurationSet, description: 'SES configuration set the digest sends through' });
  }
}
