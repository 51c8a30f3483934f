import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import type { Snapshot } from '../../../lambdas/domain/types';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { parseConfig } from '../../../lambdas/shared/config';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { keys } from '../../../lambdas/store/keys';
import { decodeLedger } from '../../../lambdas/store/ledger-state';
import { expectClose } from '../../support/expect-close';
import { referenceTimelines } from '../../support/reference-timelines';
import { stackDeps, useEmbeddedStack } from '../../support/stack';
import { readJson } from '../../../local/pipeline';

const local = useEmbeddedStack({ ses: false });
const config = parseConfig({});
let dir: string;

/** Ten years of monthly invoices with 20 seat-style lines each: 2,400 lines, more than a profile keeps. */
function longHistory(): string {
  const rows = ['invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status'];
  for (let i = 0; i < 130; i++) {
    const y = 2016 + Math.floor(i / 12);
    const m = (i % 12) + 1;
    const start = `${y}-${String(m).padStart(2, '0')}-01`;
    const end = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
    for (let k = 0; k < 20; k++)
      rows.push(
        `in_whale_${String(i).padStart(4, '0')}_long_invoice_reference,seat_${k}_line_item,whale,sub_whale_main,enterprise,${50 + (i % 7)},USD,${start},${end},paid`,
      );
  }
  rows.push('in_minnow_1,1,minnow,sub_m,starter,49,USD,2026-10-01,2026-11-01,paid');
  return rows.join('\n') + '\n';
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'churnwatch-long-'));
  await writeFile(join(dir, 'history.csv'), longHistory());
  const { dynamo, s3 } = local.stack.clients;
  const ingest = createBillingIngestHandler({ dynamo, s3, tableName: local.stack.tableName, config });
  local.stack.subscribe((event: SQSEvent) => ingest(event, {} as Context));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function drop() {
  await local.stack.clients.s3.send(
    new PutObjectCommand({ Bucket: local.stack.bucketName, Key: 'exports/history.csv', Body: longHistory() }),
  );
  await local.stack.queue.drain();
  const out = await local.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: local.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.file('exports/history.csv', '').pk },
    }),
  );
  return out.Items![0]!;
}

describe('a customer with a long billing history', () => {
  it('is ingested whole: settled lines are archived out of the profile, every LINE# item is kept', async () => {
    const file = await drop();
    expect(file).toMatchObject({ rows: 2_601, ingested: 2_601, quarantined: 0 });
    const profile = (
      await local.stack.clients.dynamo.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.profile('whale') }))
    ).Item!;
    const ledger = decodeLedger(profile.ledger as string);
    expect(ledger.lines.size).toBeLessThan(2_600);
    expect(ledger.archive.firstActiveDay).toBe('2016-01-01');
    expect(JSON.stringify(profile).length).toBeLessThan(200_000);
  });

  it('gives the snapshot the engine computes from the full history', async () => {
    const asOf = '2026-10-20';
    const run = await runSnapshot({ ...stackDeps(local.stack), config }, asOf);
    // One customer, no churn: the refit keeps the default weights, with the training rows it saw.
    expect(run.model?.model.kind).toBe('default');
    const forecast = { model: run.model!.model, risk: config.risk, previousBands: new Map() };
    const expected = computeSnapshot(await referenceTimelines([join(dir, 'history.csv')], [], config), config, asOf, forecast);
    expectClose(await readJson<Snapshot>(local.stack, run.reportKeys.json), expected);
    expect(run.summary.byLifecycle.mature?.customersStart).toBe(1);
  });

  it('writes no ledger item when the same export is dropped again', async () => {
    const file = await drop();
    expect(file).toMatchObject({ rows: 2_601, unchanged: 2_601, ledgerItemsWritten: 0 });
  });
});
