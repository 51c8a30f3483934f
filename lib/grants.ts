import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PROFILE_INDEX } from '../lambdas/store/keys';
import type { FunctionName } from './function';
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

/**
 * The DynamoDB actions each function's code really sends, in one place (test/infra/grants.test.ts
 * derives the same sets from the bundled code and fails when they drift). TransactWriteItems has no
 * IAM action of its own: each Update/Put/ConditionCheck inside it is authorised as UpdateItem/PutItem/
 * ConditionCheckItem, so the usage path needs UpdateItem only (it sends no ConditionCheck).
 */
export const TABLE_ACCESS: Record<FunctionName, { table: string[]; profileIndex?: string[] }> = {
  // The usage API validates and enqueues, the aggregator appends to S3: neither touches the table.
  'ingest-usage': { table: [] },
  'usage-aggregator': { table: [] },
  // Segment/RudderStack intake: events go to the usage queue like /events; in the table only group links
  // (Update, BatchGet) and group traits as customer attributes (ledger-store: Get, BatchWrite).
  'ingest-segment': { table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  // ledger-store (Get, Update, batchGet/batchPut), file records (Put), and events/ files through usage-store.
  'ingest-billing': {
    table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  // The large-file steps: the same ledger-store writes as ingest-billing, and the FILE# record (Put).
  'ingest-large': {
    table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  },
  // DescribeTable sizes the parallel scan of the profiles index, whose keys BatchGetItem reads the
  // profiles by; the snapshot and MODEL items are Get/Put; the previous snapshot and the monthly refit's DAY# history are Queries. The usage
  // fold before each run is usage-store's: BatchGetItem (DAY#, SEEN#, profile) and transactions of Updates.
  snapshot: {
    table: [
      'dynamodb:BatchGetItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ],
    profileIndex: ['dynamodb:Scan'],
  },
  // digest-store: the previous digest (Query), the claim (conditional Put) and the status (Update); unsubscribe-store: the owner's opt-out (Get).
  digest: { table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] },
  // unsubscribe-store: the page reads the opt-out (Get); the POSTs write it (Put, never Delete: resubscribing overwrites it).
  unsubscribe: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
};

/**
 * Least-privilege item access for one function: exactly the actions of TABLE_ACCESS, on the table
 * ARN, and on the profiles index ARN only where the function reads the index.
 */
export function grantTable(role: Role, table: ITable, fn: FunctionName): void {
  const access = TABLE_ACCESS[fn];
  if (access.table.length === 0) return;
  role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: access.table, resources: [table.tableArn] }));
  if (access.profileIndex) {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: access.profileIndex,
        resources: [`${table.tableArn}/index/${PROFILE_INDEX.name}`],
      }),
    );
  }
}
