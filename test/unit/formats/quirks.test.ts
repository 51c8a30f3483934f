import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnreadableFileError, readBillingExport } from '../../../lambdas/formats';
import { FIXTURES, OPTS, bad, chunked, good, readAll, readFixture } from './helpers';

const H = 'invoice_id,customer_id,amount,currency,period_start,period_end,status';

async function readError(name: string): Promise<UnreadableFileError> {
  try {
    await readFixture(name);
  } catch (err) {
    expect(err).toBeInstanceOf(UnreadableFileError);
    return err as UnreadableFileError;
  }
  throw new Error(`${name} was read without error`);
}

describe('billing export quirks', () => {
  it('UTF-8 BOM and CRLF line endings: first column matched, values clean, lines counted', async () => {
    const rs = await readFixture('bom-crlf.csv');
    expect(bad(rs)).toEqual([]);
    expect(rs.map((r) => r.line)).toEqual([2, 3]);
    expect(good(rs).map((r) => r.record)).toEqual([
      {
        kind: 'invoice_line',
        customerId: 'cus_1',
        customerName: 'Acme',
        line: {
          invoiceId: 'in_1',
          lineId: '#1',
          amount: 99,
          currency: 'USD',
          periodStart: '2026-01-01',
          periodEnd: '2026-02-01',
          status: 'paid',
        },
      },
      {
        kind: 'invoice_line',
        customerId: 'cus_2',
        customerName: 'Zürich Ölwerke',
        line: {
          invoiceId: 'in_2',
          lineId: '#1',
          amount: 49.5,
          currency: 'USD',
          periodStart: '2026-01-15',
          periodEnd: '2026-02-15',
          status: 'open',
        },
      },
    ]);
  });

  it('quoted newlines, embedded commas and quotes, non-ASCII: values intact, line = where the record starts', async () => {
    const rs = await readFixture('quoted-fields.csv');
    expect(bad(rs)).toEqual([]);
    // Record 2 spans physical lines 3-4, so record 3 starts on line 5.
    expect(rs.map((r) => r.line)).toEqual([2, 3, 5]);
    const recs = good(rs).map((r) => r.record);
    expect(recs[0]).toMatchObject({ customerName: 'Müller, Schmidt & "Partner"', line: { amount: 120, lineId: '#1', plan: 'pro' } });
    expect(recs[1]).toMatchObject({ customerName: 'Line one\nline two', line: { amount: -20, lineId: '#2', invoiceId: 'in_1' } });
    expect(recs[2]).toMatchObject({
      customerId: 'cus_東京',
      customerName: '東京',
      line: { plan: 'team, annual', status: 'failed', periodStart: '2026-01-01', periodEnd: '2026-04-01' },
    });
  });

  it('blank lines skipped, trailing delimiters tolerated, empty or equal period means one-time', async () => {
    const rs = await readFixture('blank-and-trailing.csv');
    expect(bad(rs)).toEqual([]);
    expect(rs.map((r) => r.line)).toEqual([3, 7, 8]);
    const lines = good(rs).map((r) => (r.record.kind === 'invoice_line' ? r.record.line : undefined));
    expect(lines[0]).toMatchObject({ amount: 10, periodStart: '2026-01-01', periodEnd: '2026-02-01' });
    expect(lines[1]).not.toHaveProperty('periodStart');
    expect(lines[1]).not.toHaveProperty('periodEnd');
    expect(lines[2]).toMatchObject({ amount: 30, status: 'void' });
    expect(lines[2]).not.toHaveProperty('periodStart');
  });

  it('a 1 MB field is read whole (and bounded length makes a clear bad row)', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const csv = `${H},customer_name,unused\nin_1,cus_1,5,USD,,,paid,ok,"${big}"\nin_2,cus_2,5,USD,,,paid,"${big}",\nin_3,cus_3,6,USD,,,paid,,\n`;
    const rs = await readAll(chunked(csv, 65536), 'big.csv');
    expect(rs.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, false],
      [4, true],
    ]);
    expect(bad(rs)[0]!.reason).toBe(`customer_name is ${big.length} characters long (at most 512)`);
    expect(bad(rs)[0]!.raw.length).toBeLessThanOrEqual(2049);
  });

  it('a zero-byte file is unreadable', async () => {
    const err = await readError('empty.csv');
    expect(err.message).toMatch(/empty/);
  });

  it('a header-only file yields nothing and is not an error', async () => {
    expect(await readFixture('header-only.csv')).toEqual([]);
  });

  it('a wrong header is unreadable, naming what was found and what is expected', async () => {
    const err = await readError('wrong-header.csv');
    expect(err.line).toBe(1);
    expect(err.message).toContain('"date", "description", "total"');
    expect(err.message).toContain('invoice_id');
  });

  it('a truncated gzip yields the rows before the damage, then throws saying where', async () => {
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const r of readBillingExport(createReadStream(`${FIXTURES}truncated.csv.gz`), 'truncated.csv.gz', OPTS)) {
        expect(r.ok).toBe(true);
        seen.push(r.line);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.length).toBeLessThan(200);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 2));
    const last = seen[seen.length - 1]!;
    expect((error as UnreadableFileError).message).toContain(`after line ${last}`);
    expect((error as UnreadableFileError).line).toBe(last + 1);
  });

  it('the complete gzip reads all 200 rows; a file named .gz that is not gzip is unreadable', async () => {
    const rs = await readFixture('complete.csv.gz');
    expect(rs).toHaveLength(200);
    expect(good(rs)[199]!.record).toMatchObject({ customerId: 'cus_200', line: { amount: 200 } });
    await expect(readAll(chunked(`${H}\n`), 'plain.csv.gz')).rejects.toThrow(/gzip/);
  });

  it('bad rows each get their line and a specific reason; good rows around them are kept', async () => {
    const rs = await readFixture('bad-rows.csv');
    expect(good(rs).map((r) => [r.line, r.record.customerId])).toEqual([
      [2, 'cus_1'],
      [11, 'cus_10'],
    ]);
    expect(good(rs)[1]!.record).toMatchObject({ line: { amount: -12.5, currency: 'EUR', status: 'refunded' } });
    expect(bad(rs).map((r) => [r.line, r.reason])).toEqual([
      [3, 'amount: "abc" is not a number'],
      [4, 'period_start: "2026-02-30" is not a real date'],
      [5, 'period_end 2026-01-01 is before period_start 2026-02-01'],
      [6, 'currency "XYZ" is not an ISO 4217 code'],
      [7, 'customer_id is missing'],
      [8, 'currency "JPY" has no FX rate to USD (add it to fxRates)'],
      [9, 'status: "pending" is not one of paid|open|failed|void|refunded|uncollectible'],
      [10, 'amount: "1,000.00" is not a number'],
    ]);
    expect(bad(rs)[0]!.raw).toBe('in_2,cus_2,abc,USD,2026-01-01,2026-02-01,paid');
    expect(bad(rs)[7]!.raw).toBe('in_9,cus_9,"1,000.00",USD,2026-01-01,2026-02-01,paid');
  });

  it('JSONL: bad JSON, unknown and missing type, non-objects are bad rows; the rest is read', async () => {
    const rs = await readFixture('mixed.jsonl');
    expect(good(rs).map((r) => [r.line, r.record])).toEqual([
      [
        1,
        {
          kind: 'customer',
          customerId: 'cus_1',
          attributes: { name: 'Acme GmbH', ownerEmail: 'ana@vendor.example', plan: 'pro', segment: 'smb', createdAt: '2025-06-01' },
        },
      ],
      [
        2,
        {
          kind: 'invoice_line',
          customerId: 'cus_1',
          line: {
            invoiceId: 'in_1',
            lineId: '#1',
            amount: 99,
            currency: 'USD',
            periodStart: '2026-01-01',
            periodEnd: '2026-02-01',
            status: 'paid',
            quantity: 3,
          },
        },
      ],
      [
        7,
        {
          kind: 'cancellation',
          customerId: 'cus_1',
          // 23:30 at UTC-2 is 01:30 UTC the next day.
          cancellation: {
            subscriptionId: 'sub_1',
            effectiveAt: '2026-02-01',
            canceledAt: '2026-01-21',
            reason: 'too_expensive',
            feedback: 'Budget cut',
          },
        },
      ],
    ]);
    const errors = bad(rs);
    expect(errors.map((r) => r.line)).toEqual([3, 5, 6, 8]);
    expect(errors[0]!.reason).toMatch(/^not valid JSON/);
    expect(errors[0]!.raw).toBe('{"type":"invoice_line", "invoice_id": "in_2", oops}');
    expect(errors[1]!.reason).toBe('type: "refund" is not one of invoice_line|cancellation|customer');
    expect(errors[2]!.reason).toMatch(/^type is missing/);
    expect(errors[3]!.reason).toBe('expected a JSON object, got an array');
  });

  it('canonical cancellation and customer files (header names trimmed, case-insensitive, unknown columns ignored)', async () => {
    const cancels = await readFixture('cancellations.csv');
    expect(cancels.map((r) => (r.ok ? [r.line, r.record] : [r.line, r.reason]))).toEqual([
      [
        2,
        {
          kind: 'cancellation',
          customerId: 'cus_1',
          cancellation: {
            subscriptionId: 'sub_1',
            effectiveAt: '2026-02-01',
            canceledAt: '2026-01-20',
            reason: 'too_expensive',
            feedback: 'Budget cut, will return',
          },
        },
      ],
      [3, 'effective_at is missing'],
    ]);
    const customers = await readFixture('customers.csv');
    expect(customers.map((r) => (r.ok ? [r.line, r.record] : [r.line, r.reason]))).toEqual([
      [
        2,
        {
          kind: 'customer',
          customerId: 'cus_1',
          attributes: { name: 'Acme', ownerEmail: 'ana@vendor.example', plan: 'pro', segment: 'smb', createdAt: '2025-06-01' },
        },
      ],
      [3, 'owner_email: "not-an-email" is not an email address'],
    ]);
  });

  it('only one period bound, and a bad JSONL extension, are reported precisely', async () => {
    const rs = await readAll(chunked(`${H}\nin_1,cus_1,1,USD,2026-01-01,,paid\n`), 'x.csv');
    expect(bad(rs).map((r) => [r.line, r.reason])).toEqual([
      [2, 'period_end is missing while period_start is set (give both, or neither for a one-time charge)'],
    ]);
    await expect(readAll(chunked(`${H}\n`), 'x.jsonl')).rejects.toThrow(/JSON Lines/);
    await expect(readAll(chunked(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 1])), 'x.csv')).rejects.toThrow(/Not a text file/);
    expect(await readAll(chunked(gzipSync(`${H}\nin_1,cus_1,1,USD,,,paid\n`)), 'export-without-extension')).toHaveLength(1);
  });
});
