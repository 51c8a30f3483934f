import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { addDays, dayNum } from '../../../lambdas/domain/dates';
import { buildCustomerMrr, lineMrr, MRR_EPSILON } from '../../../lambdas/domain/mrr';
import { fxRateFor } from '../../../lambdas/domain/fx';
import { LINE_STATUSES, type Cancellation, type CustomerTimeline, type LedgerLine } from '../../../lambdas/domain/types';
import { shuffled } from './books';
import { SETTINGS } from './builders';
import { propertyRuns } from '../../support/property-runs';

const BASE = '2025-01-01';
const day = (offset: number) => addDays(BASE, offset);

const lineArb = fc.record({
  amount: fc.integer({ min: -20_000, max: 300_000 }).map((c) => c / 100),
  currency: fc.constantFrom('USD', 'USD', 'EUR'),
  start: fc.integer({ min: 0, max: 600 }),
  length: fc.oneof(fc.constantFrom(0, 14, 28, 30, 31, 59, 90, 92, 365, 366), fc.integer({ min: 1, max: 400 })),
  oneTime: fc.boolean(),
  status: fc.constantFrom(...LINE_STATUSES, 'paid', 'paid'),
  subscriptionId: fc.constantFrom('s1', 's2', undefined),
  plan: fc.constantFrom('basic', 'pro', undefined),
});

const customerArb = fc
  .record({
    lines: fc.array(lineArb, { maxLength: 8 }),
    cancellations: fc.array(
      fc.record({
        subscriptionId: fc.constantFrom('s1', 's2'),
        at: fc.integer({ min: 0, max: 700 }),
        reason: fc.constantFrom('price', ' bugs ', '', undefined),
      }),
      { maxLength: 2 },
    ),
  })
  .map(({ lines, cancellations }) => ({ lines, cancellations }));

const bookArb = fc.record({
  customers: fc.array(customerArb, { maxLength: 10 }),
  asOf: fc.integer({ min: 0, max: 720 }),
});

type CustomerSpec = typeof customerArb extends fc.Arbitrary<infer T> ? T : never;

function toTimelines(book: { customers: CustomerSpec[] }): CustomerTimeline[] {
  return book.customers.map((c, ci) => {
    const lines: LedgerLine[] = c.lines.map((l, li) => ({
      invoiceId: `in_${ci}_${li}`,
      lineId: `${li % 2}`,
      amount: l.amount,
      currency: l.currency,
      periodStart: l.oneTime ? undefined : day(l.start),
      periodEnd: l.oneTime ? undefined : day(l.start + l.length),
      status: l.status,
      subscriptionId: l.subscriptionId,
      plan: l.plan,
      issuedAt: day(l.start),
    }));
    const seen = new Set<string>();
    const cancellations: Cancellation[] = [];
    for (const x of c.cancellations) {
      if (seen.has(x.subscriptionId)) continue; // one per subscription, as callers pass them
      seen.add(x.subscriptionId);
      cancellations.push({ subscriptionId: x.subscriptionId, effectiveAt: day(x.at), reason: x.reason });
    }
    return {
      customerId: `c${ci}`,
      lines,
      cancellations,
      activity: {},
      featureFirstSeen: {},
    };
  });
}

/** MRR of a customer on a day, straight from the docs/metrics.md §3.1 definition (lines deduplicated by identity). */
function mrrOn(t: CustomerTimeline, dayText: string): number {
  const d = dayNum(dayText);
  const lines = [...new Map(t.lines.map((l) => [`${l.invoiceId}\u001f${l.lineId}`, l])).values()];
  let sum = 0;
  for (const l of lines) {
    if (!l.periodStart || !l.periodEnd) continue;
    if (!(dayNum(l.periodStart) <= d && d < dayNum(l.periodEnd))) continue;
    const cancel = t.cancellations.find((x) => x.subscriptionId === l.subscriptionId);
    if (l.subscriptionId && cancel && dayNum(cancel.effectiveAt) <= d) continue;
    sum += lineMrr(l, fxRateFor(SETTINGS, l.currency), lines);
  }
  return sum > MRR_EPSILON ? sum : 0;
}

describe('properties of the engine', () => {
  it('MRR step function equals the definition: sum of counted lines covering d, minus cancelled ones', () => {
    fc.assert(
      fc.property(customerArb, fc.integer({ min: -10, max: 1200 }), (c, probe) => {
        const [timeline] = toTimelines({ customers: [c] });
        const { series } = buildCustomerMrr(timeline!.lines, timeline!.cancellations, SETTINGS);
        const d = dayNum(day(probe));
        let expected = 0;
        for (const l of timeline!.lines) {
          if (!l.periodStart || !l.periodEnd) continue;
          if (!(dayNum(l.periodStart) <= d && d < dayNum(l.periodEnd))) continue;
          const cancel = timeline!.cancellations.find((x) => x.subscriptionId === l.subscriptionId);
          if (l.subscriptionId && cancel && dayNum(cancel.effectiveAt) <= d) continue;
          expected += lineMrr(l, fxRateFor(SETTINGS, l.currency), timeline!.lines);
        }
        expect(Math.abs(series.raw(d) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
        expect(series.at(d) > 0).toBe(expected > MRR_EPSILON);
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('the MRR identity and the customer identity hold', () => {
    fc.assert(
      fc.property(bookArb, (book) => {
        const snap = computeSnapshot(toTimelines(book), SETTINGS, day(book.asOf));
        const m = snap.mrr;
        // Exactly, as docs/metrics.md §3.2 requires (not merely up to rounding).
        expect(m.end).toBe(m.start + m.new + m.expansion + m.reactivation - m.contraction - m.churned);
        // And that end is the customers' closing MRR, up to float rounding.
        const timelines = toTimelines(book);
        const closeDay = snap.period.end;
        const sumClose = timelines.reduce((sum, t) => sum + Math.max(0, mrrOn(t, closeDay)), 0);
        expect(Math.abs(m.end - sumClose)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(m.start)));
        const c = snap.customers;
        expect(c.end).toBe(c.start + c.new + c.reactivated - c.churned);
        for (const v of [m.start, m.new, m.expansion, m.contraction, m.churned, m.reactivation]) expect(v).toBeGreaterThanOrEqual(0);
        expect(m.end).toBeGreaterThanOrEqual(-1e-9 * Math.max(1, m.start));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('rates stay in range', () => {
    const tol = 1e-12;
    const inUnit = (v: number | null) => {
      if (v === null) return;
      expect(v).toBeGreaterThanOrEqual(-tol);
      expect(v).toBeLessThanOrEqual(1 + tol);
    };
    fc.assert(
      fc.property(bookArb, (book) => {
        const snap = computeSnapshot(toTimelines(book), SETTINGS, day(book.asOf));
        inUnit(snap.logoChurnRate);
        inUnit(snap.grr);
        inUnit(snap.grr12m);
        inUnit(snap.grossMrrChurnRate);
        inUnit(snap.annualizedLogoChurn);
        inUnit(snap.annualizedFromMonth);
        if (snap.ndr !== null) expect(snap.ndr).toBeGreaterThanOrEqual(-tol);
        if (snap.ndr12m !== null) expect(snap.ndr12m).toBeGreaterThanOrEqual(0);
        for (const seg of [...Object.values(snap.byPlan), ...Object.values(snap.byTier), ...Object.values(snap.byLifecycle)]) {
          inUnit(seg!.logoChurnRate);
          expect(seg!.customersStart).toBeGreaterThan(0);
        }
        // Segments partition the customers that started the period.
        const sum = (o: object) => Object.values(o).reduce((a, s) => a + s.customersStart, 0);
        expect(sum(snap.byPlan)).toBe(snap.customers.start);
        expect(sum(snap.byTier)).toBe(snap.customers.start);
        expect(sum(snap.byLifecycle)).toBe(snap.customers.start);
        for (const t of snap.trend) inUnit(t.logoChurnRate);
        expect(snap.trend[11]!.logoChurnRate).toBe(snap.logoChurnRate);
        for (const c of snap.cohorts) for (const r of c.retention) inUnit(r);
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('is unchanged when lines are duplicated or shuffled and customers reordered', () => {
    fc.assert(
      fc.property(bookArb, fc.integer(), fc.array(fc.nat(), { maxLength: 6 }), (book, seed, dupes) => {
        const timelines = toTimelines(book);
        const asOf = day(book.asOf);
        const reference = computeSnapshot(timelines, SETTINGS, asOf);
        const messy = shuffled(
          timelines.map((t, i) => {
            const lines = t.lines.slice();
            if (lines.length) for (const d of dupes) lines.push({ ...lines[d % lines.length]! });
            return { ...t, lines: shuffled(lines, seed + i) };
          }),
          seed,
        );
        expect(computeSnapshot(messy, SETTINGS, asOf)).toEqual(reference);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('a later version of a line replaces the earlier one', () => {
    fc.assert(
      fc.property(bookArb, (book) => {
        const timelines = toTimelines(book);
        const asOf = day(book.asOf);
        const reference = computeSnapshot(timelines, SETTINGS, asOf);
        // Prepend stale versions (voided copies) of every line: the current versions come last and win.
        const withHistory = timelines.map((t) => ({
          ...t,
          lines: [...t.lines.map((l) => ({ ...l, status: 'void' as const, amount: 1 })), ...t.lines],
        }));
        expect(computeSnapshot(withHistory, SETTINGS, asOf)).toEqual(reference);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});
