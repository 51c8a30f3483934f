import { describe, expect, it } from 'vitest';
import type { ChurnCause, CustomerTruth, InvoiceLineRecord } from '../../../support/independent-book';
import { activeDaysIn, dailyEventCounts, dayNumber, median, theDefaultBook } from './helpers';

const book = theDefaultBook();
const { truth } = book;
const accounts = truth.accounts;
const asOf = truth.asOf;
const churnsInHistory = accounts.flatMap((a) => a.churns.filter((c) => c.churnedOn <= asOf).map((c) => ({ account: a, churn: c })));
const eventsByDay = dailyEventCounts(book);
const linesBySubscription = new Map<string, InvoiceLineRecord[]>();
for (const l of book.invoiceLines) linesBySubscription.set(l.subscription_id, [...(linesBySubscription.get(l.subscription_id) ?? []), l]);
const cancellationBySubscription = new Map(book.cancellations.map((c) => [c.subscription_id, c]));

const eventsIn = (a: CustomerTruth, from: number, to: number): number => {
  const days = eventsByDay.get(a.customerId);
  let n = 0;
  for (let d = from; d < to; d++) n += days?.get(d) ?? 0;
  return n;
};

/** Active days per 28 days in [from, to). */
const activityRate = (a: CustomerTruth, from: number, to: number): number =>
  (28 * activeDaysIn(eventsByDay.get(a.customerId), from, to)) / Math.max(1, to - from);

describe('independent book: the default book (1,000 customers, 24 months)', () => {
  it('has a realistic size, growth and monthly logo churn of 1.5–3 %', () => {
    expect(book.customers).toHaveLength(1000);
    expect(truth.summary.meanMonthlyLogoChurn).toBeGreaterThanOrEqual(0.015);
    expect(truth.summary.meanMonthlyLogoChurn).toBeLessThanOrEqual(0.03);
    for (const m of truth.monthly) expect(m.rate!, m.month).toBeLessThan(0.07);
    expect(truth.monthly.at(-1)!.customersStart).toBeGreaterThan(truth.monthly[0]!.customersStart);
    expect(book.usage.size).toBeGreaterThan(300_000);
  });

  it('sells mostly monthly plans, some quarterly and annual, at several price points in USD and EUR', () => {
    const base = book.invoiceLines.filter((l) => /-(monthly|quarterly|annual)$/.test(l.plan));
    const share = (term: string) => base.filter((l) => l.plan.endsWith(term)).length / base.length;
    expect(share('-monthly')).toBeGreaterThan(0.6);
    expect(share('-quarterly')).toBeGreaterThan(0.02);
    expect(share('-annual')).toBeGreaterThan(0.01);
    expect(new Set(base.map((l) => `${l.plan}/${l.currency}/${l.amount}`)).size).toBeGreaterThanOrEqual(12);
    expect(book.invoiceLines.filter((l) => l.currency === 'EUR').length).toBeGreaterThan(base.length * 0.1);
    expect(book.invoiceLines.some((l) => l.period_start === l.period_end)).toBe(true); // one-time onboarding fee
    expect(book.invoiceLines.some((l) => l.line_id === '2')).toBe(true); // multi-line invoices
  });

  it('shows every churn mechanism, with about a third of churners giving notice', () => {
    const causes: ChurnCause[] = [
      'disengagement',
      'champion_left',
      'team_shrank',
      'failed_onboarding',
      'budget_cut',
      'annual_non_renewal',
      'involuntary',
    ];
    for (const cause of causes) expect(truth.summary.churnsByCause[cause], cause).toBeGreaterThanOrEqual(3);
    expect(truth.summary.noticeShareOfChurns).toBeGreaterThan(0.22);
    expect(truth.summary.noticeShareOfChurns).toBeLessThan(0.45);
  });

  it('records each churn as the billing shows it: notice weeks ahead, at period end, or silently', () => {
    for (const { account, churn } of churnsInHistory) {
      const where = `${account.customerId} ${churn.subscriptionId} ${churn.cause}`;
      const lines = linesBySubscription.get(churn.subscriptionId)!.filter((l) => l.status !== 'void' && l.period_start < l.period_end);
      const covered = (day: string) => lines.some((l) => l.period_start <= day && day < l.period_end);
      const cancellation = cancellationBySubscription.get(churn.subscriptionId);
      const lastDay = new Date(dayNumber(churn.churnedOn) * 86_400_000 - 86_400_000).toISOString().slice(0, 10);
      expect(covered(lastDay), where).toBe(true);
      if (churn.notice === 'silent') {
        expect(cancellation, where).toBeUndefined();
        expect(covered(churn.churnedOn), where).toBe(false);
      } else {
        expect(cancellation?.effective_at, where).toBe(churn.churnedOn);
        const lead = dayNumber(churn.churnedOn) - dayNumber(cancellation!.canceled_at);
        if (churn.notice === 'notice') expect(lead, where).toBeGreaterThanOrEqual(14);
        else expect(lead, where).toBeLessThanOrEqual(3);
      }
    }
  });

  it('ends involuntary churn after a failed invoice that was never recovered; recovers most failures', () => {
    const involuntary = churnsInHistory.filter(({ churn }) => churn.cause === 'involuntary');
    for (const { churn } of involuntary) {
      expect(cancellationBySubscription.get(churn.subscriptionId)?.reason).toBe('payment_failed');
      const last = linesBySubscription.get(churn.subscriptionId)!.at(-1)!;
      expect(last.status).toBe('failed');
    }
    const failures = accounts.flatMap((a) => a.paymentFailures);
    const recovered = failures.filter((f) => f.recovered).length;
    expect(recovered / failures.length).toBeGreaterThan(0.5);
    expect(recovered).toBeLessThan(failures.length);
    const failedInvoices = new Set(book.invoiceLines.filter((l) => l.status === 'failed').map((l) => l.invoice_id));
    for (const f of failures) expect(failedInvoices.has(f.invoiceId)).toBe(true);
  });

  it('lets usage decline before disengagement-type churns, while budget cuts strike healthy accounts', () => {
    // Events in the 28 days before the decision against a 60-day window 3–5 months earlier, for
    // accounts old enough to have that baseline.
    const decline = (causes: ChurnCause[]) =>
      churnsInHistory
        .filter(
          ({ account, churn }) =>
            causes.includes(churn.cause) &&
            dayNumber(churn.decidedOn) - Math.max(dayNumber(truth.historyStart), dayNumber(account.createdAt)) >= 200,
        )
        .map(({ account, churn }) => {
          const decided = dayNumber(churn.decidedOn);
          return (eventsIn(account, decided - 28, decided) + 1) / ((eventsIn(account, decided - 150, decided - 90) * 28) / 60 + 1);
        });
    const declining = decline(['disengagement', 'champion_left', 'team_shrank']);
    const abrupt = decline(['budget_cut']);
    expect(declining.length).toBeGreaterThan(50);
    expect(abrupt.length).toBeGreaterThan(10);
    expect(median(declining)).toBeLessThan(0.75);
    expect(median(abrupt)).toBeGreaterThan(median(declining));
    const valueAt = (cause: ChurnCause) =>
      median(churnsInHistory.filter(({ churn }) => churn.cause === cause).map(({ churn }) => churn.valueAtDecision));
    expect(valueAt('budget_cut')).toBeGreaterThan(valueAt('disengagement') + 0.8);
  });

  it('has seasonal dippers whose usage falls in the dip and comes back, without churning for it', () => {
    const seasonal = accounts.filter((a) => a.traits.seasonal && a.seasonalDips.length > 0);
    expect(seasonal.length).toBeGreaterThan(40);
    const inDip: number[] = [];
    const after: number[] = [];
    let churnedSoonAfter = 0;
    let dips = 0;
    for (const a of seasonal) {
      for (const dip of a.seasonalDips) {
        const from = dayNumber(dip.from);
        const to = dayNumber(dip.to);
        if (to + 42 > dayNumber(asOf) || from - 56 < dayNumber(truth.historyStart)) continue;
        const before = activityRate(a, from - 56, from);
        if (before < 2) continue;
        dips++;
        inDip.push(activityRate(a, from + 3, to) / before);
        after.push(activityRate(a, to + 7, to + 42) / before);
        if (a.churns.some((c) => c.churnedOn >= dip.from && dayNumber(c.churnedOn) < to + 60)) churnedSoonAfter++;
      }
    }
    expect(dips).toBeGreaterThan(30);
    expect(median(inDip)).toBeLessThan(0.5);
    expect(median(after)).toBeGreaterThan(0.75);
    expect(churnedSoonAfter / dips).toBeLessThan(0.08);
  });

  it('has annual accounts that go quiet before renewal: some renew anyway, some churn at renewal', () => {
    const quiet = accounts.flatMap((a) => a.quietRenewals);
    expect(quiet.filter((q) => q.renewed).length).toBeGreaterThan(10);
    expect(quiet.filter((q) => !q.renewed).length).toBeGreaterThan(5);
    const churnRate = (valueLoss: boolean) => {
      const group = quiet.filter((q) => q.valueLoss === valueLoss);
      return group.filter((q) => !q.renewed).length / group.length;
    };
    expect(churnRate(true)).toBeGreaterThan(churnRate(false));
  });

  it('has accounts settled at low usage that churn no more than the rest', () => {
    const low = accounts.filter((a) => a.traits.settledLow);
    const rest = accounts.filter((a) => !a.traits.settledLow);
    expect(low.length).toBeGreaterThan(50);
    const eventsPerActiveDay = (group: CustomerTruth[]) =>
      median(
        group.map(
          (a) =>
            [...(eventsByDay.get(a.customerId)?.values() ?? [])].reduce((s, n) => s + n, 0) /
            Math.max(1, eventsByDay.get(a.customerId)?.size ?? 0),
        ),
      );
    const activeDays = (group: CustomerTruth[]) => median(group.map((a) => eventsByDay.get(a.customerId)?.size ?? 0));
    expect(activeDays(low)).toBeLessThan(activeDays(rest) * 0.6);
    expect(eventsPerActiveDay(low)).toBeLessThan(eventsPerActiveDay(rest));
    const churnShare = (group: CustomerTruth[]) => group.filter((a) => a.churns.some((c) => c.churnedOn <= asOf)).length / group.length;
    expect(churnShare(low)).toBeLessThan(churnShare(rest));
  });

  it('has growing and shrinking teams, upgrades (some prorated mid-cycle), downgrades and reactivations', () => {
    expect(accounts.filter((a) => a.teamSize.max > a.teamSize.first).length).toBeGreaterThan(100);
    expect(accounts.filter((a) => a.teamSize.min < a.teamSize.first).length).toBeGreaterThan(100);
    const m = truth.summary.mechanisms;
    expect(m.upgrades).toBeGreaterThan(20);
    expect(m.downgrades).toBeGreaterThan(20);
    expect(m.layoffs).toBeGreaterThan(20);
    expect(m.championDepartures).toBeGreaterThan(50);
    const partial = book.invoiceLines.filter((l) => {
      const days = dayNumber(l.period_end) - dayNumber(l.period_start);
      return days > 0 && Math.abs(days - 30.4375 * Math.max(1, Math.round(days / 30.4375))) > 3;
    });
    expect(partial.length).toBeGreaterThan(5);
    expect(m.reactivations).toBeGreaterThan(5);
    for (const a of accounts) {
      for (const r of a.reactivations) {
        expect(a.churns.some((c) => c.churnedOn < r.on)).toBe(true);
        expect(linesBySubscription.get(r.subscriptionId)?.[0]?.period_start).toBe(r.on);
      }
    }
  });

  it('records usage only while a subscription is live', () => {
    const live = new Map(
      accounts.map((a) => [
        a.customerId,
        a.subscriptions.map((s) => [dayNumber(s.from), s.to === null ? Infinity : dayNumber(s.to)] as const),
      ]),
    );
    const outside: string[] = [];
    for (const [customerId, days] of eventsByDay) {
      const spans = live.get(customerId)!;
      for (const d of days.keys()) if (!spans.some(([from, to]) => from <= d && d < to)) outside.push(`${customerId} day ${d}`);
    }
    expect(outside.slice(0, 5)).toEqual([]);
  });
});
