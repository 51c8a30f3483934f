import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { acknowledge, arnToken } from './nag';

/**
 * Object-level S3 access restricted to key prefixes. Exact actions (no `s3:GetObject*`-style
 * wildcards) and no bucket-level permissions: the handlers address objects by key and never list.
 */
export function grantObjects(role: Role, bucket: IBucket, actions: string[], prefixes: string[], why: string): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions,
      resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
    }),
  );
  for (const prefix of prefixes) {
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::${arnToken(bucket)}/${prefix}*]`,
      `Objects are addressed by key under ${prefix} (${why}); the prefix wildcard is the narrowest ARN that covers keys chosen at run time.`,
    );
  }
}

/** Item read/write on the table and its indexes (the byOwner GSI is queried by the digest). */
export function grantTable(role: Role, table: ITable): void {
  table.grantReadWriteData(role);
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${arnToken(table)}/index/*]`,
    'grantReadWriteData covers the indexes of our own table (byOwner); the index ARN wildcard is limited to this table.',
  );
}
