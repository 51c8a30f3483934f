/** Small builders for hand-written ledgers in the domain tests. */
import type { Cancellation, CustomerTimeline, DayActivity, EngineSettings, LedgerLine } from '../../../lambdas/domain/types';
import { addDays } from '../../../lambdas/domain/dates';

export const SETTINGS: EngineSettings = {
  reportingCurrency: 'USD',
  fxRates: { EUR: 1.1 },
  coreFeatures: [],
  retentionFeatures: [],
  tierA: 1000,
  tierB: 100,
};

let seq = 0;

/** A paid USD line for [start, end); pass overrides for anything else. */
export function line(amount: number, start: string | undefined, end: string | undefined, over: Partial<LedgerLine> = {}): LedgerLine {
  seq++;
  return {
    invoiceId: `in_${seq}`,
    lineId: 'li_1',
    amount,
    currency: 'USD',
    periodStart: start,
    periodEnd: end,
    status: 'paid',
    ...over,
  };
}

/** Consecutive monthly lines of `amount` starting on `firstStart` (months as listed: [start, end) pairs). */
export function monthly(amount: number, periods: [string, string][], over: Partial<LedgerLine> = {}): LedgerLine[] {
  return periods.map(([s, e]) => line(amount, s, e, over));
}

export function customer(
  customerId: string,
  lines: LedgerLine[],
  over: Partial<CustomerTimeline> & { cancellations?: Cancellation[] } = {},
): CustomerTimeline {
  return { customerId, lines, cancellations: [], activity: {}, featureFirstSeen: {}, ...over };
}

/** Activity with `events` events of `features` on each listed day. */
export function activityOn(days: string[], features: string[] = ['dashboard'], events = 1): Record<string, DayActivity> {
  const out: Record<string, DayActivity> = {};
  for (const d of days) out[d] = { events: events * features.length, features: Object.fromEntries(features.map((f) => [f, events])) };
  return out;
}

/** `count` consecutive days ending `last` (inclusive). */
export function daysEnding(last: string, count: number): string[] {
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) out.push(addDays(last, -i));
  return out;
}
