import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GroupLink } from '../formats/segment';
import { forEachLimit } from '../shared/retry';
import { batchGet } from './batch';
import { keys } from './keys';
import { applyLedgerChanges, type LedgerChange } from './ledger-store';
import { TTL_ATTRIBUTE } from './table';

/**
 * User → account links from Segment `group` calls: one small item per user (`SEGUSER#<userId>`),
 * so a later track call without a groupId is counted for the user's account. A link only replaces
 * an older one (by call time), so a late retry of an old group call cannot move a user back.
 */

/** A user not seen in a group call for this long loses the link (DynamoDB TTL). */
const LINK_TTL_DAYS = 400;

/** The latest link of each user among `links`. */
export function latestLinks(links: readonly GroupLink[]): Map<string, GroupLink> {
  const latest = new Map<string, GroupLink>();
  for (const link of links) {
    const seen = latest.get(link.userId);
    if (!seen || link.at >= seen.at) latest.set(link.userId, link);
  }
  return latest;
}

export async function storeGroupLinks(dynamo: DynamoDBDocumentClient, tableName: string, links: readonly GroupLink[]): Promise<void> {
  const latest = [...latestLinks(links).values()];
  await forEachLimit(latest, 8, async (link) => {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.groupLink(link.userId),
          UpdateExpression: 'SET groupId = :g, linkedAt = :at, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(linkedAt) OR linkedAt <= :at',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':g': link.groupId,
            ':at': link.at,
            ':ttl': Math.floor(link.at / 1000) + LINK_TTL_DAYS * 86_400,
          },
        }),
      );
    } catch (err) {
      // A newer group call is already stored: this one changes nothing.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  });
  // Name and owner from group traits are customer attributes, merged as a billing export's are (latest wins per field).
  const byCustomer = new Map<string, LedgerChange[]>();
  links.forEach((link, line) => {
    if (link.name === undefined && link.ownerEmail === undefined) return;
    const attributes = {
      ...(link.name !== undefined ? { name: link.name } : {}),
      ...(link.ownerEmail !== undefined ? { ownerEmail: link.ownerEmail } : {}),
    };
    const changes = byCustomer.get(link.groupId) ?? [];
    changes.push({ kind: 'attributes', attributes, at: link.at, source: { key: 'segment:group', line } });
    byCustomer.set(link.groupId, changes);
  });
  if (byCustomer.size > 0) await applyLedgerChanges(dynamo, tableName, byCustomer);
}

/** The stored account of each user that has one. */
export async function readGroupLinks(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(userIds)];
  const links = new Map<string, string>();
  if (unique.length === 0) return links;
  const { items } = await batchGet(
    dynamo,
    tableName,
    unique.map((id) => keys.groupLink(id)),
    {
      projection: { expression: '#pk, #g', names: { '#pk': 'pk', '#g': 'groupId' } },
    },
  );
  const prefix = keys.groupLink('').pk;
  for (const item of items) {
    if (typeof item.groupId === 'string') links.set((item.pk as string).slice(prefix.length), item.groupId);
  }
  return links;
}
