import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * DynamoDB traffic of a bench run, counted on the SDK client: every HTTP request (after the retry
 * middleware, so each attempt) and the capacity units DynamoDB reports for it (ReturnConsumedCapacity
 * is asked of every request that accepts it; DynamoDB Local computes the units from item sizes the
 * way the service does, GSI writes and the doubled transactional rate included).
 */
export interface DynamoCounters {
  requests: Record<string, number>;
  /** Requests DynamoDB refused (cancelled transactions: a concurrent batch wrote the customer first). */
  failed: Record<string, number>;
  writeUnits: number;
  readUnits: number;
  /** Items written, a transaction's actions counted one by one. */
  itemsWritten: number;
}

export const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export function newDynamoCounters(): DynamoCounters {
  return { requests: {}, failed: {}, writeUnits: 0, readUnits: 0, itemsWritten: 0 };
}

type Capacity = { CapacityUnits?: number };

/** Counts into whatever `counters()` returns at the time of each request (so a bench can switch phases). */
export function instrumentDynamo(dynamo: DynamoDBDocumentClient, counters: () => DynamoCounters): void {
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      const op = (request.headers?.['x-amz-target'] ?? 'unknown').split('.').pop()!;
      const c = counters();
      c.requests[op] = (c.requests[op] ?? 0) + 1;
      try {
        return await next(args);
      } catch (err) {
        c.failed[op] = (c.failed[op] ?? 0) + 1;
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCountRequests' },
  );
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const isWrite =
        'TransactItems' in input || 'UpdateExpression' in input || 'Item' in input || ('RequestItems' in input && isBatchWrite(input));
      const isRead =
        !isWrite &&
        ('Key' in input || 'RequestItems' in input || 'KeyConditionExpression' in input || ('TableName' in input && 'Segment' in input));
      if ((isWrite || isRead) && input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const out = result.output as { ConsumedCapacity?: Capacity[] | Capacity };
      const list = Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : [out.ConsumedCapacity];
      const units = list.reduce((n, cc) => n + (cc?.CapacityUnits ?? 0), 0);
      const c = counters();
      if (isWrite) {
        c.writeUnits += units;
        c.itemsWritten += Array.isArray(input.TransactItems) ? input.TransactItems.length : 1;
      } else if (isRead) c.readUnits += units;
      return result;
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
}

function isBatchWrite(input: Record<string, unknown>): boolean {
  const first = Object.values(input.RequestItems as Record<string, unknown>)[0];
  return Array.isArray(first);
}

export function sumOps(c: DynamoCounters, which: 'writes' | 'reads', from: Record<string, number> = c.requests): number {
  return Object.entries(from)
    .filter(([op]) => WRITE_OPS.has(op) === (which === 'writes'))
    .reduce((n, [, k]) => n + k, 0);
}
