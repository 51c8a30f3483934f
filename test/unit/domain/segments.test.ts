import { describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { addDays } from '../../../lambdas/domain/dates';
import { lifecycleOf, tierOf } from '../../../lambdas/domain/segments';
import { customer, line, SETTINGS } from './builders';

// Period: March 2026 (open = MRR on 2026-02-28), asOf 2026-03-20.
const AS_OF = '2026-03-20';
/** A customer with `open` MRR on Feb 28 and `close` on asOf, via two monthly lines. */
const openClose = (id: string, open: number, close: number, over: Parameters<typeof line>[3] = {}, plan?: string) =>
  customer(
    id,
    [line(open, '2026-02-10', '2026-03-10', over), ...(close > 0 ? [line(close, '2026-03-10', '2026-04-10', over)] : [])],
    plan ? { plan } : {},
  );

describe('byPlan', () => {
  it('groups customers by the plan carrying most of their open MRR', () => {
    const snap = computeSnapshot(
      [
        openClose('a', 100, 150, { plan: 'pro' }),
        openClose('b', 300, 0, { plan: 'pro' }),
        openClose('c', 50, 40, {}, 'starter'), // no line plan: the customer's plan
        openClose('d', 20, 20), // no plan at all
        customer('e', [line(200, '2026-02-10', '2026-03-10', { plan: 'team' }), line(90, '2026-02-10', '2026-03-10', { plan: 'pro' })]),
        customer('new', [line(500, '2026-03-05', '2026-04-05', { plan: 'pro' })]), // open = 0: in no segment
      ],
      SETTINGS,
      AS_OF,
    );
    expect(Object.keys(snap.byPlan)).toEqual(['pro', 'starter', 'team', 'unknown']);
    expect(snap.byPlan.pro).toEqual({
      customersStart: 2,
      churned: 1,
      logoChurnRate: 0.5,
      mrrStart: 400,
      expansion: 50,
      contraction: 0,
      churnedMrr: 300,
      ndr: 150 / 400,
    });
    expect(snap.byPlan.starter).toMatchObject({ customersStart: 1, churned: 0, contraction: 10, ndr: 40 / 50 });
    expect(snap.byPlan.team).toMatchObject({ customersStart: 1, churned: 1, mrrStart: 290, churnedMrr: 290, ndr: 0 });
    expect(snap.byPlan.unknown).toMatchObject({ customersStart: 1, mrrStart: 20, ndr: 1 });
  });
});

describe('byTier', () => {
  it('splits on tierA and tierB inclusive', () => {
    expect(tierOf(1000, SETTINGS)).toBe('A');
    expect(tierOf(999.99, SETTINGS)).toBe('B');
    expect(tierOf(100, SETTINGS)).toBe('B');
    expect(tierOf(99.99, SETTINGS)).toBe('C');
    const snap = computeSnapshot(
      [openClose('a', 1000, 1000), openClose('b', 999.99, 0), openClose('c', 100, 100), openClose('d', 99.99, 120)],
      SETTINGS,
      AS_OF,
    );
    expect(snap.byTier.A).toMatchObject({ customersStart: 1, churned: 0, mrrStart: 1000 });
    expect(snap.byTier.B).toMatchObject({ customersStart: 2, churned: 1, logoChurnRate: 0.5, churnedMrr: 999.99 });
    expect(snap.byTier.C!.expansion).toBeCloseTo(20.01, 9);
  });

  it('omits empty tiers and uses the configured thresholds', () => {
    const snap = computeSnapshot([openClose('a', 500, 500)], { ...SETTINGS, tierA: 400, tierB: 50 }, AS_OF);
    expect(Object.keys(snap.byTier)).toEqual(['A']);
  });
});

describe('byLifecycle', () => {
  it('uses days from the first active day to the first day of the period: 30 | 31 … 180 | 181', () => {
    expect([30, 31, 180, 181].map(lifecycleOf)).toEqual(['onboarding', 'adoption', 'adoption', 'mature']);
    const since = (id: string, daysBefore: number) => customer(id, [line(100, addDays('2026-03-01', -daysBefore), '2026-04-15')]);
    const snap = computeSnapshot(
      [since('d30', 30), since('d31', 31), since('d180', 180), since('d181', 181), since('d1', 1)],
      SETTINGS,
      AS_OF,
    );
    expect(snap.byLifecycle.onboarding?.customersStart).toBe(2);
    expect(snap.byLifecycle.adoption?.customersStart).toBe(2);
    expect(snap.byLifecycle.mature?.customersStart).toBe(1);
  });
});

describe('cohorts', () => {
  it('groups by month of first active day and measures the share active at each following month end', () => {
    const snap = computeSnapshot(
      [
        customer('a', [line(300, '2026-01-10', '2026-04-10')]),
        customer('b', [line(100, '2026-01-15', '2026-02-15')]),
        customer('c', [line(100, '2026-02-03', '2026-03-03')]),
        customer('d', [line(100, '2026-02-20', '2026-03-20'), line(100, '2026-03-20', '2026-04-20')]),
        customer('e', [line(100, '2026-03-05', '2026-04-05')]),
        customer('future', [line(100, '2026-04-05', '2026-05-05')]), // not active yet: no cohort
      ],
      SETTINGS,
      AS_OF,
    );
    expect(snap.cohorts).toEqual([
      { cohort: '2026-01', size: 2, retention: [0.5, 0.5] }, // Feb 28: a; Mar 20: a
      { cohort: '2026-02', size: 2, retention: [0.5] }, // Mar 20: d
      { cohort: '2026-03', size: 1, retention: [] },
    ]);
  });

  it('keeps the 12 latest non-empty cohorts', () => {
    // One customer starting in each of 14 months, skipping one month, all still active.
    const starts = [
      '2024-12',
      '2025-01',
      '2025-02',
      '2025-03',
      '2025-04',
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ];
    const snap = computeSnapshot(
      starts.map((m) => customer(m, [line(1000, `${m}-05`, '2026-12-05')])),
      SETTINGS,
      AS_OF,
    );
    expect(snap.cohorts.map((c) => c.cohort)).toEqual(starts.slice(2));
    expect(snap.cohorts[0]!.retention).toHaveLength(13); // Feb 2025 → Mar 2026
    expect(snap.cohorts[0]!.retention.every((r) => r === 1)).toBe(true);
  });
});

describe('churnReasons', () => {
  it('uses the latest cancellation effective within the month up to the close, trimmed, else unknown', () => {
    const cancelled = (id: string, cancellations: { subscriptionId: string; effectiveAt: string; reason?: string }[]) =>
      customer(
        id,
        [line(100, '2026-02-10', '2026-03-10', { subscriptionId: 's1' }), line(50, '2026-02-10', '2026-03-10', { subscriptionId: 's2' })],
        {
          cancellations,
        },
      );
    const snap = computeSnapshot(
      [
        cancelled('a', [{ subscriptionId: 's1', effectiveAt: '2026-03-05', reason: '  Too expensive ' }]),
        cancelled('b', [
          { subscriptionId: 's1', effectiveAt: '2026-03-01', reason: 'bugs' },
          { subscriptionId: 's2', effectiveAt: '2026-03-06', reason: 'Too expensive' },
        ]),
        cancelled('c', [{ subscriptionId: 's1', effectiveAt: '2026-03-05', reason: '   ' }]),
        cancelled('d', []),
        cancelled('e', [{ subscriptionId: 's1', effectiveAt: '2026-03-25', reason: 'later' }]), // after the close
        // An add-on cancelled long before the month did not cause this churn (the lines just lapsed).
        cancelled('f', [{ subscriptionId: 's9', effectiveAt: '2025-01-20', reason: 'old add-on' }]),
        openClose('kept', 100, 100),
      ],
      SETTINGS,
      AS_OF,
    );
    expect(snap.churnReasons).toEqual({
      'Too expensive': { customers: 2, mrr: 300 },
      unknown: { customers: 4, mrr: 600 },
    });
  });
});

describe('names that come from exports', () => {
  it('keeps a plan or reason called "__proto__" as ordinary data', () => {
    const snap = computeSnapshot(
      [
        customer('x', [line(100, '2026-02-10', '2026-03-10', { plan: '__proto__', subscriptionId: 's' })], {
          cancellations: [{ subscriptionId: 's', effectiveAt: '2026-03-05', reason: '__proto__' }],
        }),
      ],
      SETTINGS,
      AS_OF,
    );
    expect(Object.keys(snap.byPlan)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(snap.churnReasons, '__proto__')?.value).toEqual({ customers: 1, mrr: 100 });
    expect(JSON.parse(JSON.stringify(snap)).churnReasons).toEqual(JSON.parse('{"__proto__":{"customers":1,"mrr":100}}'));
  });
});
