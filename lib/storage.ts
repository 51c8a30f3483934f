import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LEGACY_OWNER_INDEX, PROFILE_INDEX } from '../lambdas/store/keys';
import { PREFIX } from '../lambdas/shared/layout';
import { TTL_ATTRIBUTE } from '../lambdas/store/table';
import { acknowledge } from './nag';

/** Days a large-file execution's staged objects are kept: long enough to inspect a failed one. */
export const STAGING_EXPIRATION_DAYS = 3;

export interface StorageProps {
  removalPolicy: RemovalPolicy;
  /** Deletion protection on the table (on for the prod stage). */
  deletionProtection: boolean;
  /** Keep the former `byOwner` index for one deploy (README, "Upgrading a deployed stack"). */
  keepLegacyOwnerIndex?: boolean;
}

/** The single DynamoDB table (docs/data-model.md) and the data bucket with its access-log bucket. */
export class Storage extends Construct {
  readonly table: Table;
  readonly bucket: Bucket;
  readonly accessLogBucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: PROFILE_INDEX.name,
      partitionKey: { name: PROFILE_INDEX.key, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // CloudFormation adds or removes one index per update, not both: an upgrade from a stack with the
    // owner index deploys once with it kept (the new index builds), then once without.
    if (props.keepLegacyOwnerIndex) {
      this.table.addGlobalSecondaryIndex({
        indexName: LEGACY_OWNER_INDEX.name,
        partitionKey: { name: LEGACY_OWNER_INDEX.partitionKey, type: AttributeType.STRING },
        sortKey: { name: LEGACY_OWNER_INDEX.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      // S3 server access logging delivers with the bucket-owner-enforced setting and a bucket policy.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: props.removalPolicy,
    });
    acknowledge(
      this.accessLogBucket,
      'AwsSolutions-S1',
      'This is the server access log bucket of the data bucket; logging it into itself would loop.',
    );

    this.bucket = new Bucket(this, 'Data', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'data/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          id: 'exports-to-cheaper-storage',
          prefix: PREFIX.exports,
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: StorageClass.GLACIER, transitionAfter: Duration.days(180) },
          ],
        },
        // Versioning protects against overwrites; old versions are not kept forever. quarantine/ and
        // failed/ current objects have no expiration: they are the audit trail of rejected input.
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // Every large-file step can be run again from what it staged, so nothing deletes it on success.
        {
          id: 'expire-staging',
          prefix: PREFIX.staging,
          expiration: Duration.days(STAGING_EXPIRATION_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
  }
}
