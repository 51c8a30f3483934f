import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCohorts } from '../../../lambdas/domain/cohorts';
import { dayFromNum, monthIndexOfNum, monthKey } from '../../../lambdas/domain/dates';
import { interceptPoints } from '../../../lambdas/domain/forecast/scorecard';
import { BANDS, type Band } from '../../../lambdas/domain/forecast/types';
import { endByIdentity } from '../../../lambdas/domain/movements';
import { annualizedFromMonth, compoundChurn, periodRates, ratio } from '../../../lambdas/domain/rates';
import { lifecycleOf, tierOf } from '../../../lambdas/domain/segments';
import {
  customerFacts,
  snapshotCalendar,
  SnapshotBuilder,
  type CustomerFacts,
  type ForecastContext,
} from '../../../lambdas/domain/snapshot';
import type { CustomerTimeline, EngineSettings, Segment, Snapshot } from '../../../lambdas/domain/types';
import { expectClose } from '../../support/expect-close';
import { propertyRuns } from '../../support/property-runs';
import { bookArb, makeBook, shuffled } from './books';

/**
 * The aggregation as it was before the builder folded customers on arrival: every customer's facts
 * kept, sorted by customer id, then summed with plain `+=`. Kept here, in the test only, as the
 * reference the incremental builder must reproduce.
 */
function allFactsSnapshot(
  customers: readonly CustomerTimeline[],
  settings: EngineSettings,
  asOf: string,
  forecast: ForecastContext,
): { snapshot: Snapshot; bands: Map<string, Band> } {
  const cal = snapshotCalendar(asOf);
  const rateCache = new Map<string, number | undefined>();
  const facts: CustomerFacts[] = customers.map((c) => customerFacts(c, settings, cal, rateCache, forecast));
  facts.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));

  const customersT = { start: 0, new: 0, reactivated: 0, churned: 0, newChurned: 0, end: 0 };
  const mrr = { start: 0, new: 0, expansion: 0, contraction: 0, churned: 0, reactivation: 0 };
  const segments = { byPlan: new Map<string, number[]>(), byTier: new Map<string, number[]>(), byLifecycle: new Map<string, number[]>() };
  const addSegment = (table: Map<string, number[]>, key: string, open: number, close: number) => {
    // [customersStart, churned, mrrStart, expansion, contraction, churnedMrr]
    const s = table.get(key) ?? [0, 0, 0, 0, 0, 0];
    table.set(key, s);
    s[0]!++;
    s[2]! += open;
    if (close === 0) {
      s[1]!++;
      s[5]! += open;
    } else if (close > open) s[3]! += close - open;
    else if (close < open) s[4]! += open - close;
  };
  const finishSegments = (table: Map<string, number[]>) =>
    Object.fromEntries(
      [...table.keys()].sort().map((k) => {
        const [customersStart, churned, mrrStart, expansion, contraction, churnedMrr] = table.get(k)! as [
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        const seg: Segment = {
          customersStart,
          churned,
          logoChurnRate: ratio(churned, customersStart),
          mrrStart,
          expansion,
          contraction,
          churnedMrr,
          ndr: ratio(mrrStart + expansion - contraction - churnedMrr, mrrStart),
        };
        return [k, seg];
      }),
    );
  const churnReasons = new Map<string, { customers: number; mrr: number }>();
  const months = cal.trendMonths.map(() => ({ customersStart: 0, churned: 0, mrrStart: 0, retained: 0, mrrEnd: 0 }));
  let d0Mrr = 0;
  let d0Retained = 0;
  let d0Floor = 0;
  const atRisk: Snapshot['atRisk'] = [];
  const scheduledChurn: Snapshot['scheduledChurn'] = [];
  const bands = Object.fromEntries(BANDS.map((b) => [b, { customers: 0, mrr: 0 }])) as Snapshot['risk']['bands'];
  const bandMap = new Map<string, Band>();
  const linesWithoutFxRate = new Map<string, number>();

  for (const f of facts) {
    if (f.open > 0) {
      customersT.start++;
      mrr.start += f.open;
    }
    if (f.close > 0) customersT.end++;
    const k = f.movement.kind;
    if (k === 'new') customersT.new++;
    if (k === 'reactivation') customersT.reactivated++;
    if (k === 'churned') customersT.churned++;
    if (k === 'new') mrr.new += f.movement.amount;
    if (k === 'reactivation') mrr.reactivation += f.movement.amount;
    if (k === 'churned') mrr.churned += f.movement.amount;
    if (k === 'expansion') mrr.expansion += f.movement.amount;
    if (k === 'contraction') mrr.contraction += f.movement.amount;
    if (k === 'newChurned') customersT.newChurned++;
    if (f.open > 0) {
      addSegment(segments.byPlan, f.openPlan ?? 'unknown', f.open, f.close);
      addSegment(segments.byTier, tierOf(f.open, settings), f.open, f.close);
      addSegment(segments.byLifecycle, lifecycleOf(cal.periodStart - f.firstActiveDay!), f.open, f.close);
    }
    if (f.churnReason !== undefined) {
      const r = churnReasons.get(f.churnReason) ?? { customers: 0, mrr: 0 };
      churnReasons.set(f.churnReason, r);
      r.customers++;
      r.mrr += f.open;
    }
    months.forEach((m, i) => {
      const open = f.trend[i]!;
      const close = f.trend[i + 1]!;
      m.mrrEnd += close;
      if (open > 0) {
        m.customersStart++;
        m.mrrStart += open;
        m.retained += close;
        if (close === 0) m.churned++;
      }
    });
    if (f.mrrAtD0 > 0) {
      d0Mrr += f.mrrAtD0;
      d0Retained += f.close;
      d0Floor += Math.min(f.close, f.mrrAtD0);
    }
    if (f.atRisk) atRisk.push(f.atRisk);
    if (f.scheduled) scheduledChurn.push(f.scheduled);
    if (f.forecast) {
      bands[f.forecast.band].customers++;
      bands[f.forecast.band].mrr += f.forecast.mrr;
      if (f.forecast.band !== 'green') bandMap.set(f.customerId, f.forecast.band);
    }
    for (const [currency, n] of f.linesWithoutFxRate ?? []) linesWithoutFxRate.set(currency, (linesWithoutFxRate.get(currency) ?? 0) + n);
  }
  const totals = { customers: customersT, mrr: { ...mrr, end: endByIdentity(mrr) } };
  const rates = periodRates(totals);
  const trend = months.map((m, i) => ({
    month: monthKey(cal.trendMonths[i]!),
    logoChurnRate: ratio(m.churned, m.customersStart),
    ndr: ratio(m.retained, m.mrrStart),
    mrrStart: m.mrrStart,
    mrrEnd: m.mrrEnd,
  }));
  // Stable sorts over customers in id order: ties keep id order.
  atRisk.sort((a, b) => (b.churnProbability ?? -1) - (a.churnProbability ?? -1) || b.mrr - a.mrr || (a.customerId < b.customerId ? -1 : 1));
  scheduledChurn.sort((a, b) => (a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : b.mrr - a.mrr));
  const cohortMembers = facts
    .filter((f) => f.firstActiveDay !== undefined && f.firstActiveDay <= cal.closeDay)
    .map((f) => ({ cohortMonth: monthIndexOfNum(f.firstActiveDay!), series: f.series, archivedActiveOn: f.archivedActiveOn }));
  const { model, risk } = forecast;
  const snapshot: Snapshot = {
    asOf,
    period: { start: dayFromNum(cal.periodStart), end: dayFromNum(cal.closeDay) },
    currency: settings.reportingCurrency,
    customers: totals.customers,
    mrr: totals.mrr,
    ...rates,
    ndr12m: ratio(d0Retained, d0Mrr),
    grr12m: ratio(d0Floor, d0Mrr),
    annualizedLogoChurn: compoundChurn(trend.map((t) => t.logoChurnRate)),
    annualizedFromMonth: annualizedFromMonth(rates.logoChurnRate),
    byPlan: finishSegments(segments.byPlan),
    byTier: finishSegments(segments.byTier),
    byLifecycle: finishSegments(segments.byLifecycle),
    cohorts: buildCohorts(cohortMembers, cal.periodMonth, cal.closeDay),
    churnReasons: Object.fromEntries([...churnReasons].sort(([a], [b]) => (a < b ? -1 : 1))),
    atRisk,
    scheduledChurn,
    risk: {
      model: model.kind,
      fittedAt: model.fittedAt,
      trainingRows: model.trainingRows,
      trainingChurns: model.trainingChurns,
      horizonDays: risk.horizonDays,
      interceptPoints: interceptPoints(model),
      bands,
      thresholds: { red: risk.red, yellow: risk.yellow },
      provenance: model.provenance,
    },
    trend,
    diagnostics: { customers: facts.length, linesWithoutFxRate: Object.fromEntries(linesWithoutFxRate) },
  };
  return { snapshot, bands: bandMap };
}

describe('SnapshotBuilder folding customers on arrival', () => {
  it('gives the snapshot of the all-facts aggregation (sums equal up to float rounding, everything else exactly)', () => {
    fc.assert(
      fc.property(bookArb, (b) => {
        const { customers, forecast, settings } = makeBook(b);
        const reference = allFactsSnapshot(customers, settings, b.asOf, forecast);
        const builder = new SnapshotBuilder(settings, b.asOf, forecast);
        for (const c of shuffled(customers, b.orderSeed)) builder.add(c);
        const built = builder.finish();
        expectClose(built, reference.snapshot);
        // Lists, their order and every non-sum field match exactly.
        expect(built.atRisk).toEqual(reference.snapshot.atRisk);
        expect(built.scheduledChurn).toEqual(reference.snapshot.scheduledChurn);
        expect(built.cohorts).toEqual(reference.snapshot.cohorts);
        expect(built.customers).toEqual(reference.snapshot.customers);
        expect(builder.bands()).toEqual(reference.bands);
        expect(builder.size).toBe(customers.length);
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  it('is identical, to the last bit, whatever order the customers arrive in', () => {
    fc.assert(
      fc.property(bookArb, fc.integer(), (b, otherOrder) => {
        const { customers, forecast, settings } = makeBook(b);
        const snap = (order: readonly CustomerTimeline[]) => {
          const builder = new SnapshotBuilder(settings, b.asOf, forecast);
          for (const c of order) builder.add(c);
          return JSON.stringify(builder.finish());
        };
        expect(snap(shuffled(customers, otherOrder))).toBe(snap(customers));
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it('keeps the at-risk rows apart in finishParts, in list order, with the same summary', () => {
    const { customers, forecast, settings } = makeBook({
      seed: 42,
      size: 300,
      asOf: '2026-11-20',
      months: 24,
      previous: [],
      orderSeed: 1,
      eurRate: 1.08,
    });
    const builder = new SnapshotBuilder(settings, '2026-11-20', forecast);
    for (const c of customers) builder.add(c);
    const { summary, atRisk } = builder.finishParts();
    const full = builder.finish();
    expect(atRisk.length).toBeGreaterThan(10);
    expect([...atRisk]).toEqual(full.atRisk);
    expect([...atRisk.texts()].map((t) => JSON.parse(t) as unknown)).toEqual(full.atRisk);
    const { atRisk: _rows, ...rest } = full;
    expect(summary).toEqual(rest);
    expect('atRisk' in summary).toBe(false);
  });
});
