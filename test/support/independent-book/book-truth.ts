import { addMonths, dayOf, firstOfMonth, isoOf, monthKey, type DayNumber } from './calendar';
import type { BookSummary, ChurnCause, CustomerTruth, MonthlyChurn } from './types';

/** Days on which the account had MRR: its subscriptions' [from, to) intervals. */
function activeOn(account: CustomerTruth, day: DayNumber): boolean {
  for (const s of account.subscriptions) {
    if (dayOf(s.from) <= day && (s.to === null || day < dayOf(s.to))) return true;
  }
  return false;
}

/**
 * Logo churn per calendar month as docs/metrics.md §3.3 defines it (active on the day before the month vs. at
 * its close), from the ground-truth intervals, so tests can compare it with what the pipeline says.
 */
export function monthlyLogoChurn(accounts: readonly CustomerTruth[], historyStart: DayNumber, asOf: DayNumber): MonthlyChurn[] {
  const months: MonthlyChurn[] = [];
  // The first month counted is the first whole one whose eve lies inside the history.
  let month = firstOfMonth(historyStart) === historyStart ? historyStart : addMonths(firstOfMonth(historyStart), 1);
  for (; month <= asOf; month = addMonths(month, 1)) {
    const eve = month - 1;
    const close = Math.min(asOf, addMonths(month, 1) - 1);
    let start = 0;
    let churned = 0;
    for (const a of accounts) {
      if (!activeOn(a, eve)) continue;
      start++;
      if (!activeOn(a, close)) churned++;
    }
    months.push({ month: monthKey(month), customersStart: start, churned, rate: start === 0 ? null : churned / start });
  }
  return months;
}

export function summarise(
  accounts: readonly CustomerTruth[],
  monthly: readonly MonthlyChurn[],
  asOf: DayNumber,
  counts: { invoiceLines: number; cancellations: number; events: number },
): BookSummary {
  const asOfIso = isoOf(asOf);
  const churns = accounts.flatMap((a) => a.churns).filter((c) => c.churnedOn <= asOfIso);
  const byCause = Object.fromEntries(
    (
      [
        'disengagement',
        'champion_left',
        'team_shrank',
        'failed_onboarding',
        'budget_cut',
        'annual_non_renewal',
        'involuntary',
      ] as ChurnCause[]
    ).map((c) => [c, 0]),
  ) as Record<ChurnCause, number>;
  for (const c of churns) byCause[c.cause]++;
  const rates = monthly.map((m) => m.rate).filter((r): r is number => r !== null);
  const failures = accounts.flatMap((a) => a.paymentFailures);
  const quiet = accounts.flatMap((a) => a.quietRenewals);
  const changes = accounts.flatMap((a) => a.planChanges);
  return {
    ...counts,
    churns: churns.length,
    meanMonthlyLogoChurn: rates.length ? rates.reduce((s, r) => s + r, 0) / rates.length : 0,
    noticeShareOfChurns: churns.length ? churns.filter((c) => c.notice === 'notice').length / churns.length : 0,
    churnsByCause: byCause,
    activeAtAsOf: accounts.filter((a) => a.activeAtAsOf).length,
    mechanisms: {
      seasonalAccounts: accounts.filter((a) => a.traits.seasonal).length,
      seasonalDips: accounts.reduce((s, a) => s + a.seasonalDips.length, 0),
      settledLowAccounts: accounts.filter((a) => a.traits.settledLow).length,
      failedOnboardingAccounts: accounts.filter((a) => a.traits.failedOnboarding).length,
      paymentFailures: failures.length,
      paymentFailuresRecovered: failures.filter((f) => f.recovered).length,
      quietAnnualRenewals: quiet.filter((q) => q.renewed).length,
      quietAnnualChurns: quiet.filter((q) => !q.renewed).length,
      upgrades: changes.filter((c) => c.kind === 'upgrade').length,
      downgrades: changes.filter((c) => c.kind === 'downgrade').length,
      termChanges: changes.filter((c) => c.kind === 'term_change').length,
      reactivations: accounts.reduce((s, a) => s + a.reactivations.length, 0),
      championDepartures: accounts.reduce((s, a) => s + a.championDepartures.length, 0),
      layoffs: accounts.reduce((s, a) => s + a.layoffs.length, 0),
      erosions: accounts.filter((a) => a.erosion).length,
      scheduledAfterAsOf: accounts.flatMap((a) => a.churns).filter((c) => c.churnedOn > asOfIso).length,
    },
  };
}
