/**
 * A tiny simulated book for the forecast's unit tests: monthly customers whose daily usage follows a
 * latent engagement that drifts, and who leave at a month end with a chance that rises as engagement
 * falls. Small on purpose (tests stay fast); the realistic books live in local/sample-data and
 * test/support/independent-book.
 */
import { addMonthsClamped, dayFromNum, dayNum } from '../../../../lambdas/domain/dates';
import type { Cancellation, CustomerTimeline, DayActivity, LedgerLine } from '../../../../lambdas/domain/types';
import { mulberry32 as seeded } from '../../../../local/sample-data/prng';

export interface TinyBookOptions {
  seed: number;
  customers: number;
  start: string;
  months: number;
}

export function tinyBook(opts: TinyBookOptions): CustomerTimeline[] {
  const next = seeded(opts.seed);
  const out: CustomerTimeline[] = [];
  for (let i = 0; i < opts.customers; i++) {
    const customerId = `c${String(i).padStart(4, '0')}`;
    const joinMonth = Math.floor(next() * (opts.months / 2));
    let engagement = 0.3 + next() * 0.6;
    const lines: LedgerLine[] = [];
    const cancellations: Cancellation[] = [];
    const activity: Record<string, DayActivity> = {};
    for (let m = joinMonth; m < opts.months; m++) {
      const start = addMonthsClamped(opts.start, m);
      const end = addMonthsClamped(opts.start, m + 1);
      lines.push({
        invoiceId: `in_${customerId}_${m}`,
        lineId: '1',
        subscriptionId: `sub_${customerId}`,
        amount: 100,
        currency: 'USD',
        periodStart: start,
        periodEnd: end,
        status: 'paid',
        issuedAt: start,
      });
      engagement = Math.min(0.95, Math.max(0.02, engagement + (next() - 0.55) * 0.25));
      for (let d = dayNum(start); d < dayNum(end); d++) {
        if (next() < engagement)
          activity[dayFromNum(d)] = { events: 3, features: { dashboard: 2, reports: 1 }, users: 1 + Math.floor(engagement * 5) };
      }
      const churnChance = 1 / (1 + Math.exp(-(-3.2 + 5 * (0.35 - engagement))));
      if (m < opts.months - 1 && next() < churnChance) {
        // Half give notice a month ahead: their last month is then on the save list.
        if (next() < 0.5)
          cancellations.push({ subscriptionId: `sub_${customerId}`, effectiveAt: end, canceledAt: start, reason: 'too_expensive' });
        break;
      }
    }
    out.push({ customerId, lines, cancellations, activity, featureFirstSeen: {} });
  }
  return out;
}
