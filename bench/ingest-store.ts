/**
 * Billing ingest through the real handler on the embedded stack: a generated canonical CSV dropped
 * into S3, delivered as an SQS-wrapped notification, folded into DynamoDB Local. Reports the DynamoDB
 * write requests per 1,000 rows for a new file and for the same file dropped again (which must
 * write no ledger item), counted by an SDK middleware on every request the handler sends.
 *
 *   npx tsx bench/ingest-store.ts [--quick]
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { createBillingIngestHandler } from '../lambdas/ingest-billing/handler';
import type { FileReport } from '../lambdas/ingest-billing/ingest-file';
import { parseConfig } from '../lambdas/shared/config';
import { startEmbeddedStack } from '../local/stack';
import { formatTable, isMain, recordResults, time, type BenchModule, type Figure } from './harness';

const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

function canonicalCsv(rows: number, customers: number): string {
  const out = ['invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status'];
  for (let i = 0; i < rows; i++) {
    const c = i % customers;
    const month = Math.floor(i / customers) % 24;
    const y = 2025 + Math.floor(month / 12);
    const m = (month % 12) + 1;
    const start = `${y}-${String(m).padStart(2, '0')}-01`;
    const end = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
    out.push(`in_${i},1,cust_${c},sub_${c},pro,${(49 + (c % 7) * 50).toFixed(2)},USD,${start},${end},paid`);
  }
  return out.join('\n') + '\n';
}

export const ingestStoreBench: BenchModule = {
  name: 'ingest-store',
  async run({ quick }) {
    const rows = quick ? 5_000 : 50_000;
    const customers = Math.max(1, Math.floor(rows / 24));
    const stack = await startEmbeddedStack({ ses: false });
    try {
      const requests: Record<string, number> = {};
      stack.clients.dynamo.middlewareStack.add(
        (next) => async (args) => {
          const target = (args.request as { headers?: Record<string, string> }).headers?.['x-amz-target'] ?? 'unknown';
          const op = target.split('.').pop()!;
          requests[op] = (requests[op] ?? 0) + 1;
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'low', name: 'benchCountRequests' },
      );
      const writes = () => Object.entries(requests).reduce((n, [op, c]) => (WRITE_OPS.has(op) ? n + c : n), 0);
      const handler = createBillingIngestHandler({
        dynamo: stack.clients.dynamo,
        s3: stack.clients.s3,
        tableName: stack.tableName,
        config: parseConfig({}),
      });
      stack.subscribe((event: SQSEvent) => handler(event, { functionName: 'bench', awsRequestId: 'b' } as Context));
      const body = canonicalCsv(rows, customers);
      const drop = async () => {
        const before = writes();
        const { seconds } = await time(async () => {
          await stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.bucketName, Key: 'exports/bench.csv', Body: body }));
          await stack.queue.drain();
        });
        return { seconds, writes: writes() - before };
      };
      const first = await drop();
      const again = await drop();
      const file = await stack.clients.dynamo.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'FILE#exports/bench.csv' },
        }),
      );
      const last = file.Items?.[0] as unknown as FileReport;
      const perThousand = (n: number) => (n * 1000) / rows;
      return [
        {
          name: 'ingest.storeRowsPerSec',
          value: rows / first.seconds,
          unit: 'rows/s',
          note: `${rows} rows, ${customers} customers, handler + DynamoDB Local`,
        },
        {
          name: 'ingest.writesPer1000Rows',
          value: perThousand(first.writes),
          unit: 'requests',
          note: 'new file (target ≪ 1000: BatchWriteItem + one profile update per customer)',
        },
        {
          name: 'ingest.redropWritesPer1000Rows',
          value: perThousand(again.writes),
          unit: 'requests',
          note: 'same file again: no ledger item; one profile update per customer (newer version times) and the file record',
        },
        {
          name: 'ingest.redropLedgerWrites',
          value: last.ledgerItemsWritten,
          unit: 'items',
          note: 'ledger items written by the re-drop (target 0)',
        },
      ] satisfies Figure[];
    } finally {
      await stack.stop();
    }
  },
};

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const figures = await ingestStoreBench.run({ quick });
  recordResults(figures);
  console.log(formatTable(figures));
}
