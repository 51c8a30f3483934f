import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBillingIngestHandler } from '../../../lambdas/ingest-billing/handler';
import { parseConfig } from '../../../lambdas/shared/config';
import type { Snapshot } from '../../../lambdas/domain/types';
import { runSnapshot } from '../../../lambdas/snapshot/run-snapshot';
import { readJson } from '../../../local/pipeline';
import { keys } from '../../../lambdas/store/keys';
import { writeParquet, type ParquetColumn } from '../../support/parquet';
import { useEmbeddedStack } from '../../support/stack';

/**
 * The same Stripe data twice: as Stripe Data Pipeline Parquet tables (minor units, timestamps, the
 * livemode/<run>/<table>/ layout with its markers and the tables not read), and as the Stripe
 * Dashboard CSV exports (major units). Each goes through S3 → ingest → snapshot on its own stack;
 * the snapshots must be equal.
 */

const config = parseConfig({ fxRates: { EUR: 1.1, JPY: 0.0067 } });
const parquetStack = useEmbeddedStack({ ses: false });
const csvStack = useEmbeddedStack({ ses: false });
const AS_OF = '2026-05-20';
const RUN = 'exports/livemode/20260601T000000Z';

interface Line {
  id: string;
  invoice: string;
  status: string;
  customer: string;
  subscription: string | null;
  price: string;
  quantity: number;
  /** Minor units. */
  amount: number;
  currency: string;
  start: string | null;
  end: string | null;
}

const MONTHS = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01'];
const lines: Line[] = [];
const monthly = (customer: string, subscription: string, price: string, amount: number, currency: string, months: number, quantity = 1) => {
  for (let m = 0; m < months; m++) {
    const id = `il_${subscription}_${m}`;
    lines.push({
      id,
      invoice: `in_${subscription}_${m}`,
      status: 'paid',
      customer,
      subscription,
      price,
      quantity,
      amount,
      currency,
      start: MONTHS[m]!,
      end: MONTHS[m + 1]!,
    });
  }
};
monthly('cus_A', 'sub_A', 'price_pro', 29_700, 'usd', 5, 3);
monthly('cus_B', 'sub_B', 'price_pro', 9_900, 'usd', 2);
monthly('cus_C', 'sub_C', 'price_team', 120_000, 'eur', 4);
monthly('cus_D', 'sub_D', 'price_jp', 5_000, 'jpy', 5);
// A mid-month downgrade credit, an open invoice, a one-time fee and a draft (quarantined by both readers).
lines.push({
  id: 'il_A_credit',
  invoice: 'in_sub_A_2',
  status: 'paid',
  customer: 'cus_A',
  subscription: 'sub_A',
  price: 'price_pro',
  quantity: 1,
  amount: -3_500,
  currency: 'usd',
  start: '2026-03-20',
  end: '2026-04-01',
});
lines[lines.findIndex((l) => l.id === 'il_sub_A_4')]!.status = 'open';
lines.push({
  id: 'il_setup',
  invoice: 'in_setup',
  status: 'paid',
  customer: 'cus_D',
  subscription: null,
  price: 'price_setup',
  quantity: 1,
  amount: 20_000,
  currency: 'jpy',
  start: null,
  end: null,
});
lines.push({
  id: 'il_draft',
  invoice: 'in_draft',
  status: 'draft',
  customer: 'cus_B',
  subscription: 'sub_B',
  price: 'price_pro',
  quantity: 1,
  amount: 9_900,
  currency: 'usd',
  start: '2026-03-01',
  end: '2026-04-01',
});

const subscriptions = [
  {
    id: 'sub_A',
    customer: 'cus_A',
    status: 'active',
    current_period_start: '2026-05-01',
    canceled_at: null,
    ended_at: null,
    reason: null,
    feedback: null,
    comment: null,
  },
  {
    id: 'sub_B',
    customer: 'cus_B',
    status: 'canceled',
    current_period_start: '2026-02-01',
    canceled_at: '2026-02-14',
    ended_at: '2026-03-01',
    reason: 'cancellation_requested',
    feedback: 'too_expensive',
    comment: 'Budget cut, "sorry"',
  },
  {
    id: 'sub_C',
    customer: 'cus_C',
    status: 'unpaid',
    current_period_start: '2026-04-01',
    canceled_at: null,
    ended_at: null,
    reason: null,
    feedback: null,
    comment: null,
  },
  {
    id: 'sub_D',
    customer: 'cus_D',
    status: 'past_due',
    current_period_start: '2026-05-01',
    canceled_at: null,
    ended_at: null,
    reason: null,
    feedback: null,
    comment: null,
  },
];
const customers = [
  { id: 'cus_A', name: 'Acme, Inc.', email: 'billing@acme.example', created: '2025-06-01', owner: 'ana@vendor.example' },
  { id: 'cus_B', name: 'Beta LLC', email: 'ops@beta.example', created: '2025-08-01', owner: 'bo@vendor.example' },
  { id: 'cus_C', name: 'Zürich Ölwerke AG', email: 'ap@zoel.example', created: '2025-12-20', owner: null },
  { id: 'cus_D', name: '株式会社デルタ', email: 'fin@delta.example', created: '2026-01-05', owner: 'ana@vendor.example' },
];

const ts = (day: string | null) => (day === null ? null : `${day}T00:00:00Z`);
const dashboardTime = (day: string | null) => (day === null ? '' : `${day} 00:00:00`);
const csvField = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (header: string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
const major = (minor: number, currency: string) => (currency === 'jpy' ? String(minor) : (minor / 100).toFixed(2));

const LINE_COLUMNS: ParquetColumn[] = [
  { name: 'id', type: 'STRING' },
  { name: 'invoice_id', type: 'STRING' },
  { name: 'invoice_status', type: 'STRING' },
  { name: 'customer', type: 'STRING' },
  { name: 'subscription', type: 'STRING' },
  { name: 'price_id', type: 'STRING' },
  { name: 'quantity', type: 'INT64' },
  { name: 'amount', type: 'INT64' },
  { name: 'currency', type: 'STRING' },
  { name: 'period_start', type: 'TIMESTAMP' },
  { name: 'period_end', type: 'TIMESTAMP' },
  { name: 'proration', type: 'BOOLEAN' },
  { name: 'livemode', type: 'BOOLEAN' },
];

const parquetFiles: [string, Buffer | string][] = [
  [
    `${RUN}/customers/part-00000.parquet`,
    writeParquet(
      [
        { name: 'id', type: 'STRING' },
        { name: 'name', type: 'STRING' },
        { name: 'email', type: 'STRING' },
        { name: 'created', type: 'TIMESTAMP' },
        { name: 'metadata', type: 'STRING' },
        { name: 'balance', type: 'INT64' },
      ],
      customers.map((c) => ({
        ...c,
        created: ts(c.created),
        metadata: JSON.stringify(c.owner ? { owner_email: c.owner } : {}),
        balance: 0,
      })),
    ),
  ],
  [
    `${RUN}/subscriptions/part-00000.parquet`,
    writeParquet(
      [
        { name: 'id', type: 'STRING' },
        { name: 'customer', type: 'STRING' },
        { name: 'status', type: 'STRING' },
        { name: 'current_period_start', type: 'TIMESTAMP' },
        { name: 'canceled_at', type: 'TIMESTAMP' },
        { name: 'ended_at', type: 'TIMESTAMP' },
        { name: 'cancellation_details_reason', type: 'STRING' },
        { name: 'cancellation_details_feedback', type: 'STRING' },
        { name: 'cancellation_details_comment', type: 'STRING' },
      ],
      subscriptions.map((s) => ({
        ...s,
        current_period_start: ts(s.current_period_start),
        canceled_at: ts(s.canceled_at),
        ended_at: ts(s.ended_at),
        cancellation_details_reason: s.reason,
        cancellation_details_feedback: s.feedback,
        cancellation_details_comment: s.comment,
      })),
    ),
  ],
  [
    `${RUN}/invoice_line_items/part-00000.parquet`,
    writeParquet(
      LINE_COLUMNS,
      lines.map((l) => ({
        ...l,
        invoice_id: l.invoice,
        invoice_status: l.status,
        price_id: l.price,
        period_start: ts(l.start),
        period_end: ts(l.end),
        proration: l.id.endsWith('credit'),
        livemode: true,
      })),
      7, // several row groups
    ),
  ],
  // Parts of a real drop that are not read: the run marker, another table, test-mode data.
  [`${RUN}/coreapi_SUCCESS`, ''],
  [
    `${RUN}/charges/part-00000.parquet`,
    writeParquet(
      [
        { name: 'id', type: 'STRING' },
        { name: 'amount', type: 'INT64' },
      ],
      [{ id: 'ch_1', amount: 100 }],
    ),
  ],
  [
    `exports/testmode/20260601T000000Z/customers/part-00000.parquet`,
    writeParquet(
      [
        { name: 'id', type: 'STRING' },
        { name: 'created', type: 'TIMESTAMP' },
        { name: 'name', type: 'STRING' },
      ],
      [{ id: 'cus_test', created: '2026-01-01T00:00:00Z', name: 'Test' }],
    ),
  ],
];

const csvFiles: [string, string][] = [
  [
    'exports/stripe-customers.csv',
    csv(
      ['id', 'Name', 'Email', 'Created (UTC)', 'owner_email (metadata)'],
      customers.map((c) => [c.id, c.name, c.email, dashboardTime(c.created), c.owner]),
    ),
  ],
  [
    'exports/stripe-subscriptions.csv',
    csv(
      [
        'id',
        'Customer ID',
        'Status',
        'Current Period Start (UTC)',
        'Canceled At (UTC)',
        'Ended At (UTC)',
        'Cancellation Reason',
        'Cancellation Feedback',
        'Cancellation Comment',
      ],
      subscriptions.map((s) => [
        s.id,
        s.customer,
        s.status,
        dashboardTime(s.current_period_start),
        dashboardTime(s.canceled_at),
        dashboardTime(s.ended_at),
        s.reason,
        s.feedback,
        s.comment,
      ]),
    ),
  ],
  [
    'exports/stripe-invoice-line-items.csv',
    csv(
      [
        'Invoice Line Item ID',
        'Invoice ID',
        'Invoice Status',
        'Customer ID',
        'Subscription ID',
        'Price ID',
        'Quantity',
        'Amount',
        'Currency',
        'Period Start (UTC)',
        'Period End (UTC)',
      ],
      lines.map((l) => [
        l.id,
        l.invoice,
        l.status,
        l.customer,
        l.subscription,
        l.price,
        l.quantity,
        major(l.amount, l.currency),
        l.currency,
        dashboardTime(l.start),
        dashboardTime(l.end),
      ]),
    ),
  ],
];

async function load(stack: typeof parquetStack, files: [string, Buffer | string][]) {
  const { dynamo, s3 } = stack.stack.clients;
  const ingest = createBillingIngestHandler({ dynamo, s3, tableName: stack.stack.tableName, config });
  stack.stack.subscribe((event: SQSEvent) => ingest(event, {} as Context));
  // One at a time, in the same order for both: the latest file wins per attribute.
  for (const [key, body] of files) {
    await s3.send(new PutObjectCommand({ Bucket: stack.stack.bucketName, Key: key, Body: body }));
    await stack.stack.queue.drain();
  }
}

async function fileRecord(stack: typeof parquetStack, key: string) {
  const out = await stack.stack.clients.dynamo.send(
    new QueryCommand({
      TableName: stack.stack.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.file(key, '').pk },
    }),
  );
  return out.Items?.[0];
}

/** The snapshot.json the run writes. */
const snapshot = async (stack: typeof parquetStack) => {
  const run = await runSnapshot(
    {
      dynamo: stack.stack.clients.dynamo,
      s3: stack.stack.clients.s3,
      tableName: stack.stack.tableName,
      bucketName: stack.stack.bucketName,
      config,
    },
    AS_OF,
  );
  return readJson<Snapshot>(stack.stack, run.reportKeys.json);
};

beforeAll(async () => {
  await load(parquetStack, parquetFiles);
  await load(csvStack, csvFiles);
});

describe('Stripe Data Pipeline Parquet drops', () => {
  it('ingest each table with the same counts as the Dashboard CSV exports', async () => {
    const counts = (r: Record<string, unknown> | undefined) =>
      r && { status: r.status, rows: r.rows, ingested: r.ingested, quarantined: r.quarantined };
    for (const [table, csvKey] of [
      ['customers', 'exports/stripe-customers.csv'],
      ['subscriptions', 'exports/stripe-subscriptions.csv'],
      ['invoice_line_items', 'exports/stripe-invoice-line-items.csv'],
    ] as const) {
      const parquet = counts(await fileRecord(parquetStack, `${RUN}/${table}/part-00000.parquet`));
      expect(parquet, table).toEqual(counts(await fileRecord(csvStack, csvKey)));
      expect(parquet?.status).toBe('done');
    }
    expect(counts(await fileRecord(parquetStack, `${RUN}/invoice_line_items/part-00000.parquet`))).toEqual({
      status: 'done',
      rows: lines.length,
      ingested: lines.length - 1,
      quarantined: 1,
    });
  });

  it('skip the run marker, the other tables and test-mode data without failing them', async () => {
    for (const key of [
      `${RUN}/coreapi_SUCCESS`,
      `${RUN}/charges/part-00000.parquet`,
      'exports/testmode/20260601T000000Z/customers/part-00000.parquet',
    ]) {
      expect(await fileRecord(parquetStack, key), key).toBeUndefined();
    }
    const listed = await parquetStack.stack.clients.s3.send(
      new ListObjectsV2Command({ Bucket: parquetStack.stack.bucketName, Prefix: 'failed/' }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('give the snapshot the same data gives as CSV', async () => {
    const fromParquet = await snapshot(parquetStack);
    const fromCsv = await snapshot(csvStack);
    expect(fromParquet).toEqual(fromCsv);
    // And the data is really in it: MRR of A (3 × 99 USD) and D (5,000 JPY); C unpaid from April, B churned in March.
    expect(fromParquet.mrr.end).toBeCloseTo(297 + 5000 * 0.0067, 9);
    expect(fromParquet.customers.end).toBe(2);
    const profile = await parquetStack.stack.clients.dynamo.send(
      new GetCommand({ TableName: parquetStack.stack.tableName, Key: keys.profile('cus_A') }),
    );
    expect(profile.Item).toMatchObject({ name: 'Acme, Inc.', ownerEmail: 'ana@vendor.example' });
  });
});
