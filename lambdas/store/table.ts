import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { PROFILE_INDEX } from './keys';

/**
 * The table definition the embedded stack creates. The CDK stack (lib/) declares the same keys,
 * index and TTL attribute; test/infra checks that the two agree.
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: PROFILE_INDEX.key, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: PROFILE_INDEX.name,
        KeySchema: [{ AttributeName: PROFILE_INDEX.key, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

export const TTL_ATTRIBUTE = 'ttl';
