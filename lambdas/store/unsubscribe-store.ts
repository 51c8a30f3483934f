import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { normalizeOwner } from '../shared/unsubscribe-token';
import { keys } from './keys';

/**
 * Owners who opted out of digest email (the one-click link in every digest, README "Unsubscribe"):
 * one item per owner, `OWNER#<address>` / `OPTOUT#email`, beside the owner's digest records.
 * `OPTOUT#` sorts after `DIGEST#`, so "the previous digest" query never reads it. The address is the
 * lower-cased one the token carries; the digest looks owners up the same way. Resubscribing
 * overwrites the item rather than deleting it (no Churnwatch function deletes items), which also
 * keeps when and how the owner last changed their mind.
 */

/** The opt-out item of an owner, whatever the case of the address given. */
const optOutKey = (owner: string) => keys.optOut(normalizeOwner(owner));

export interface OptOut {
  owner: string;
  optedOutAt: string;
  /** Where it came from: the one-click POST of a mail client, the confirmation page's button, or the CLI. */
  via: string;
}

export class UnsubscribeStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records the opt-out; a second one keeps the first date (idempotent). */
  async optOut(owner: string, via: string, at = new Date()): Promise<void> {
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...optOutKey(owner),
            type: 'optout',
            status: 'optedOut',
            owner: normalizeOwner(owner),
            optedOutAt: at.toISOString(),
            via,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status <> :out',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':out': 'optedOut' },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /** Ends the opt-out (the page's "Resubscribe"); harmless when there is none. */
  async optIn(owner: string, via: string, at = new Date()): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...optOutKey(owner), type: 'optout', status: 'subscribed', owner: normalizeOwner(owner), optedInAt: at.toISOString(), via },
      }),
    );
  }

  /** The owner's opt-out, when they are opted out now. */
  async get(owner: string): Promise<OptOut | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.tableName, Key: optOutKey(owner), ConsistentRead: true }));
    const item = out.Item;
    return item?.status === 'optedOut'
      ? { owner: String(item.owner), optedOutAt: String(item.optedOutAt), via: String(item.via) }
      : undefined;
  }

  async isOptedOut(owner: string): Promise<boolean> {
    return (await this.get(owner)) !== undefined;
  }
}
