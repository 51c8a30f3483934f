import { describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { customer, line, SETTINGS } from './builders';

const AS_OF = '2026-03-20';

describe('a customer whose early lines were archived out of the profile', () => {
  // Churned in 2022 (lines archived), back this month: a reactivation, not a new customer.
  const returning = (archived?: string) => ({
    ...customer('back', [line(100, '2026-03-05', '2026-04-05')]),
    ...(archived ? { archivedFirstActiveDay: archived } : {}),
  });
  // Paying without a break since 2021, only the recent lines kept (from November): mature, not adoption.
  const loyal = (archived?: string) => ({
    ...customer(
      'loyal',
      [
        ['2025-11-01', '2025-12-01'],
        ['2025-12-01', '2026-01-01'],
        ['2026-01-01', '2026-02-01'],
        ['2026-02-01', '2026-03-01'],
        ['2026-03-01', '2026-04-01'],
      ].map(([start, end], i) => line(100, start, end, { invoiceId: `in_${i}` })),
    ),
    ...(archived ? { archivedFirstActiveDay: archived } : {}),
  });

  it('counts a return after archived activity as a reactivation', () => {
    expect(computeSnapshot([returning()], SETTINGS, AS_OF).customers).toMatchObject({ new: 1, reactivated: 0 });
    expect(computeSnapshot([returning('2021-06-01')], SETTINGS, AS_OF).customers).toMatchObject({ new: 0, reactivated: 1 });
  });

  it('dates the lifecycle stage from the archived first active day', () => {
    expect(Object.keys(computeSnapshot([loyal()], SETTINGS, AS_OF).byLifecycle)).toEqual(['adoption']);
    expect(Object.keys(computeSnapshot([loyal('2021-06-01')], SETTINGS, AS_OF).byLifecycle)).toEqual(['mature']);
  });
});
