import { describe, expect, it } from 'vitest';
import { dayNum } from '../../../lambdas/domain/dates';
import { buildCustomerMrr, dominantPlan, lineMrr, monthlyAmount } from '../../../lambdas/domain/mrr';
import { line, SETTINGS } from './builders';

const at = (series: { at(d: number): number }, day: string) => series.at(dayNum(day));

describe('line MRR (docs/metrics.md §3.1)', () => {
  it('gives the plan price for whole-month periods anchored on any day', () => {
    expect(lineMrr(line(99, '2026-01-15', '2026-02-15'))).toBe(99); // 31 days
    expect(lineMrr(line(99, '2026-02-01', '2026-03-01'))).toBe(99); // 28 days: |28 − 30.4375| = 2.44 ≤ 3
    expect(lineMrr(line(99, '2026-02-28', '2026-03-31'))).toBe(99); // 31 days
    expect(lineMrr(line(99, '2024-02-29', '2024-03-29'))).toBe(99); // leap February
    expect(lineMrr(line(300, '2026-01-10', '2026-04-10'))).toBe(100); // quarterly, 90 days → k = 3
    expect(lineMrr(line(1200, '2026-03-01', '2027-03-01'))).toBe(100); // 365 days → k = 12
    expect(lineMrr(line(1200, '2027-06-01', '2028-06-01'))).toBe(100); // 366 days (leap) → k = 12
  });

  it('pro-rates partial periods without a sibling line by the average month, credits included', () => {
    // 14 days: k = round(0.46) = 0 → amount × 30.4375 / 14
    expect(lineMrr(line(50, '2026-03-01', '2026-03-15'))).toBeCloseTo((50 * 30.4375) / 14, 12);
    // 45 days: k = 1 but |45 − 30.4375| > 3 → pro rata
    expect(lineMrr(line(-30, '2026-03-01', '2026-04-15'))).toBeCloseTo((-30 * 30.4375) / 45, 12);
    // 34 days: k = 1, |34 − 30.4375| = 3.56 > 3 → pro rata; 27 days: 3.44 > 3 → pro rata
    expect(monthlyAmount(100, 34)).toBeCloseTo((100 * 30.4375) / 34, 12);
    expect(monthlyAmount(100, 27)).toBeCloseTo((100 * 30.4375) / 27, 12);
    // 33 and 28 days are within the ±3-day tolerance.
    expect(monthlyAmount(100, 33)).toBe(100);
    expect(monthlyAmount(100, 28)).toBe(100);
  });

  it('counts no MRR for one-time charges and for void or uncollectible lines', () => {
    expect(lineMrr(line(500, undefined, undefined))).toBe(0);
    expect(lineMrr(line(500, '2026-03-01', '2026-03-01'))).toBe(0);
    for (const status of ['void', 'uncollectible'] as const) {
      expect(lineMrr(line(99, '2026-01-15', '2026-02-15', { status }))).toBe(0);
    }
    // A refund is a cash event, not a change of subscription (docs/metrics.md §1.1).
    for (const status of ['paid', 'open', 'failed', 'refunded'] as const) {
      expect(lineMrr(line(99, '2026-01-15', '2026-02-15', { status }))).toBe(99);
    }
  });

  it('converts with the FX rate', () => {
    expect(lineMrr(line(100, '2026-01-15', '2026-02-15', { currency: 'EUR' }), 1.1)).toBeCloseTo(110, 12);
  });
});

describe('MRR(c, d) step function', () => {
  it('covers [periodStart, periodEnd) and sums overlapping lines', () => {
    const { series } = buildCustomerMrr(
      [line(100, '2026-01-10', '2026-02-10'), line(100, '2026-02-10', '2026-03-10'), line(50, '2026-02-01', '2026-03-01')],
      [],
      SETTINGS,
    );
    expect(at(series, '2026-01-09')).toBe(0);
    expect(at(series, '2026-01-10')).toBe(100);
    expect(at(series, '2026-01-31')).toBe(100);
    expect(at(series, '2026-02-01')).toBe(150);
    expect(at(series, '2026-02-10')).toBe(150);
    expect(at(series, '2026-03-01')).toBe(100);
    expect(at(series, '2026-03-10')).toBe(0);
    expect(series.firstActiveDay()).toBe(dayNum('2026-01-10'));
  });

  it('stops a cancelled subscription on its effective day, leaving other lines running', () => {
    const { series } = buildCustomerMrr(
      [
        line(100, '2026-03-01', '2026-04-01', { subscriptionId: 'sub_a' }),
        line(20, '2026-03-01', '2026-04-01'), // no subscription: never cut
        line(30, '2026-03-01', '2026-04-01', { subscriptionId: 'sub_b' }),
      ],
      [{ subscriptionId: 'sub_a', effectiveAt: '2026-03-15' }],
      SETTINGS,
    );
    expect(at(series, '2026-03-14')).toBe(150);
    expect(at(series, '2026-03-15')).toBe(50);
    expect(at(series, '2026-03-31')).toBe(50);
  });

  it('treats a customer whose credits offset the charge as inactive', () => {
    const { series } = buildCustomerMrr(
      [line(100, '2026-03-01', '2026-04-01'), line(-100, '2026-03-01', '2026-04-01', { lineId: 'credit' })],
      [],
      SETTINGS,
    );
    expect(at(series, '2026-03-10')).toBe(0);
    expect(series.firstActiveDay()).toBeUndefined();
  });

  it('skips lines whose currency has no FX rate and reports them', () => {
    const built = buildCustomerMrr(
      [line(100, '2026-03-01', '2026-04-01', { currency: 'JPY' }), line(100, '2026-03-01', '2026-04-01', { currency: 'EUR' })],
      [],
      SETTINGS,
    );
    expect(at(built.series, '2026-03-10')).toBeCloseTo(110, 12);
    expect(built.skippedByCurrency?.get('JPY')).toBe(1);
  });

  it('keeps the last version of a line seen twice', () => {
    const first = line(100, '2026-03-01', '2026-04-01', { invoiceId: 'in_x', lineId: '1' });
    const second = { ...first, amount: 250 };
    expect(at(buildCustomerMrr([first, second], [], SETTINGS).series, '2026-03-10')).toBe(250);
    expect(at(buildCustomerMrr([second, first], [], SETTINGS).series, '2026-03-10')).toBe(100);
  });

  it('answers "active within" over a range', () => {
    const { series } = buildCustomerMrr([line(100, '2026-03-10', '2026-03-20')], [], SETTINGS);
    expect(series.activeWithin(dayNum('2026-03-01'), dayNum('2026-03-09'))).toBe(false);
    expect(series.activeWithin(dayNum('2026-03-01'), dayNum('2026-03-10'))).toBe(true);
    expect(series.activeWithin(dayNum('2026-03-19'), dayNum('2026-03-25'))).toBe(true);
    expect(series.activeWithin(dayNum('2026-03-20'), dayNum('2026-03-25'))).toBe(false);
  });
});

describe('dominant plan', () => {
  it('picks the plan carrying most MRR, ties alphabetically, falling back to the customer plan', () => {
    const { contributions } = buildCustomerMrr(
      [
        line(100, '2026-03-01', '2026-04-01', { plan: 'zeta' }),
        line(100, '2026-03-01', '2026-04-01', { plan: 'alpha' }),
        line(60, '2026-03-01', '2026-04-01'),
        line(60, '2026-03-01', '2026-04-01'),
      ],
      [],
      SETTINGS,
    );
    const d = dayNum('2026-03-10');
    expect(dominantPlan(contributions, d, 'pro')).toBe('pro'); // 120 without a line plan
    expect(dominantPlan(contributions, d, undefined)).toBe('unknown');
    expect(dominantPlan(contributions.slice(0, 2), d, undefined)).toBe('alpha');
    expect(dominantPlan(contributions, dayNum('2026-05-01'), 'pro')).toBeUndefined();
  });
});
