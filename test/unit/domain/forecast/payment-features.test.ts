import { describe, expect, it } from 'vitest';
import { dayNum } from '../../../../lambdas/domain/dates';
import { assessCustomer } from '../../../../lambdas/domain/forecast/assess';
import { windowCalendar } from '../../../../lambdas/domain/forecast/backtest';
import { DUNNING_WINDOW_DAYS, FEATURES } from '../../../../lambdas/domain/forecast/features';
import { buildCustomerMrr } from '../../../../lambdas/domain/mrr';
import type { LedgerLine } from '../../../../lambdas/domain/types';
import { activityOn, customer, daysEnding, line, SETTINGS } from '../builders';

const AS_OF = '2026-10-31';

/** A monthly customer, busy every day, with the given recurring lines. */
function paymentInputs(lines: LedgerLine[]) {
  const c = customer('c1', lines, { activity: activityOn(daysEnding(AS_OF, 120)) });
  const built = buildCustomerMrr(lines, [], SETTINGS);
  const a = assessCustomer(c, built, built.series.firstActiveDay(), windowCalendar(dayNum(AS_OF)), SETTINGS, 90)!;
  const value = (name: (typeof FEATURES)[number]) => a.row!.values[FEATURES.indexOf(name)];
  return { outstanding: value('payment_outstanding'), inDunning: value('payment_in_dunning'), daysAgo: a.row!.facts.failedChargeDaysAgo };
}

const month = (start: string, end: string, status: LedgerLine['status'], issuedAt = start) =>
  line(99, start, end, { subscriptionId: 'sub_1', status, issuedAt });

describe('payment inputs of the forecast', () => {
  it('a charge that failed within the dunning window is still being collected', () => {
    const f = paymentInputs([month('2026-09-20', '2026-10-20', 'paid'), month('2026-10-20', '2026-11-20', 'failed')]);
    expect(f).toEqual({ outstanding: 1, inDunning: 1, daysAgo: 11 });
  });

  it('a failed charge older than the window on a subscription still running is outstanding, no longer in dunning', () => {
    const start = '2026-10-05';
    expect(dayNum(AS_OF) - dayNum(start)).toBeGreaterThan(DUNNING_WINDOW_DAYS);
    const f = paymentInputs([month('2026-09-05', start, 'paid'), month(start, '2026-11-05', 'failed')]);
    expect(f).toEqual({ outstanding: 1, inDunning: 0, daysAgo: 26 });
  });

  it('a failure followed by a paid period was recovered: neither input is set', () => {
    const f = paymentInputs([month('2026-09-20', '2026-10-20', 'failed'), month('2026-10-20', '2026-11-20', 'paid')]);
    expect(f).toEqual({ outstanding: 0, inDunning: 0, daysAgo: null });
  });

  it('counts from the day the charge was issued, not the service period', () => {
    // Billed in advance: the invoice for November went out (and failed) on Oct 28.
    const f = paymentInputs([month('2026-10-01', '2026-11-01', 'paid'), month('2026-11-01', '2026-12-01', 'failed', '2026-10-28')]);
    expect(f).toEqual({ outstanding: 0, inDunning: 0, daysAgo: null });
    const g = paymentInputs([month('2026-10-01', '2026-11-01', 'failed', '2026-09-28')]);
    expect(g).toEqual({ outstanding: 1, inDunning: 0, daysAgo: 33 });
  });
});
