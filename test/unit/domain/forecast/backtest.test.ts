import { describe, expect, it } from 'vitest';
import { dayNum } from '../../../../lambdas/domain/dates';
import { runBacktest, trainModel } from '../../../../lambdas/domain/forecast/backtest';
import { DEFAULT_RISK_SETTINGS } from '../../../../lambdas/domain/forecast/types';
import type { CustomerTimeline } from '../../../../lambdas/domain/types';
import { SETTINGS } from '../builders';
import { tinyBook } from './tiny-book';

const book = tinyBook({ seed: 3, customers: 160, start: '2024-01-01', months: 24 });
const risk = { ...DEFAULT_RISK_SETTINGS, minChurnsToFit: 10 };

/** The book as it was known on `day`: lines issued, cancellations on file and events up to then. */
function knownOn(customers: CustomerTimeline[], day: string): CustomerTimeline[] {
  return customers.map((c) => ({
    ...c,
    lines: c.lines.filter((l) => (l.issuedAt ?? l.periodStart)! <= day),
    cancellations: c.cancellations.filter((x) => (x.canceledAt ?? x.effectiveAt) <= day),
    activity: Object.fromEntries(Object.entries(c.activity).filter(([d]) => d <= day)),
  }));
}

describe('runBacktest', () => {
  const result = runBacktest({ customers: book, settings: SETTINGS, risk, from: '2025-01-31', to: '2025-08-31' });

  it('forecasts every active customer at every month-end, and puts notice-givers on the save list', () => {
    expect(result.dates.map((d) => d.asOf)).toEqual([
      '2025-01-31',
      '2025-02-28',
      '2025-03-31',
      '2025-04-30',
      '2025-05-31',
      '2025-06-30',
      '2025-07-31',
      '2025-08-31',
    ]);
    for (const date of result.dates) {
      const active = book.filter((c) => c.lines.some((l) => l.periodStart! <= date.asOf && date.asOf < l.periodEnd!));
      expect(date.predictions.map((p) => p.customerId).sort()).toEqual(active.map((c) => c.customerId).sort());
      for (const p of date.predictions) {
        const c = book.find((x) => x.customerId === p.customerId)!;
        const notice = c.cancellations.some((x) => x.canceledAt! <= date.asOf && date.asOf < x.effectiveAt);
        expect(p.scheduled).toBe(notice);
        expect(p.probability === null).toBe(notice);
      }
    }
    expect(result.saveList.onSaveList).toBeGreaterThan(0);
  });

  it('fits the model walk-forward once enough churns are observable', () => {
    const kinds = result.dates.map((d) => d.risk.model);
    expect(kinds.at(-1)).toBe('fitted');
    const rows = result.dates.map((d) => d.risk.trainingRows);
    for (let i = 1; i < rows.length; i++) expect(rows[i]).toBeGreaterThanOrEqual(rows[i - 1]!);
    expect(result.dates.at(-1)!.risk.fittedAt).toBe('2025-08-31');
  });

  it('ranks churners above the others on a book where churn follows engagement', () => {
    expect(result.evaluation.auc).toBeGreaterThan(0.65);
    expect(result.evaluation.customers).toBeGreaterThan(300);
    expect(result.evaluation.calibration).toHaveLength(5);
  });

  it('never sees the future: a date forecast on the full book equals the same date on the book as known then', () => {
    const date = '2025-05-31';
    // Plant a future-only signal: everyone who churns later gets a burst of unusual usage after the date.
    const planted = book.map((c) => ({
      ...c,
      activity: { ...c.activity, '2025-06-15': { events: 999, features: { future_only: 999 }, users: 50 } },
    }));
    const full = runBacktest({ customers: planted, settings: SETTINGS, risk, from: date, to: date });
    const truncated = runBacktest({ customers: knownOn(planted, date), settings: SETTINGS, risk, from: date, to: date });
    // Outcomes differ (the truncated book has none yet); what was predicted must not.
    const predicted = (r: typeof full) => r.dates[0]!.predictions.map(({ churned: _outcome, ...p }) => p);
    expect(predicted(full)).toEqual(predicted(truncated));
    expect(full.dates[0]!.risk).toEqual(truncated.dates[0]!.risk);
  });

  it('trains the snapshot model on the same rows as the backtest of that date', () => {
    const model = trainModel(book, SETTINGS, risk, '2025-08-31');
    expect(model).toEqual(result.model);
  });

  it('refuses an empty range', () => {
    expect(() => runBacktest({ customers: book, settings: SETTINGS, risk, from: '2025-03-01', to: '2025-02-01' })).toThrow(/before/);
    expect(dayNum(result.dataEnd)).toBeGreaterThan(dayNum('2025-08-31'));
  });
});
