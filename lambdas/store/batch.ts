import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoff, forEachLimit } from '../shared/retry';

/** DynamoDB's own limits per request. */
const WRITE_BATCH = 25;
const GET_BATCH = 100;
const MAX_ROUNDS = 10;

export type Item = Record<string, unknown>;

/**
 * Puts items with BatchWriteItem, 25 per request, retrying UnprocessedItems with backoff until all are
 * written (or throwing, so the message is redelivered and nothing is lost). Returns the request count.
 */
export async function batchPut(dynamo: DynamoDBDocumentClient, tableName: string, items: Item[], concurrency = 4): Promise<number> {
  let requests = 0;
  const chunks: Item[][] = [];
  for (let i = 0; i < items.length; i += WRITE_BATCH) chunks.push(items.slice(i, i + WRITE_BATCH));
  const writeChunk = async (chunk: Item[]) => {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after ${round} rounds`);
      if (round > 0) await backoff(round);
      requests++;
      const out = await dynamo.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  };
  await forEachLimit(chunks, concurrency, writeChunk);
  return requests;
}

export interface BatchGetOptions {
  projection?: { expression: string; names: Record<string, string> };
  /** Strongly consistent (the default: ingest reads what it is about to update) or, at half the price, eventually consistent. */
  consistentRead?: boolean;
}

/**
 * Reads items by key with BatchGetItem, 100 keys per request, retrying UnprocessedKeys. Returns the
 * read units DynamoDB reported beside the items.
 */
export async function batchGet(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: { pk: string; sk: string }[],
  opts: BatchGetOptions = {},
): Promise<{ items: Item[]; requests: number; readUnits: number }> {
  const { projection, consistentRead = true } = opts;
  const items: Item[] = [];
  let requests = 0;
  let readUnits = 0;
  for (let i = 0; i < itemKeys.length; i += GET_BATCH) {
    let pending: Record<string, unknown>[] = itemKeys.slice(i, i + GET_BATCH);
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${round} rounds`);
      if (round > 0) await backoff(round);
      requests++;
      const out = await dynamo.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: pending,
              ConsistentRead: consistentRead,
              ...(projection ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names } : {}),
            },
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      readUnits += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      items.push(...((out.Responses?.[tableName] ?? []) as Item[]));
      pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return { items, requests, readUnits };
}
