/**
 * Prorations normalised by the cycle they prorate (docs/metrics.md §3.1) and refunds (§1.1), on worked
 * cases from outside the project: Capgo's revenue-movement tests (Solo $12/mo or $120/yr, Team
 * $49/mo or $468/yr), ChartMogul's help on MRR from prorated invoices and MRR movements, Stripe's
 * billing-analytics definitions. The amounts are the lines a biller writes for each case.
 */
import { describe, expect, it } from 'vitest';
import { addMonthsClamped, dayFromNum, dayNum, monthEndNum, monthIndexOfNum } from '../../../lambdas/domain/dates';
import { buildCustomerMrr, lineMrr } from '../../../lambdas/domain/mrr';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import type { LedgerLine } from '../../../lambdas/domain/types';
import { customer, line, SETTINGS } from './builders';

const sub = (amount: number, start: string, end: string, over: Partial<LedgerLine> = {}) =>
  line(amount, start, end, { subscriptionId: 'sub_1', ...over });

const mrrOn = (lines: LedgerLine[], day: string) => buildCustomerMrr(lines, [], SETTINGS).series.at(dayNum(day));
const snapshot = (lines: LedgerLine[], asOf: string) => computeSnapshot([customer('c', lines)], SETTINGS, asOf);

/** Stripe's pair of proration lines for a price change on `day` of the cycle [cycleStart, cycleEnd). */
function priceChange(from: number, to: number, day: string, cycleStart: string, cycleEnd: string): LedgerLine[] {
  const share = (dayNum(cycleEnd) - dayNum(day)) / (dayNum(cycleEnd) - dayNum(cycleStart));
  return [sub(-from * share, day, cycleEnd), sub(to * share, day, cycleEnd)];
}

describe('an upgrade Solo $12 → Team $49 with about half the cycle left', () => {
  // The average-month rule gave 49.54 in a 30-day cycle, 48.33 in a 31-day one and 52.22 in February.
  const cases = [
    { month: 'a 30-day cycle', start: '2026-04-01', change: '2026-04-16', end: '2026-05-01', next: '2026-06-01' },
    { month: 'a 31-day cycle', start: '2026-01-01', change: '2026-01-16', end: '2026-02-01', next: '2026-03-01' },
    { month: 'February', start: '2026-02-01', change: '2026-02-15', end: '2026-03-01', next: '2026-04-01' },
    { month: 'a leap February', start: '2028-02-01', change: '2028-02-15', end: '2028-03-01', next: '2028-04-01' },
  ];
  for (const c of cases) {
    it(`is MRR 49 in ${c.month}, expansion 37, and the next invoice moves nothing`, () => {
      const lines = [sub(12, c.start, c.end), ...priceChange(12, 49, c.change, c.start, c.end), sub(49, c.end, c.next)];
      expect(mrrOn(lines, c.start)).toBe(12);
      for (let d = dayNum(c.change); d < dayNum(c.next); d++) {
        expect(buildCustomerMrr(lines, [], SETTINGS).series.at(d)).toBeCloseTo(49, 9);
      }
      const inMonth = snapshot([sub(12, addMonthsClamped(c.start, -1), c.start), ...lines], lastDay(c.start));
      expect(inMonth.mrr.expansion).toBeCloseTo(37, 9);
      const nextMonth = snapshot(lines, lastDay(c.end));
      expect(nextMonth.mrr.expansion + nextMonth.mrr.contraction).toBe(0);
      expect(nextMonth.mrr.end).toBe(49);
    });
  }

  it('cent-rounded proration amounts, as Stripe invoices them, give 49 to within a cent', () => {
    // January: 16 of 31 days left → −6.19 and +25.29.
    const lines = [sub(12, '2026-01-01', '2026-02-01'), sub(-6.19, '2026-01-16', '2026-02-01'), sub(25.29, '2026-01-16', '2026-02-01')];
    expect(Math.abs(mrrOn(lines, '2026-01-20') - 49)).toBeLessThan(0.01);
  });
});

describe('Capgo movement cases as invoice lines', () => {
  it('a first monthly subscription is new business: 12', () => {
    const snap = snapshot([sub(12, '2026-04-22', '2026-05-22')], '2026-04-30');
    expect(snap.mrr.new).toBe(12);
  });

  it('a downgrade Team → Solo mid-cycle is a contraction of 37', () => {
    const lines = [
      sub(49, '2026-03-10', '2026-04-10'),
      sub(49, '2026-04-10', '2026-05-10'),
      ...priceChange(49, 12, '2026-04-20', '2026-04-10', '2026-05-10'),
    ];
    const snap = snapshot(lines, '2026-04-30');
    expect(snap.mrr.contraction).toBeCloseTo(37, 9);
    expect(mrrOn(lines, '2026-05-09')).toBeCloseTo(12, 9);
  });

  it('Solo monthly → Solo yearly: credit for the unused month and a new annual line, MRR 12 → 10 (contraction 2)', () => {
    const lines = [
      sub(12, '2026-03-01', '2026-04-01'),
      sub(12, '2026-04-01', '2026-05-01'),
      sub(-12 * (20 / 30), '2026-04-11', '2026-05-01'),
      sub(120, '2026-04-11', '2027-04-11'),
    ];
    expect(mrrOn(lines, '2026-04-11')).toBeCloseTo(10, 9);
    expect(snapshot(lines, '2026-04-30').mrr.contraction).toBeCloseTo(2, 9);
    const may = snapshot(lines, '2026-05-31');
    expect(may.mrr.expansion + may.mrr.contraction).toBe(0);
  });

  it('a cancelled Team yearly subscription churns 468 / 12 = 39', () => {
    const snap = computeSnapshot(
      [customer('c', [sub(468, '2025-04-01', '2026-04-01')], { cancellations: [{ subscriptionId: 'sub_1', effectiveAt: '2026-04-01' }] })],
      SETTINGS,
      '2026-04-30',
    );
    expect(snap.mrr.churned).toBe(39);
  });
});

describe('partial lines normalised by their billing cycle', () => {
  it("a $100 plan's first invoice for 12 of January's 31 days is new MRR 100, and February moves nothing", () => {
    // The average month gave 98.19 new MRR, then a +1.81 "expansion" in February.
    const lines = [sub(100 * (12 / 31), '2026-01-20', '2026-02-01'), sub(100, '2026-02-01', '2026-03-01')];
    expect(snapshot(lines, '2026-01-31').mrr.new).toBeCloseTo(100, 9);
    const february = snapshot(lines, '2026-02-28');
    expect(february.mrr.expansion + february.mrr.contraction).toBe(0);
  });

  it('an annual upgrade $1,200 → $2,400 with 100 days left is MRR 200 (365 days, not 365.25)', () => {
    const lines = [sub(1200, '2026-03-01', '2027-03-01'), ...priceChange(1200, 2400, '2026-11-21', '2026-03-01', '2027-03-01')];
    expect(mrrOn(lines, '2026-11-21')).toBeCloseTo(200, 9);
    expect(mrrOn(lines, '2027-02-28')).toBeCloseTo(200, 9);
  });

  it('a seat increase 5 → 8 × $10 with 20 of 30 days left is MRR 80, an expansion of 30', () => {
    const lines = [
      sub(50, '2026-05-01', '2026-06-01'),
      sub(50, '2026-06-01', '2026-07-01'),
      ...priceChange(50, 80, '2026-06-11', '2026-06-01', '2026-07-01'),
    ];
    expect(mrrOn(lines, '2026-06-11')).toBeCloseTo(80, 9);
    expect(snapshot(lines, '2026-06-30').mrr.expansion).toBeCloseTo(30, 9);
  });

  it('a proration of about a whole month is still a proration: 28 days left of 31, 31 days left of a quarter', () => {
    // By length alone these would be whole months: 45.42 instead of 49, 203.33 instead of 200.
    const monthly = [sub(12, '2026-01-01', '2026-02-01'), ...priceChange(12, 49, '2026-01-04', '2026-01-01', '2026-02-01')];
    expect(mrrOn(monthly, '2026-01-04')).toBeCloseTo(49, 9);
    const quarterly = [sub(300, '2026-01-01', '2026-04-01'), ...priceChange(300, 600, '2026-03-01', '2026-01-01', '2026-04-01')];
    expect(mrrOn(quarterly, '2026-03-01')).toBeCloseTo(200, 9);
  });

  it('monthly lines after a switch from an annual plan stay whole months, the one ending with the year included', () => {
    const lines = [sub(1200, '2026-01-15', '2027-01-15'), sub(-1200 * (306 / 365), '2026-03-15', '2027-01-15')];
    for (let m = 3; m <= 12; m++) {
      const start = `2026-${String(m).padStart(2, '0')}-15`;
      lines.push(sub(150, start, addMonthsClamped(start, 1)));
    }
    expect(mrrOn(lines, '2026-03-15')).toBeCloseTo(150, 9);
    expect(mrrOn(lines, '2026-12-20')).toBeCloseTo(150, 9);
  });

  it('uses the adjacent line when none contains the partial period, its cycles stepped by calendar months', () => {
    // A partial after the last whole line: the next cycle, [Mar 1, Apr 1), has 31 days.
    expect(lineMrr(sub(100 * (10 / 31), '2026-03-01', '2026-03-11'), 1, [sub(100, '2026-02-01', '2026-03-01')])).toBeCloseTo(100, 9);
    // Anchored on the 31st: [Jan 31, Feb 28) is followed by [Feb 28, Mar 31) and preceded by [Dec 31, Jan 31).
    expect(lineMrr(sub(31, '2026-02-28', '2026-03-10'), 1, [sub(100, '2026-01-31', '2026-02-28')])).toBeCloseTo((31 * 31) / 10, 9);
    expect(lineMrr(sub(28, '2026-02-20', '2026-02-28'), 1, [sub(100, '2026-02-28', '2026-03-31')])).toBeCloseTo((28 * 28) / 8, 9);
  });

  it('without a sibling whole-month line, or straddling two cycles, a partial line gets the average month', () => {
    expect(lineMrr(line(50, '2026-03-01', '2026-03-15'), 1, [line(100, '2026-02-01', '2026-03-01')])).toBeCloseTo((50 * 30.4375) / 14, 12);
    expect(
      lineMrr(sub(50, '2026-03-01', '2026-03-15'), 1, [sub(100, '2026-02-01', '2026-03-01', { subscriptionId: 'other' })]),
    ).toBeCloseTo((50 * 30.4375) / 14, 12);
    // 45 days before a monthly line: longer than the cycle before it.
    expect(lineMrr(sub(150, '2026-01-15', '2026-03-01'), 1, [sub(100, '2026-03-01', '2026-04-01')])).toBeCloseTo((150 * 30.4375) / 45, 12);
  });

  it('a whole-month line is the plan price whatever its siblings', () => {
    const ledger = [sub(99, '2026-01-01', '2026-02-01'), sub(99, '2026-02-01', '2026-03-01'), sub(99, '2026-01-01', '2026-02-01')];
    for (const l of ledger) expect(lineMrr(l, 1, ledger)).toBe(99);
  });
});

describe('refunds (docs/metrics.md §1.1)', () => {
  it('a refunded month is neither a churn nor a reactivation: MRR is unchanged by a refund', () => {
    const lines = [
      sub(100, '2026-01-01', '2026-02-01'),
      sub(100, '2026-02-01', '2026-03-01', { status: 'refunded' }),
      sub(100, '2026-03-01', '2026-04-01'),
    ];
    const february = snapshot(lines, '2026-02-28');
    expect([february.mrr.churned, february.mrr.end]).toEqual([0, 100]);
    const march = snapshot(lines, '2026-03-31');
    expect([march.mrr.reactivation, march.customers.reactivated, march.mrr.end]).toEqual([0, 0, 100]);
  });
});

const lastDay = (day: string) => dayFromNum(monthEndNum(monthIndexOfNum(dayNum(day))));
