import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AsyncBuffer } from 'hyparquet';
import {
  detectPipelineTable,
  minorToMajor,
  minorUnitDigits,
  pipelineRoute,
  readParquetBatches,
} from '../../../lambdas/formats/stripe-data-pipeline';
import type { ReadResult } from '../../../lambdas/formats';
import { billingRecordSchema } from '../../../lambdas/formats';
import { propertyRuns } from '../../support/property-runs';
import { writeParquet, type ParquetColumn } from '../../support/parquet';

const opts = { reportingCurrency: 'USD', fxRates: { EUR: 1.1, JPY: 0.0067 } };

/** An in-memory file that counts how many bytes were asked for (the reader must not read it whole). */
function memoryFile(buf: Buffer): AsyncBuffer & { bytesRead: number } {
  const file = {
    byteLength: buf.length,
    bytesRead: 0,
    slice(start: number, end = buf.length) {
      file.bytesRead += end - start;
      return buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + end) as ArrayBuffer;
    },
  };
  return file;
}

async function readAll(buf: Buffer, key: string): Promise<ReadResult[][]> {
  const batches: ReadResult[][] = [];
  for await (const batch of readParquetBatches(memoryFile(buf), key, opts)) batches.push(batch);
  return batches;
}

const LINE_COLUMNS: ParquetColumn[] = [
  { name: 'id', type: 'STRING' },
  { name: 'invoice_id', type: 'STRING' },
  { name: 'customer', type: 'STRING' },
  { name: 'invoice_status', type: 'STRING' },
  { name: 'amount', type: 'INT64' },
  { name: 'currency', type: 'STRING' },
  { name: 'period_start', type: 'TIMESTAMP' },
  { name: 'period_end', type: 'TIMESTAMP' },
  { name: 'proration', type: 'BOOLEAN' },
  { name: 'subscription', type: 'STRING' },
  { name: 'price_id', type: 'STRING' },
  { name: 'quantity', type: 'INT64' },
];

const line = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  invoice_id: `in_${id}`,
  customer: 'cus_1',
  invoice_status: 'paid',
  amount: 2999,
  currency: 'usd',
  period_start: '2026-01-01T00:00:00Z',
  period_end: '2026-02-01T00:00:00Z',
  proration: false,
  subscription: 'sub_1',
  price_id: 'price_pro',
  quantity: 1,
  ...extra,
});

describe('minor units', () => {
  it('are exact decimal text in major units, by the currency’s exponent', () => {
    expect(minorToMajor(2999n, 'usd')).toBe('29.99');
    expect(minorToMajor(-5n, 'USD')).toBe('-0.05');
    expect(minorToMajor(500n, 'jpy')).toBe('500');
    expect(minorToMajor(12345n, 'kwd')).toBe('12.345');
    expect(minorToMajor(0, 'eur')).toBe('0.00');
    expect(() => minorToMajor(1.5, 'usd')).toThrow(/whole number of minor units/);
  });

  it('divide by 10^digits exactly, for any amount and currency', () => {
    const currency = fc.constantFrom('usd', 'eur', 'jpy', 'krw', 'kwd', 'bhd', 'gbp');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), currency, (n, c) => {
        const text = minorToMajor(n, c);
        const [whole, frac = ''] = text.replace('-', '').split('.');
        expect(frac.length).toBe(minorUnitDigits(c));
        expect(BigInt(whole! + frac) * (text.startsWith('-') ? -1n : 1n)).toBe(n);
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe('the Data Pipeline layout', () => {
  const route = (key: string, includeTestmode = false) => pipelineRoute(key, { includeTestmode });

  it('reads the three tables of livemode runs, and knows run markers', () => {
    expect(route('exports/livemode/20261101T000000Z/invoice_line_items/part-00000.parquet')).toEqual({
      kind: 'table',
      table: 'invoice_line_items',
      mode: 'livemode',
    });
    expect(route('exports/stripe/livemode/2026110100/subscriptions/part-1.snappy.parquet')).toMatchObject({
      kind: 'table',
      table: 'subscriptions',
    });
    expect(route('exports/livemode/20261101T000000Z/coreapi_SUCCESS')).toEqual({ kind: 'marker' });
    expect(route('exports/livemode/20261101T000000Z/_SUCCESS')).toEqual({ kind: 'marker' });
  });

  it('skips other tables, test-mode data (unless asked for) and writers’ bookkeeping files', () => {
    expect(route('exports/livemode/20261101T000000Z/charges/part-0.parquet')).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/not one of the tables/),
    });
    expect(route('exports/testmode/20261101T000000Z/customers/part-0.parquet')).toMatchObject({
      kind: 'skip',
      reason: expect.stringMatching(/test-mode/),
    });
    expect(route('exports/testmode/20261101T000000Z/customers/part-0.parquet', true)).toMatchObject({ kind: 'table', mode: 'testmode' });
    expect(route('exports/livemode/2026/customers/.part-0.parquet.crc')).toMatchObject({ kind: 'skip' });
    expect(route('exports/livemode/2026/customers/_temporary/0/part-0.parquet')).toMatchObject({ kind: 'skip' });
  });

  it('leaves every other key to the ordinary readers', () => {
    expect(route('exports/stripe-invoice-line-items.csv')).toBeUndefined();
    expect(route('exports/customers/part-0.parquet')).toBeUndefined();
    expect(route('exports/REPORT_SUCCESS')).toBeUndefined();
  });

  it('tells the table by its folder, else by its columns', () => {
    expect(detectPipelineTable('exports/x/customers/p.parquet', ['id'])).toBe('customers');
    expect(detectPipelineTable('exports/a.parquet', ['id', 'invoice_id', 'amount', 'period_start'])).toBe('invoice_line_items');
    expect(detectPipelineTable('exports/a.parquet', ['id', 'customer', 'status', 'canceled_at'])).toBe('subscriptions');
    expect(detectPipelineTable('exports/a.parquet', ['id', 'created', 'email'])).toBe('customers');
    expect(() => detectPipelineTable('exports/a.parquet', ['foo', 'bar'])).toThrow(/Unrecognised Parquet columns \(foo, bar\)/);
  });
});

describe('reading Parquet tables', () => {
  it('maps invoice line items onto invoice lines, row group by row group, bad rows quarantined by row number', async () => {
    const rows = [
      line('il_1'),
      line('il_2', { amount: -350, proration: true, period_start: '2026-01-20T12:00:00Z' }),
      line('il_3', { currency: 'eur', amount: 120000, period_end: '2027-01-01T00:00:00Z' }),
      line('il_4', { invoice_status: 'draft' }),
      line('il_5', { currency: 'jpy', amount: 500 }),
    ];
    const batches = await readAll(writeParquet(LINE_COLUMNS, rows, 2), 'exports/livemode/r1/invoice_line_items/part-0.parquet');
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    const results = batches.flat();
    expect(results.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    expect(results[0]).toEqual({
      ok: true,
      line: 1,
      record: {
        kind: 'invoice_line',
        customerId: 'cus_1',
        line: {
          invoiceId: 'in_il_1',
          lineId: 'il_1',
          amount: 29.99,
          currency: 'USD',
          status: 'paid',
          subscriptionId: 'sub_1',
          plan: 'price_pro',
          periodStart: '2026-01-01',
          periodEnd: '2026-02-01',
          quantity: 1,
        },
      },
    });
    expect(results[1]).toMatchObject({ ok: true, record: { line: { amount: -3.5, periodStart: '2026-01-20' } } });
    expect(results[2]).toMatchObject({ ok: true, record: { line: { amount: 1200, currency: 'EUR', periodEnd: '2027-01-01' } } });
    expect(results[3]).toMatchObject({
      ok: false,
      line: 4,
      reason: expect.stringMatching(/^status: "draft"/),
      raw: expect.stringContaining('"id":"il_4"'),
    });
    expect(results[4]).toMatchObject({ ok: true, record: { line: { amount: 500, currency: 'JPY' } } });
    for (const r of results) if (r.ok) expect(billingRecordSchema.safeParse(r.record).success).toBe(true);
  });

  it('maps subscriptions as the Stripe subscriptions preset: canceled → cancellation, unpaid → from its period start', async () => {
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'STRING' },
      { name: 'customer', type: 'STRING' },
      { name: 'status', type: 'STRING' },
      { name: 'canceled_at', type: 'TIMESTAMP' },
      { name: 'ended_at', type: 'TIMESTAMP' },
      { name: 'current_period_start', type: 'TIMESTAMP' },
      { name: 'cancellation_details_reason', type: 'STRING' },
      { name: 'cancellation_details_feedback', type: 'STRING' },
      { name: 'cancellation_details_comment', type: 'STRING' },
    ];
    const rows = [
      { id: 'sub_a', customer: 'cus_a', status: 'active', current_period_start: '2026-01-01T00:00:00Z' },
      {
        id: 'sub_b',
        customer: 'cus_b',
        status: 'canceled',
        canceled_at: '2025-12-10T16:20:00Z',
        ended_at: '2026-01-01T00:00:00Z',
        cancellation_details_reason: 'cancellation_requested',
        cancellation_details_feedback: 'too_expensive',
        cancellation_details_comment: 'Moving on',
      },
      { id: 'sub_c', customer: 'cus_c', status: 'unpaid', current_period_start: '2025-11-01T00:00:00Z' },
      { id: 'sub_d', customer: 'cus_d', status: 'canceled' },
    ];
    const results = (await readAll(writeParquet(columns, rows), 'exports/livemode/r1/subscriptions/part-0.parquet')).flat();
    expect(results[0]).toMatchObject({ ok: true, record: { kind: 'customer', customerId: 'cus_a' } });
    expect(results[1]).toMatchObject({
      ok: true,
      record: {
        kind: 'cancellation',
        customerId: 'cus_b',
        cancellation: {
          subscriptionId: 'sub_b',
          effectiveAt: '2026-01-01',
          canceledAt: '2025-12-10',
          reason: 'too_expensive',
          feedback: 'Moving on',
        },
      },
    });
    expect(results[2]).toMatchObject({
      ok: true,
      record: { kind: 'cancellation', cancellation: { effectiveAt: '2025-11-01', reason: 'unpaid' } },
    });
    expect(results[3]).toMatchObject({ ok: false, reason: expect.stringMatching(/both empty/) });
  });

  it('maps customers, with the owner from the metadata JSON', async () => {
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'STRING' },
      { name: 'name', type: 'STRING' },
      { name: 'description', type: 'STRING' },
      { name: 'email', type: 'STRING' },
      { name: 'created', type: 'TIMESTAMP' },
      { name: 'metadata', type: 'STRING' },
    ];
    const rows = [
      {
        id: 'cus_1',
        name: 'Acme & Co',
        email: 'b@acme.io',
        created: '2025-06-01T09:58:00Z',
        metadata: '{"owner_email":"ana@vendor.io","__proto__":"x"}',
      },
      { id: 'cus_2', description: 'Zürich AG', created: '2025-12-20T14:00:00Z', metadata: 'not json' },
      { id: 'cus_3', name: 'Bad owner', metadata: '{"owner_email":"\\"><svg>@x.io"}' },
    ];
    const results = (await readAll(writeParquet(columns, rows), 'exports/livemode/r1/customers/part-0.parquet')).flat();
    expect(results[0]).toEqual({
      ok: true,
      line: 1,
      record: {
        kind: 'customer',
        customerId: 'cus_1',
        attributes: { name: 'Acme & Co', ownerEmail: 'ana@vendor.io', createdAt: '2025-06-01' },
      },
    });
    expect(results[1]).toMatchObject({ ok: true, record: { attributes: { name: 'Zürich AG', createdAt: '2025-12-20' } } });
    expect(results[2]).toMatchObject({ ok: false, reason: expect.stringMatching(/owner_email: .* is not an email address/) });
  });

  it('reads only the footer and the columns it maps, not the whole file', async () => {
    const wide: ParquetColumn[] = [...LINE_COLUMNS, { name: 'description', type: 'STRING' }];
    // Text that does not compress: the description column is most of the file, and is never read.
    let seed = 7;
    const noise = () => Array.from({ length: 1500 }, () => String.fromCharCode(33 + ((seed = (seed * 48271) % 2147483647) % 90))).join('');
    const rows = Array.from({ length: 400 }, (_, i) => line(`il_${i}`, { description: noise() }));
    const buf = writeParquet(wide, rows, 100);
    const file = memoryFile(buf);
    let n = 0;
    for await (const batch of readParquetBatches(file, 'exports/livemode/r/invoice_line_items/p.parquet', opts)) n += batch.length;
    expect(n).toBe(400);
    expect(file.bytesRead).toBeLessThan(buf.length / 2);
  });

  it('refuses files that are not Parquet, or lack a column a table needs, naming it', async () => {
    await expect(readAll(Buffer.from('invoice_id,amount\n1,2\n'), 'exports/a.parquet')).rejects.toThrow(/no PAR1 footer/);
    const noStatus = writeParquet(
      LINE_COLUMNS.filter((c) => c.name !== 'invoice_status'),
      [line('il_1')],
    );
    await expect(readAll(noStatus, 'exports/livemode/r/invoice_line_items/p.parquet')).rejects.toThrow(/needs invoice_status or status/);
  });
});
