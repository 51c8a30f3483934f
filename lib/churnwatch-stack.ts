import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ChurnwatchSettings } from './context';
import { Digest } from './digest';
import { BillingIngest } from './ingest';
import { Monitoring } from './monitoring';
import { SnapshotStage } from './snapshot';
import { Storage } from './storage';
import { UsageApi } from './usage-api';

export interface ChurnwatchStackProps extends StackProps {
  settings: ChurnwatchSettings;
}

/** The whole pipeline: storage, then one construct per stage, then the alarms watching them. */
export class ChurnwatchStack extends Stack {
  readonly storage: Storage;
  readonly ingest: BillingIngest;
  readonly usageApi: UsageApi;
  readonly digest: Digest;
  readonly snapshot: SnapshotStage;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ChurnwatchStackProps) {
    super(scope, id, props);
    const { deploy, config } = props.settings;
    const removalPolicy = deploy.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = deploy.logRetentionDays as RetentionDays;
    Tags.of(this).add('churnwatch:stage', deploy.stage);

    this.storage = new Storage(this, 'Storage', { removalPolicy, deletionProtection: deploy.stage === 'prod' });
    const { table, bucket } = this.storage;
    const fn = {
      config,
      tableName: table.tableName,
      bucketName: bucket.bucketName,
      logRetention,
      removalPolicy,
      tracing: deploy.tracing,
      bundleAwsSdk: deploy.bundleAwsSdk,
    };

    this.ingest = new BillingIngest(this, 'Ingest', { table, bucket, fn });
    this.usageApi = new UsageApi(this, 'UsageApi', { table, api: deploy.api, tracing: deploy.tracing, logRetention, removalPolicy, fn });
    this.digest = new Digest(this, 'Digest', { table, bucket, config, fn });
    this.snapshot = new SnapshotStage(this, 'Snapshot', {
      table,
      bucket,
      digestFunction: this.digest.function.fn,
      schedule: config.digest.schedule,
      fn,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: {
        'ingest-billing': this.ingest.function.fn,
        'ingest-usage': this.usageApi.function.fn,
        snapshot: this.snapshot.function.fn,
        digest: this.digest.function.fn,
      },
      deadLetterQueues: [
        { name: 'IngestDlq', queue: this.ingest.deadLetterQueue, meaning: 'An S3 file notification failed 5 times; the file was not ingested. Inspect the message, fix, redrive.' },
        { name: 'DigestFailures', queue: this.digest.failures, meaning: 'A digest run failed after its retries; CSMs did not get their email.' },
        { name: 'SnapshotFailures', queue: this.snapshot.failures, meaning: 'A scheduled snapshot failed after its retries; no snapshot or digest for that day.' },
      ],
      quarantineAlarmThreshold: deploy.quarantineAlarmThreshold,
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.usageApi.api.urlForPath('/events'), description: 'POST usage events here (header x-api-key)' });
    new CfnOutput(this, 'ApiKeyId', { value: this.usageApi.apiKey.keyId, description: 'aws apigateway get-api-key --api-key <id> --include-value' });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Drop billing exports under exports/' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe ops to this topic' });
  }
}
