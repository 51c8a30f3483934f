import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calibrationBins,
  evaluate,
  liftTable,
  medianDaysListed,
  rocAuc,
  type ScoredOutcome,
} from '../../../../lambdas/domain/forecast/evaluate';
import { propertyRuns } from '../../../support/property-runs';

/** AUC by its definition: the share of (churner, stayer) pairs ranked the right way, ties half. */
function bruteAuc(scores: number[], positive: boolean[]): number | null {
  let good = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (!positive[i] || positive[j]) continue;
      pairs++;
      good += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return pairs ? good / pairs : null;
}

describe('evaluation', () => {
  it('computes ROC AUC as the pairwise ranking share, ties counted half', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(rocAuc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(rocAuc([0.5, 0.5], [true, true])).toBeNull();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { maxLength: 40 }), (rows) => {
        const scores = rows.map(([s]) => s / 5);
        const positive = rows.map(([, p]) => p);
        const auc = rocAuc(scores, positive);
        const brute = bruteAuc(scores, positive);
        if (brute === null) expect(auc).toBeNull();
        else expect(auc).toBeCloseTo(brute, 12);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('bins calibration by quintile and lift by decile', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ probability: i / 100, churned: i % 10 === 0 || i >= 90 }));
    const bins = calibrationBins(rows);
    expect(bins.map((b) => b.customers)).toEqual([20, 20, 20, 20, 20]);
    expect(bins[4]!.observed).toBe(11 / 20); // 80 and 90–99
    const lift = liftTable(rows);
    expect(lift[0]).toMatchObject({ decile: 1, customers: 10, churners: 10 });
    expect(lift[0]!.lift).toBeCloseTo(1 / 0.19, 12); // all churn, against a base rate of 19 %
  });

  it('measures precision, recall and lift of the lists, the flagged share and the top-10 precision per date', () => {
    const row = (date: number, i: number, band: ScoredOutcome['band'], churned: boolean): ScoredOutcome => ({
      date,
      customerId: `c${i}`,
      probability: band === 'red' ? 0.5 : band === 'yellow' ? 0.2 : 0.01,
      band,
      mrr: 100,
      churned,
    });
    const rows = [
      row(1, 1, 'red', true),
      row(1, 2, 'red', false),
      row(1, 3, 'yellow', true),
      row(1, 4, 'green', true),
      row(1, 5, 'green', false),
      row(2, 1, 'red', true),
    ];
    const e = evaluate(rows, null);
    expect(e.precisionRed).toBe(2 / 3);
    expect(e.recallRed).toBe(2 / 4);
    expect(e.liftRed).toBeCloseTo(2 / 3 / (4 / 6), 12);
    expect(e.precisionFlagged).toBe(3 / 4);
    expect(e.flaggedShare).toBe(4 / 6);
    expect(e.precisionTop10).toBe((3 / 5 + 1) / 2);
  });

  it('counts the days a churner was listed before churning, from the start of its last run of listings', () => {
    const dates = [10, 20, 30, 40];
    const listed = new Map([
      ['a', new Set([10, 30, 40])],
      ['b', new Set([10])],
    ]);
    const churns = new Map([
      ['a', [45]],
      ['b', [35]],
      ['c', [25]],
    ]);
    // a: listed on 30 and 40 (10 broke the run), churned on 45 → 15 days; b: not listed on 30 → left out.
    expect(medianDaysListed(listed, churns, dates)).toBe(15);
  });
});
