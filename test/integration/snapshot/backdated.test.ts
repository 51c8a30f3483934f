import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../../lambdas/domain/dates';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import type { Snapshot } from '../../../lambdas/domain/types';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { parseConfig } from '../../../lambdas/shared/config';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { ingestUsageEvents } from '../../../lambdas/store/usage-store';
import { expectClose } from '../../support/expect-close';
import { referenceTimelines } from '../../support/reference-timelines';
import { stackDeps, useEmbeddedStack } from '../../support/stack';
import { readJson } from '../../../local/pipeline';

const local = useEmbeddedStack({ ses: false });
const config = parseConfig({ coreFeatures: ['reports'] });
const NOW = new Date('2026-11-20T00:00:00Z');
let dir: string;

const invoices = [
  'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status',
  ...Array.from({ length: 10 }, (_, i) => {
    const m = String(i + 1).padStart(2, '0');
    const n = String(i + 2).padStart(2, '0');
    return [
      `in_old_${m},1,cust-old,sub_o,pro,300,USD,2026-${m}-01,2026-${n}-01,paid`,
      `in_new_${m},1,cust-new,sub_n,pro,100,USD,2026-${m}-01,2026-${n}-01,paid`,
    ];
  }).flat(),
].join('\n');

/** Daily use in March and April, then a single event in October: the profile keeps only recent days. */
const events = [
  ...Array.from({ length: 61 }, (_, i) => ({
    eventId: `o${i}`,
    customerId: 'cust-old',
    feature: i % 2 ? 'reports' : 'export',
    timestamp: `${addDays('2026-03-01', i)}T10:00:00Z`,
  })),
  ...Array.from({ length: 20 }, (_, i) => ({
    eventId: `n${i}`,
    customerId: 'cust-new',
    feature: 'reports',
    timestamp: `${addDays('2026-03-01', i)}T10:00:00Z`,
  })),
  { eventId: 'o-late', customerId: 'cust-old', feature: 'reports', timestamp: '2026-10-15T10:00:00Z' },
  { eventId: 'n-late', customerId: 'cust-new', feature: 'reports', timestamp: '2026-10-16T10:00:00Z' },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'churnwatch-backdated-'));
  await writeFile(join(dir, 'invoices.csv'), invoices);
  await writeFile(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n'));
  const { dynamo, s3 } = local.stack.clients;
  const ingest = createBillingIngestHandler({ dynamo, s3, tableName: local.stack.tableName, config });
  local.stack.subscribe((event: SQSEvent) => ingest(event, {} as Context));
  await s3.send(new PutObjectCommand({ Bucket: local.stack.bucketName, Key: 'exports/invoices.csv', Body: invoices }));
  await local.stack.queue.drain();
  await ingestUsageEvents(events, { dynamo, tableName: local.stack.tableName, now: () => NOW });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a back-dated snapshot', () => {
  it('reads the daily rollups for windows the profiles no longer keep, and equals the engine on the raw inputs', async () => {
    const asOf = '2026-04-30';
    const run = await runSnapshot({ ...stackDeps(local.stack), config }, asOf);
    expect(run.stats.backfilledActivity).toBe(2);
    const expected = computeSnapshot(
      await referenceTimelines([join(dir, 'invoices.csv')], [join(dir, 'events.jsonl')], config, NOW),
      config,
      asOf,
    );
    const written = await readJson<Snapshot>(local.stack, run.reportKeys.json);
    expectClose(written, expected);
    expect(run.atRiskCount).toBe(expected.atRisk.length);
    // cust-new stopped on March 20: inactive and declining as of April 30, which only the old days show.
    const codes = written.atRisk.find((c) => c.customerId === 'cust-new')?.reasons.map((r) => r.code);
    expect(codes).toContain('inactive');
    expect(written.atRisk.find((c) => c.customerId === 'cust-old')).toBeUndefined();
  });

  it('uses the profile alone when its window covers asOf', async () => {
    const run = await runSnapshot({ ...stackDeps(local.stack), config }, '2026-10-31');
    expect(run.stats.backfilledActivity).toBe(0);
    expect(run.stats.itemsRead).toBe(2);
    // Two profiles: the minimum of 4 segments (one per 2,500 profiles otherwise).
    expect(run.stats.segments).toBe(4);
  });
});
