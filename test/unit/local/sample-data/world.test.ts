/**
 * The sample book behaves like a real one: churn at SaaS rates, driven by (but never certain from)
 * health, with abrupt, involuntary and renewal churn, seasonal dips that are not churn, notice given
 * ahead of cancellations, and customers arriving throughout. Measured on a generated book.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toNum } from '../../../../local/sample-data/calendar';
import { generateSampleSaas, type SampleSaas } from '../../../../local/sample-data/generate';
import { countIn, mean, measure, monthlyChurnRates, type BookMeasures } from './book-measures';

const AS_OF = '2026-03-15';
const HORIZON = 90;

describe('a generated book of 600 customers over 24 months', () => {
  let sample: SampleSaas;
  let m: BookMeasures;

  beforeAll(() => {
    sample = generateSampleSaas({ asOf: AS_OF, customers: 600, months: 24, seed: 99 });
    m = measure(sample);
  });

  it('loses 1.5–3 % of its customers a month and 7–15 % within 90 days', () => {
    const rates = monthlyChurnRates(sample, m);
    expect(mean(rates)).toBeGreaterThan(0.015);
    expect(mean(rates)).toBeLessThan(0.032);
    const ninety = m.monthEnds
      .filter((d) => d + HORIZON <= toNum(AS_OF))
      .map((d) => {
        const { base, churned } = m.churnedWithin(d, HORIZON);
        return churned.size / base.length;
      });
    expect(mean(ninety)).toBeGreaterThan(0.07);
    expect(mean(ninety)).toBeLessThan(0.15);
  });

  it('churns more at low health, without low health being a sentence', () => {
    // Every (customer, month end) with its health then and whether it churned within 90 days.
    const rows: { health: number; churned: boolean }[] = [];
    for (const end of m.monthEnds.filter((d) => d + HORIZON <= toNum(AS_OF))) {
      const { base, churned } = m.churnedWithin(end, HORIZON);
      const live = new Set(base);
      for (const c of sample.customers) {
        if (!live.has(c.customerId)) continue;
        const h = c.healthAtMonthEnd.find((x) => toNum(x.day) === end);
        if (h) rows.push({ health: h.health, churned: churned.has(c.customerId) });
      }
    }
    rows.sort((a, b) => a.health - b.health);
    const fifth = Math.floor(rows.length / 5);
    const rate = (q: number) => mean(rows.slice(q * fifth, (q + 1) * fifth).map((r) => (r.churned ? 1 : 0)));
    const quintiles = [0, 1, 2, 3, 4].map(rate);
    expect(quintiles[0]).toBeGreaterThan(3 * quintiles[4]!);
    expect(quintiles[0]).toBeGreaterThan(quintiles[2]!);
    expect(quintiles[2]).toBeGreaterThanOrEqual(quintiles[4]!);
    // Uncertain both ways: most low-health customers survive the quarter, some healthy ones do not.
    expect(quintiles[0]).toBeLessThan(0.6);
    expect(quintiles[4]).toBeGreaterThan(0);
  });

  it('has seasonal dippers whose usage dips every year without more churn than the rest', () => {
    const seasonal = sample.customers.filter((c) => c.archetype === 'seasonal').map((c) => c.customerId);
    const others = sample.customers.filter((c) => c.archetype === 'steady').map((c) => c.customerId);
    expect(seasonal.length).toBeGreaterThan(40);
    const churnShare = (ids: string[]) => {
      const rates = m.monthEnds
        .filter((d) => d + HORIZON <= toNum(AS_OF))
        .map((d) => {
          const { base, churned } = m.churnedWithin(d, HORIZON);
          const group = base.filter((id) => ids.includes(id));
          return group.filter((id) => churned.has(id)).length / Math.max(1, group.length);
        });
      return mean(rates);
    };
    expect(churnShare(seasonal)).toBeLessThanOrEqual(churnShare(others) * 1.3 + 0.01);

    // Each dipper's quietest 28 days are far below its own median month.
    let dipping = 0;
    for (const id of seasonal) {
      const days = m.activeDays.get(id);
      const windows = m.monthEnds.filter((d) => m.live(id, d - 60) && m.live(id, d)).map((d) => countIn(days, d - 27, d));
      if (windows.length < 12) continue;
      const sorted = [...windows].sort((a, b) => a - b);
      if (sorted[0]! <= sorted[Math.floor(sorted.length / 2)]! / 2) dipping++;
    }
    expect(dipping).toBeGreaterThan(seasonal.length * 0.4);
  });

  it('gives notice on about a third of cancellations, and has scheduled cancellations at month ends', () => {
    const churns = sample.cancellations;
    const notice = churns.filter((c) => c.canceledAt < c.effectiveAt);
    expect(notice.length / churns.length).toBeGreaterThan(0.2);
    expect(notice.length / churns.length).toBeLessThan(0.5);
    const leads = notice.map((c) => toNum(c.effectiveAt) - toNum(c.canceledAt));
    expect(Math.max(...leads)).toBeGreaterThanOrEqual(14);
    // Known on a month end and not yet effective: what a backtest at that date sees as the save list.
    const scheduledAt = (d: number) => churns.filter((c) => toNum(c.canceledAt) <= d && toNum(c.effectiveAt) > d).length;
    const withScheduled = m.monthEnds.filter((d) => scheduledAt(d) > 0);
    expect(withScheduled.length).toBeGreaterThanOrEqual(m.monthEnds.length * 0.8);
    expect(churns.some((c) => c.effectiveAt > AS_OF)).toBe(true);
  });

  it('has budget-cut churn with healthy usage until the end', () => {
    const cuts = sample.cancellations.filter((c) => c.cause === 'budget_cut' && c.effectiveAt <= AS_OF);
    expect(cuts.length).toBeGreaterThanOrEqual(5);
    expect(cuts.every((c) => ['too_expensive', 'company_closed', undefined].includes(c.reason))).toBe(true);
    // Usage in the month before the cancellation was filed is about what it was two months earlier.
    const ratios = cuts
      .map((c) => {
        const days = m.activeDays.get(c.customerId);
        const filed = toNum(c.canceledAt);
        return [countIn(days, filed - 28, filed - 1), countIn(days, filed - 84, filed - 57)] as const;
      })
      .filter(([, before]) => before >= 4);
    expect(ratios.length).toBeGreaterThan(2);
    expect(mean(ratios.map(([recent, before]) => recent / before))).toBeGreaterThan(0.7);
  });

  it('ends subscriptions after failed payments that dunning could not recover', () => {
    const involuntary = sample.cancellations.filter((c) => c.cause === 'payment_failed');
    expect(involuntary.length).toBeGreaterThanOrEqual(10);
    for (const c of involuntary) {
      const failed = sample.invoiceLines.filter(
        (l) => l.subscriptionId === c.subscriptionId && l.status === 'failed' && l.issuedAt <= c.effectiveAt,
      );
      expect(failed.length, c.subscriptionId).toBeGreaterThan(0);
      expect(c.canceledAt).toBe(c.effectiveAt);
    }
    expect(involuntary.some((c) => c.reason === 'payment_failed')).toBe(true);
    // Most failed charges are recovered: failing is a warning, not a verdict.
    const failedSubs = new Set(sample.invoiceLines.filter((l) => l.status === 'failed').map((l) => l.subscriptionId));
    expect(failedSubs.size).toBeGreaterThan(involuntary.length);
  });

  it('lets annual customers go quiet before the renewal, where they churn or renew', () => {
    const annual = new Map(sample.subscriptions.filter((s) => s.interval === 'year').map((s) => [s.subscriptionId, s]));
    const atRenewal = sample.cancellations.filter(
      (c) => annual.has(c.subscriptionId) && c.cause === 'disengaged' && c.effectiveAt <= AS_OF,
    );
    expect(atRenewal.length).toBeGreaterThanOrEqual(3);
    for (const c of atRenewal) {
      const sub = annual.get(c.subscriptionId)!;
      // Effective on an anniversary of the subscription start.
      expect(c.effectiveAt.slice(5)).toBe(new Date(sub.start * 86_400_000).toISOString().slice(5, 10));
    }
    const quiet = sample.customers.filter((c) => c.archetype === 'quiet_annual');
    expect(quiet.length).toBeGreaterThan(5);
    const renewed = quiet.filter((c) => !sample.cancellations.some((x) => x.customerId === c.customerId));
    expect(renewed.length).toBeGreaterThan(0);
  });

  it('settles some customers at steady low usage, churning somewhat more than the engaged', () => {
    const activeShare = (persona: string) => {
      const ids = sample.customers.filter((c) => c.archetype === persona).map((c) => c.customerId);
      const end = toNum(AS_OF);
      return mean(ids.filter((id) => m.live(id, end - 90)).map((id) => countIn(m.activeDays.get(id), end - 90, end) / 90));
    };
    expect(activeShare('settled_low')).toBeLessThan(activeShare('steady') / 2);
    expect(activeShare('settled_low')).toBeGreaterThan(0.02);
  });

  it('signs customers up throughout the history, some of whom never activate', () => {
    const historyStart = toNum(sample.historyStart);
    const span = toNum(AS_OF) - historyStart;
    const signups = sample.customers.map((c) => toNum(c.createdAt)).filter((d) => d >= historyStart);
    for (let q = 0; q < 4; q++) {
      const from = historyStart + (q * span) / 4;
      expect(signups.filter((d) => d >= from && d < from + span / 4).length, `quarter ${q}`).toBeGreaterThan(30);
    }
    const never = sample.customers.filter((c) => c.archetype === 'never_activated');
    expect(never.length).toBeGreaterThan(20);
    const core = new Set(['dashboard', 'reports']);
    const usedCore = new Set(sample.events.filter((e) => core.has(e.feature)).map((e) => e.customerId));
    expect(never.filter((c) => usedCore.has(c.customerId))).toEqual([]);
  });

  it('has contractions, expansions and reactivations', () => {
    const order = ['starter', 'growth', 'business', 'enterprise'];
    const steps = sample.subscriptions.flatMap((s) =>
      s.planChanges.map((c, i) => order.indexOf(c.to) - order.indexOf(i === 0 ? s.plan : s.planChanges[i - 1]!.to)),
    );
    expect(steps.filter((x) => x < 0).length).toBeGreaterThan(20);
    expect(steps.filter((x) => x > 0).length).toBeGreaterThan(10);
    const returned = sample.customers.filter((c) => sample.subscriptions.filter((s) => s.customerId === c.customerId).length > 1);
    expect(returned.length).toBeGreaterThanOrEqual(5);
  });
});
