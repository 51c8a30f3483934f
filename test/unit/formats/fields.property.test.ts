import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LINE_STATUSES } from '../../../lambdas/domain/types';
import { MAX_ID, isRealPlainDay, parseDecimal } from '../../../lambdas/formats/fields';
import { chunked, readAll } from './helpers';
import { propertyRuns } from '../../support/property-runs';

/**
 * The readers validate with hand-written checks (no regex, zod or hashing per row); zod stays the
 * schema of record. Here zod describes what a canonical invoice line row must be (docs/metrics.md §1.1) and the
 * fast path must accept exactly the same rows, with the same values.
 */

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const decimalText = fc.oneof(
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map(String),
  fc.double({ min: -1e9, max: 1e9, noNaN: true }).chain((d) => fc.integer({ min: 0, max: 6 }).map((k) => d.toFixed(k))),
  fc.stringMatching(/^[+-]?\d{0,20}(\.\d{0,20})?$/),
);
const junkText = fc.string({ unit: fc.constantFrom(...'0123456789.+-e, \t'.split('')), maxLength: 12 });

describe('fast field checks agree with their reference', () => {
  it('parseDecimal is Number(s) exactly for decimal text, NaN for anything else', () => {
    fc.assert(
      fc.property(fc.oneof(decimalText, junkText), (s) => {
        expect(Object.is(parseDecimal(s), DECIMAL.test(s) ? Number(s) : NaN)).toBe(true);
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  it('isRealPlainDay accepts exactly the ISO dates zod accepts', () => {
    const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: n, maxLength: n });
    const shaped = fc
      .tuple(digits(4), fc.constantFrom('01', '02', '04', '09', '11', '12', '13', '00'), digits(2))
      .map(([y, m, d]) => `${y}-${m}-${d}`);
    const loose = fc.string({ unit: fc.constantFrom(...'0123456789-/ x'.split('')), minLength: 8, maxLength: 12 });
    const leap = fc.constantFrom('2024-02-29', '2025-02-29', '1900-02-29', '2000-02-29', '0000-02-29', '2025-04-31', '2025-12-31');
    fc.assert(
      fc.property(fc.oneof(shaped, loose, leap), (s) => {
        expect(isRealPlainDay(s)).toBe(z.iso.date().safeParse(s).success);
      }),
      { numRuns: propertyRuns(3000) },
    );
  });
});

// The reference: a canonical invoice line row (the columns generated below), in zod.
const trimmed = z.string().transform((s) => s.trim());
const id = trimmed.pipe(z.string().min(1).max(MAX_ID));
const decimal = trimmed.pipe(z.string().regex(DECIMAL)).transform(Number);
const absent = z.literal('').transform(() => undefined);
const day = trimmed.pipe(z.union([absent, z.iso.date()]));
const referenceRow = z
  .object({
    invoice_id: id,
    customer_id: id,
    amount: decimal,
    // Reporting currency USD, with an FX rate for EUR only.
    currency: trimmed.transform((s) => s.toUpperCase()).pipe(z.enum(['USD', 'EUR'])),
    period_start: day,
    period_end: day,
    status: trimmed.transform((s) => s.toLowerCase()).pipe(z.enum(LINE_STATUSES)),
    quantity: trimmed.pipe(z.union([absent, decimal.pipe(z.number().positive())])),
  })
  .refine((r) => (r.period_start === undefined) === (r.period_end === undefined))
  .refine((r) => r.period_start === undefined || r.period_end! >= r.period_start);

const COLUMNS = ['invoice_id', 'customer_id', 'amount', 'currency', 'period_start', 'period_end', 'status', 'quantity'] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

const pad = (v: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\t', '\u00a0'), v, fc.constantFrom('', ' ', '\u00a0')).map(([a, s, b]) => a + s + b);
const idValue = fc.oneof(
  fc.constantFrom('', ' ', 'in_1', 'cus_東京', 'a'.repeat(MAX_ID), 'a'.repeat(MAX_ID + 1)),
  fc.string({ maxLength: 6 }),
);
const dayValue = fc.oneof(
  fc
    .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('', '2025-02-29', '2024-02-29', '2025-13-01', '2025-1-01', '01/02/2025', '2025-00-10'),
);
const rowArb: fc.Arbitrary<Row> = fc.record({
  invoice_id: pad(idValue),
  customer_id: pad(idValue),
  amount: pad(fc.oneof(decimalText, junkText)),
  currency: pad(fc.constantFrom('USD', 'usd', 'EUR', 'eur', 'JPY', 'XYZ', '', 'US D')),
  period_start: pad(dayValue),
  period_end: pad(dayValue),
  status: pad(fc.constantFrom(...LINE_STATUSES, 'PAID', 'Open', 'draft', '')),
  quantity: pad(fc.oneof(fc.constantFrom('', '0', '-1', 'abc'), decimalText)),
});

const csvOf = (rows: Row[]): string =>
  `${COLUMNS.join(',')}\n${rows.map((r) => COLUMNS.map((c) => `"${r[c].replaceAll('"', '""')}"`).join(',')).join('\n')}\n`;

describe('invoice line rows: the fast path and the zod reference agree (property)', () => {
  it('accepts exactly the rows zod accepts, with the same values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 20 }), async (rows) => {
        // readAll also checks every record produced against the output schema of record.
        const results = await readAll(chunked(csvOf(rows), 97), 'rows.csv');
        expect(results.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
        results.forEach((result, i) => {
          const ref = referenceRow.safeParse(rows[i]);
          expect(result.ok).toBe(ref.success);
          if (!result.ok || !ref.success) return;
          const r = ref.data;
          const oneTime = r.period_start === r.period_end;
          expect(result.record.kind).toBe('invoice_line');
          if (result.record.kind !== 'invoice_line') return;
          expect(result.record.customerId).toBe(r.customer_id);
          expect(result.record.line).toMatchObject({ invoiceId: r.invoice_id, amount: r.amount, currency: r.currency, status: r.status });
          expect(result.record.line.periodStart).toBe(oneTime ? undefined : r.period_start);
          expect(result.record.line.periodEnd).toBe(oneTime ? undefined : r.period_end);
          expect(result.record.line.quantity).toBe(r.quantity);
        });
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});
