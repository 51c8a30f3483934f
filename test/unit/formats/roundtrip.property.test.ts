import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINE_STATUSES } from '../../../lambdas/domain/types';
import { chunked, readAll } from './helpers';
import { propertyRuns } from '../../support/property-runs';

interface Row {
  invoiceId: string;
  customerId: string;
  cents: number;
  currency: 'USD' | 'EUR';
  period: [string, string] | undefined;
  status: (typeof LINE_STATUSES)[number];
  customerName: string | undefined;
}

const idChar = fc.constantFrom(...'abcXYZ019_-.#'.split(''));
const id = fc.string({ unit: idChar, minLength: 1, maxLength: 12 });
// Names exercise the quoting rules: commas, quotes, line breaks, non-ASCII (inner spaces kept, edges trimmed).
const nameChar = fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', 'ü', 'Ö', '東', '京', "'", ';');
const name = fc.array(nameChar, { minLength: 1, maxLength: 10 }).map((cs) => `N${cs.join('')}N`);
const day = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const row: fc.Arbitrary<Row> = fc.record({
  invoiceId: id,
  customerId: id,
  cents: fc.integer({ min: -1_000_000, max: 10_000_000 }),
  currency: fc.constantFrom('USD' as const, 'EUR' as const),
  period: fc.option(
    fc
      .tuple(day, day)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => (a < b ? [a, b] : [b, a]) as [string, string]),
    { nil: undefined },
  ),
  status: fc.constantFrom(...LINE_STATUSES),
  customerName: fc.option(name, { nil: undefined }),
});

const amountText = (cents: number): string =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

function serialise(
  rows: Row[],
  style: { quoteAll: boolean; eol: string; bom: boolean; statusUpper: boolean },
): { text: string; lines: number[] } {
  const q = (v: string) => (style.quoteAll || /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const header = 'invoice_id,customer_id,amount,currency,period_start,period_end,status,customer_name';
  let text = (style.bom ? '\ufeff' : '') + header + style.eol;
  let line = 2;
  const lines: number[] = [];
  for (const r of rows) {
    const fields = [
      r.invoiceId,
      r.customerId,
      amountText(r.cents),
      r.currency === 'EUR' ? 'eur' : 'USD',
      r.period?.[0] ?? '',
      r.period?.[1] ?? '',
      style.statusUpper ? r.status.toUpperCase() : r.status,
      r.customerName ?? '',
    ];
    const rec = fields.map((f) => (f === '' ? f : q(f))).join(',');
    lines.push(line);
    line += 1 + (rec.match(/\r\n|\n/g)?.length ?? 0);
    text += rec + style.eol;
  }
  return { text, lines };
}

/** What each row must read back as, derived from the model, not from the reader. */
function expected(rows: Row[]) {
  const ordinals = new Map<string, number>();
  return rows.map((r) => {
    const n = (ordinals.get(r.invoiceId) ?? 0) + 1;
    ordinals.set(r.invoiceId, n);
    return {
      kind: 'invoice_line',
      customerId: r.customerId,
      ...(r.customerName === undefined ? {} : { customerName: r.customerName }),
      line: {
        invoiceId: r.invoiceId,
        lineId: `#${n}`,
        amount: r.cents / 100,
        currency: r.currency,
        status: r.status,
        ...(r.period ? { periodStart: r.period[0], periodEnd: r.period[1] } : {}),
      },
    };
  });
}

const style = fc.record({ quoteAll: fc.boolean(), eol: fc.constantFrom('\n', '\r\n'), bom: fc.boolean(), statusUpper: fc.boolean() });

describe('CSV round trip (property)', () => {
  it('valid rows serialised with any quoting, line ending and BOM read back as the same records and lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 25 }), style, fc.integer({ min: 1, max: 300 }), async (rows, st, chunk) => {
        const { text, lines } = serialise(rows, st);
        const rs = await readAll(chunked(text, chunk), 'export.csv');
        expect(rs.filter((r) => !r.ok)).toEqual([]);
        expect(rs.map((r) => r.line)).toEqual(lines);
        expect(rs.map((r) => (r.ok ? r.record : undefined))).toEqual(expected(rows));
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  it('gzip or not, detected by extension or by magic bytes, gives the same results', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 15 }), style, fc.integer({ min: 1, max: 100 }), async (rows, st, chunk) => {
        const { text } = serialise(rows, st);
        const plain = await readAll(chunked(text, chunk), 'export.csv');
        const zipped = gzipSync(Buffer.from(text, 'utf8'));
        expect(await readAll(chunked(zipped, chunk), 'export.csv.gz')).toEqual(plain);
        expect(await readAll(chunked(zipped, chunk), 'export.csv')).toEqual(plain);
      }),
      { numRuns: propertyRuns(60) },
    );
  });
});
