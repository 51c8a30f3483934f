import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Band } from '../domain/forecast/types';
import type { Day } from '../domain/types';
import { keys } from './keys';
import { TTL_ATTRIBUTE } from './table';
import { UpdateExpression } from './update-expression';

/** Digest records expire (DynamoDB TTL) this long after their snapshot date. */
export const DIGEST_TTL_DAYS = 400;

export interface DigestedCustomer {
  customerId: string;
  name: string | null;
  /** Band in that digest ('scheduled' for the save list); absent in records from before bands. */
  band?: Band | 'scheduled';
}

export type DigestStatus = 'sending' | 'sent' | 'failed';

/** Each delivery of a digest is claimed on its own: an email sent does not stop the Slack message, nor the reverse. */
export type DigestChannel = 'email' | 'slack';

const recordKey = (owner: string, asOf: Day, channel: DigestChannel) =>
  channel === 'email' ? keys.digest(owner, asOf) : keys.slackDigest(owner, asOf);

export interface DigestRecord {
  owner: string;
  asOf: Day;
  status: DigestStatus;
  customers: DigestedCustomer[];
  messageId?: string;
  error?: string;
}

/**
 * One record per owner per snapshot date, written before the email is sent, so a retried run never
 * sends the same digest twice.
 */
export class DigestStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The latest digest sent to `owner` before `asOf`, for "what changed since the last digest". */
  async previous(owner: string, asOf: Day): Promise<DigestRecord | undefined> {
    const out = await this.dynamo.send(
      new QueryCommand({
        TableName: this.tableName,
        // Only digest records live under an owner's partition, and DIGEST#<date> sorts by date.
        KeyConditionExpression: 'pk = :pk AND sk < :current',
        FilterExpression: '#status = :sent',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': keys.digest(owner, asOf).pk,
          ':current': keys.digest(owner, asOf).sk,
          ':sent': 'sent',
        },
        ScanIndexForward: false,
      }),
    );
    const item = out.Items?.[0];
    return item ? (item as unknown as DigestRecord) : undefined;
  }

  /**
   * Claims the (owner, asOf) digest. Returns false when it was already sent, or when an earlier attempt
   * was interrupted while sending (whether that mail left is unknown: not sending twice wins).
   */
  async claim(owner: string, asOf: Day, customers: DigestedCustomer[], channel: DigestChannel = 'email'): Promise<boolean> {
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...recordKey(owner, asOf, channel),
            type: channel === 'email' ? 'digest' : 'slack-digest',
            owner,
            asOf,
            status: 'sending',
            customers,
            claimedAt: new Date().toISOString(),
            // DynamoDB TTL removes the record a good while after the "since the last digest" comparison needs it.
            [TTL_ATTRIBUTE]: Math.floor(Date.parse(`${asOf}T00:00:00Z`) / 1000) + DIGEST_TTL_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed' },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async markSent(owner: string, asOf: Day, messageId: string | undefined, channel: DigestChannel = 'email'): Promise<void> {
    await this.setStatus(owner, asOf, channel, 'sent', { messageId: messageId ?? null, sentAt: new Date().toISOString() });
  }

  async markFailed(owner: string, asOf: Day, error: string, channel: DigestChannel = 'email'): Promise<void> {
    await this.setStatus(owner, asOf, channel, 'failed', { error, failedAt: new Date().toISOString() });
  }

  private async setStatus(owner: string, asOf: Day, channel: DigestChannel, status: DigestStatus, extra: Record<string, unknown>) {
    const update = new UpdateExpression().set('status', status);
    for (const [name, value] of Object.entries(extra)) update.set(name, value);
    await this.dynamo.send(new UpdateCommand({ TableName: this.tableName, Key: recordKey(owner, asOf, channel), ...update.build() }));
  }
}
