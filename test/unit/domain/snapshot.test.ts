import { describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { annualizedFromMonth, compoundChurn } from '../../../lambdas/domain/rates';
import { customer, line, SETTINGS } from './builders';

describe('movements (docs/metrics.md §3.2) for March 2026, asOf 2026-03-20', () => {
  const customers = [
    customer('steady', [line(100, '2026-02-15', '2026-03-15'), line(100, '2026-03-15', '2026-04-15')]),
    customer('expander', [line(100, '2026-02-10', '2026-03-10'), line(150, '2026-03-10', '2026-04-10')]),
    customer('contractor', [line(200, '2026-02-10', '2026-03-10'), line(120, '2026-03-10', '2026-04-10')]),
    customer('churner', [line(100, '2026-02-05', '2026-03-05')]),
    customer('newbie', [line(80, '2026-03-05', '2026-04-05')]),
    customer('returner', [line(100, '2025-10-01', '2025-11-01'), line(60, '2026-03-03', '2026-04-03')]),
    // 10 days pro rata: active inside March only, never before.
    customer('flash', [line(50, '2026-03-02', '2026-03-12')]),
    // Back inside March after a gap, gone again by the close: no movement, and not newChurned.
    customer('brief-return', [line(100, '2025-10-01', '2025-11-01'), line(50, '2026-03-02', '2026-03-12')]),
    customer('void-only', [line(100, '2026-03-01', '2026-04-01', { status: 'void' })]),
    customer('one-time', [line(900, undefined, undefined)]),
  ];
  const snap = computeSnapshot(customers, SETTINGS, '2026-03-20');

  it('reports the period and currency', () => {
    expect(snap.period).toEqual({ start: '2026-03-01', end: '2026-03-20' });
    expect(snap.currency).toBe('USD');
    expect(snap.asOf).toBe('2026-03-20');
  });

  it('classifies every customer', () => {
    expect(snap.customers).toEqual({ start: 4, new: 1, reactivated: 1, churned: 1, newChurned: 1, end: 5 });
    expect(snap.mrr).toEqual({ start: 500, new: 80, expansion: 50, contraction: 80, churned: 100, reactivation: 60, end: 510 });
  });

  it('computes the rates from the movements', () => {
    expect(snap.logoChurnRate).toBe(1 / 4);
    expect(snap.grossMrrChurnRate).toBeCloseTo(180 / 500, 12);
    expect(snap.netMrrChurnRate).toBeCloseTo(130 / 500, 12);
    expect(snap.ndr).toBeCloseTo(370 / 500, 12);
    expect(snap.grr).toBeCloseTo(320 / 500, 12);
    expect(snap.annualizedFromMonth).toBeCloseTo(1 - 0.75 ** 12, 12);
  });
});

describe('seed examples', () => {
  const steady = (id: string) => customer(id, [line(100, '2026-02-15', '2026-03-15'), line(100, '2026-03-15', '2026-04-15')]);
  const gone = (id: string) => customer(id, [line(100, '2026-02-05', '2026-03-05')]);

  it('10 customers at the start, 5 join, 12 at the end with one newcomer gone: churned 2, newChurned 1, 20 %', () => {
    const customers = [
      ...Array.from({ length: 8 }, (_, i) => steady(`s${i}`)),
      gone('g1'),
      gone('g2'),
      ...Array.from({ length: 4 }, (_, i) => customer(`n${i}`, [line(50, '2026-03-10', '2026-04-10')])),
      customer('n-gone', [line(50, '2026-03-10', '2026-04-10', { subscriptionId: 'sub_n' })], {
        cancellations: [{ subscriptionId: 'sub_n', effectiveAt: '2026-03-20', reason: 'trial only' }],
      }),
    ];
    const snap = computeSnapshot(customers, SETTINGS, '2026-03-31');
    expect(snap.customers).toEqual({ start: 10, new: 4, reactivated: 0, churned: 2, newChurned: 1, end: 12 });
    expect(snap.logoChurnRate).toBe(0.2);
    // Started and churned inside the month: not a churn reason of the month.
    expect(snap.churnReasons).toEqual({ unknown: { customers: 2, mrr: 200 } });
  });

  it('5 % monthly logo churn annualises to 45.96 %, 8 % to 63.2 %', () => {
    const five = computeSnapshot([...Array.from({ length: 19 }, (_, i) => steady(`s${i}`)), gone('g')], SETTINGS, '2026-03-31');
    expect(five.logoChurnRate).toBe(0.05);
    expect(five.annualizedFromMonth!).toBeCloseTo(0.4596, 4);

    const eight = computeSnapshot(
      [...Array.from({ length: 23 }, (_, i) => steady(`s${i}`)), gone('g1'), gone('g2')],
      SETTINGS,
      '2026-03-31',
    );
    expect(eight.logoChurnRate).toBe(0.08);
    expect(eight.annualizedFromMonth!).toBeCloseTo(0.632, 3);
    expect(annualizedFromMonth(0.05)!).toBeCloseTo(0.4596, 4);
  });
});

describe('zero denominators', () => {
  it('gives null rates for an empty book, and a 0 annualised churn', () => {
    const snap = computeSnapshot([], SETTINGS, '2026-03-20');
    for (const k of [
      'logoChurnRate',
      'grossMrrChurnRate',
      'netMrrChurnRate',
      'ndr',
      'grr',
      'ndr12m',
      'grr12m',
      'annualizedFromMonth',
    ] as const) {
      expect(snap[k]).toBeNull();
    }
    expect(snap.annualizedLogoChurn).toBe(0);
    expect(snap.trend).toHaveLength(12);
    expect(snap.trend.every((t) => t.logoChurnRate === null && t.ndr === null && t.mrrStart === 0)).toBe(true);
    expect(snap.byPlan).toEqual({});
    expect(snap.cohorts).toEqual([]);
    expect(snap.atRisk).toEqual([]);
  });

  it('gives null rates when only new customers exist', () => {
    const snap = computeSnapshot([customer('n', [line(80, '2026-03-05', '2026-04-05')])], SETTINGS, '2026-03-20');
    expect(snap.customers.start).toBe(0);
    expect(snap.mrr.new).toBe(80);
    expect(snap.logoChurnRate).toBeNull();
    expect(snap.ndr).toBeNull();
  });
});

describe('annualised logo churn over 12 months', () => {
  it('compounds the monthly rates, months without customers counting 0', () => {
    // Four customers active from May 2025; one leaves in December 2025, one in March 2026.
    const year = (id: string, end: string) => customer(id, [line(100 * 10, '2025-05-01', end)]);
    const customers = [year('a', '2027-05-01'), year('b', '2027-05-01'), year('c', '2025-12-15'), year('d', '2026-03-10')];
    const snap = computeSnapshot(customers, SETTINGS, '2026-03-31');
    expect(snap.trend.map((t) => t.month)).toEqual([
      '2025-04',
      '2025-05',
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
    ]);
    expect(snap.trend[0]!.logoChurnRate).toBeNull(); // April 2025: nobody yet
    expect(snap.trend[1]!.logoChurnRate).toBeNull(); // May: nobody on April 30
    expect(snap.trend[2]!.logoChurnRate).toBe(0);
    expect(snap.trend[8]!.logoChurnRate).toBe(1 / 4);
    expect(snap.trend[11]!.logoChurnRate).toBe(1 / 3);
    expect(snap.logoChurnRate).toBe(1 / 3);
    expect(snap.annualizedLogoChurn).toBeCloseTo(1 - (3 / 4) * (2 / 3), 12);
    expect(compoundChurn([null, 0.25, 1 / 3])).toBeCloseTo(0.5, 12);
  });
});

describe('ndr12m and grr12m', () => {
  it('compare MRR on asOf with MRR twelve months earlier for the customers active then', () => {
    const customers = [
      customer('x', [line(1200, '2025-01-01', '2026-01-01'), line(1800, '2026-01-01', '2027-01-01')]), // 100 → 150
      customer('y', [line(2400, '2025-01-01', '2026-01-01')]), // 200 → 0
      customer('z', [line(300, '2026-03-01', '2026-04-01')]), // 0 → 300: not counted
      customer('w', [line(1200, '2025-01-01', '2026-01-01'), line(40, '2026-03-01', '2026-04-01')]), // 100 → 40
    ];
    const snap = computeSnapshot(customers, SETTINGS, '2026-03-20');
    expect(snap.ndr12m).toBeCloseTo((150 + 0 + 40) / 400, 12);
    expect(snap.grr12m).toBeCloseTo((100 + 0 + 40) / 400, 12);
  });

  it('clamps d0 to the month end (asOf 2024-02-29 → d0 2023-02-28)', () => {
    const c = customer('leap', [line(100, '2023-02-01', '2023-03-01'), line(100, '2024-02-01', '2024-03-01')]);
    const snap = computeSnapshot([c], SETTINGS, '2024-02-29');
    expect(snap.ndr12m).toBe(1);
    expect(snap.grr12m).toBe(1);
  });
});

describe('FX and diagnostics', () => {
  it('converts foreign lines and counts lines without a rate instead of failing', () => {
    const snap = computeSnapshot(
      [
        customer('eur', [
          line(100, '2026-02-15', '2026-03-15', { currency: 'EUR' }),
          line(100, '2026-03-15', '2026-04-15', { currency: 'eur' }),
        ]),
        customer('jpy', [line(10000, '2026-02-15', '2026-03-15', { currency: 'JPY' })]),
      ],
      SETTINGS,
      '2026-03-20',
    );
    expect(snap.mrr.start).toBeCloseTo(110, 12);
    expect(snap.mrr.end).toBeCloseTo(110, 12);
    expect(snap.customers.start).toBe(1);
    expect(snap.diagnostics?.linesWithoutFxRate).toEqual({ JPY: 1 });
  });
});

describe('mid-period cancellation', () => {
  it('churns a customer whose paid period runs on past the cancellation', () => {
    const c = customer('cx', [line(1200, '2025-06-01', '2026-06-01', { subscriptionId: 'sub' })], {
      cancellations: [{ subscriptionId: 'sub', effectiveAt: '2026-03-10', reason: 'budget' }],
    });
    const before = computeSnapshot([c], SETTINGS, '2026-03-09');
    expect(before.customers.churned).toBe(0);
    expect(before.customers.end).toBe(1);
    const after = computeSnapshot([c], SETTINGS, '2026-03-10');
    expect(after.customers.churned).toBe(1);
    expect(after.mrr.churned).toBe(100);
    expect(after.churnReasons).toEqual({ budget: { customers: 1, mrr: 100 } });
  });
});

describe('incomplete profiles', () => {
  it('treats missing lines, cancellations, activity and feature data as empty', () => {
    const bare = { customerId: 'bare' } as unknown as Parameters<typeof computeSnapshot>[0] extends Iterable<infer C> ? C : never;
    const paying = {
      customerId: 'paying',
      lines: [line(100, '2026-02-15', '2026-03-15'), line(100, '2026-03-15', '2026-04-15')],
    } as typeof bare;
    const snap = computeSnapshot([bare, paying], { ...SETTINGS, coreFeatures: ['reports'] }, '2026-03-20');
    expect(snap.customers.start).toBe(1);
    expect(snap.customers.end).toBe(1);
    // Paying since Feb 15 (33 days) without a core feature in the window.
    expect(snap.atRisk.map((c) => c.reasons.map((r) => r.code))).toEqual([['core_feature_unused']]);
  });
});

describe('SnapshotBuilder', () => {
  it('gives the same snapshot fed one customer at a time, in any order', async () => {
    const { SnapshotBuilder } = await import('../../../lambdas/domain/snapshot');
    const customers = [
      customer('b', [line(100, '2026-02-15', '2026-03-15'), line(120, '2026-03-15', '2026-04-15')]),
      customer('a', [line(100, '2026-02-05', '2026-03-05')]),
      customer('c', [line(80, '2026-03-05', '2026-04-05')]),
    ];
    const builder = new SnapshotBuilder(SETTINGS, '2026-03-20');
    for (const c of [customers[2]!, customers[0]!, customers[1]!]) builder.add(c);
    expect(builder.size).toBe(3);
    const built = builder.finish();
    expect(built).toEqual(computeSnapshot(customers, SETTINGS, '2026-03-20'));
    expect(built.customers).toEqual({ start: 2, new: 1, reactivated: 0, churned: 1, newChurned: 0, end: 2 });
    expect(built.mrr.expansion).toBe(20);
  });
});

describe('the save list', () => {
  it('orders cancellations by date, then MRR, then customer id, whatever order the customers arrive in', () => {
    const lines = [line(100, '2026-03-10', '2026-04-10', { subscriptionId: 's' })];
    const cancellation = { subscriptionId: 's', effectiveAt: '2026-04-10', canceledAt: '2026-03-12' };
    const ids = ['c', 'a', 'd', 'b'];
    const customers = ids.map((id) => customer(id, lines, { cancellations: [cancellation] }));
    for (const order of [customers, customers.slice().reverse()]) {
      const snap = computeSnapshot(order, SETTINGS, '2026-03-20');
      expect(snap.scheduledChurn.map((c) => c.customerId)).toEqual(['a', 'b', 'c', 'd']);
    }
  });
});
