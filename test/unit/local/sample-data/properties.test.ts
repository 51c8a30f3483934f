import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { anchoredMonth, toDay, toNum } from '../../../../local/sample-data/calendar';
import { generateSampleSaas } from '../../../../local/sample-data/generate';
import { createRng } from '../../../../local/sample-data/prng';
import { csv } from '../../../../local/sample-data/write';
import { propertyRuns } from '../../../support/property-runs';

const dayArb = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('calendar', () => {
  it('anchoredMonth keeps the anchor day, clamped to the month length, without drift', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 0, max: 40 }), (anchor, months) => {
        const d = toDay(anchoredMonth(toNum(anchor), months));
        const anchorDom = Number(anchor.slice(8));
        const [y, m] = [Number(d.slice(0, 4)), Number(d.slice(5, 7))];
        const monthLength = new Date(Date.UTC(y, m, 0)).getUTCDate();
        expect(Number(d.slice(8))).toBe(Math.min(anchorDom, monthLength));
        const monthsApart = y * 12 + m - (Number(anchor.slice(0, 4)) * 12 + Number(anchor.slice(5, 7)));
        expect(monthsApart).toBe(months);
      }),
    );
  });
});

describe('csv', () => {
  it('any text field survives a round trip through an RFC 4180 parser', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 2, maxLength: 2 }), { maxLength: 5 }), (rows) => {
        const parsed = parse(csv(['a', 'b'], rows), { columns: true, relax_column_count: false }) as Record<string, string>[];
        expect(parsed.map((r) => [r.a, r.b])).toEqual(rows);
      }),
    );
  });
});

describe('prng', () => {
  it('is deterministic per seed and stays in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 50 }), (seed, min, span) => {
        const a = createRng(seed);
        const b = createRng(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.int(min, min + span);
          expect(x).toBe(b.int(min, min + span));
          expect(x).toBeGreaterThanOrEqual(min);
          expect(x).toBeLessThanOrEqual(min + span);
        }
      }),
    );
  });
});

describe('generator invariants over seeds, dates and sizes', () => {
  it('keeps billing and usage consistent for any seed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.date({ min: new Date('2021-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 40, max: 90 }),
        (seed, date, customers) => {
          const asOf = date.toISOString().slice(0, 10);
          const s = generateSampleSaas({ seed, asOf, customers, months: 12 });
          const asOfNo = toNum(asOf);
          expect(s.customers).toHaveLength(customers);
          expect(new Set(s.events.map((e) => e.eventId)).size).toBe(s.events.length);
          expect(s.events.every((e) => e.timestamp.slice(0, 10) <= asOf && e.timestamp.slice(0, 10) >= s.usageStart)).toBe(true);
          const badLines = s.invoiceLines.filter(
            (l) =>
              toNum(l.issuedAt) > asOfNo ||
              (l.periodStart === '') !== (l.periodEnd === '') ||
              (l.periodStart !== '' && toNum(l.periodEnd) <= toNum(l.periodStart)) ||
              !Number.isFinite(Number(l.amount)) ||
              Number(l.amount) === 0,
          );
          expect(badLines).toEqual([]);
          expect(s.cancellations.every((c) => c.canceledAt <= asOf && c.canceledAt <= c.effectiveAt)).toBe(true);
          // A subscription ends at most once, and only at a cancellation on file.
          const ends = new Set(s.subscriptions.filter((x) => x.end !== undefined).map((x) => x.subscriptionId));
          expect(new Set(s.cancellations.map((c) => c.subscriptionId))).toEqual(ends);
          expect(s.customers.filter((c) => c.name === '<b>Bold</b> & Co')).toHaveLength(1);
          expect(s.customers.filter((c) => !c.ownerEmail)).toHaveLength(Math.max(1, Math.round(customers * 0.05)));
          expect(s.usageStart).toBe(s.historyStart);
          const offDays = s.events.filter((e) => {
            const day = toNum(e.timestamp.slice(0, 10));
            return !s.subscriptions.some(
              (x) => x.customerId === e.customerId && x.start <= day && (x.end === undefined || day < x.end + 10),
            );
          });
          expect(offDays.slice(0, 3)).toEqual([]);
          expect(s.customers.every((c) => c.healthAtMonthEnd.every((h) => Number.isFinite(h.health)))).toBe(true);
        },
      ),
      { numRuns: propertyRuns(15) },
    );
  });
});
