import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitLogistic } from '../../../../lambdas/domain/forecast/fit';
import { calibrationBins } from '../../../../lambdas/domain/forecast/evaluate';
import { sigmoid } from '../../../../lambdas/domain/forecast/scorecard';
import { mulberry32 as seeded } from '../../../../local/sample-data/prng';
import { propertyRuns } from '../../../support/property-runs';

/** Rows drawn from a known logistic model: x ~ mixed continuous and binary inputs. */
function simulate(seed: number, n: number, weights: number[], intercept: number) {
  const next = seeded(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = weights.map((_, j) => (j % 2 ? (next() < 0.3 ? 1 : 0) : next() * 4 - 2));
    const p = sigmoid(intercept + x.reduce((s, v, j) => s + v * weights[j]!, 0));
    rows.push(x);
    labels.push(next() < p ? 1 : 0);
  }
  return { rows, labels };
}

describe('fitLogistic', () => {
  it('recovers known weights from simulated data', () => {
    const truth = [0.8, 1.2, -0.6, 0, 0.3];
    const { rows, labels } = simulate(7, 40_000, truth, -2);
    const fit = fitLogistic(rows, labels, { l2: 0.1 });
    expect(fit.converged).toBe(true);
    for (let j = 0; j < truth.length; j++) expect(Math.abs(fit.weights[j]! - truth[j]!)).toBeLessThan(0.08);
    expect(Math.abs(fit.intercept - -2)).toBeLessThan(0.1);
  });

  it('is calibrated within 5 points per quintile on held-out simulated data', () => {
    const truth = [1.1, 1.5, -0.9, 0.7];
    const train = simulate(11, 20_000, truth, -2.5);
    const test = simulate(12, 20_000, truth, -2.5);
    const fit = fitLogistic(train.rows, train.labels);
    const scored = test.rows.map((x, i) => ({
      probability: sigmoid(fit.intercept + x.reduce((s, v, j) => s + v * fit.weights[j]!, 0)),
      churned: test.labels[i] === 1,
    }));
    for (const bin of calibrationBins(scored)) expect(Math.abs(bin.predicted - bin.observed)).toBeLessThan(0.05);
  });

  it('gives a constant input no weight and stays finite under separation', () => {
    const rows = [
      [1, 0],
      [1, 1],
      [1, 0],
      [1, 1],
    ];
    const fit = fitLogistic(rows, [0, 1, 0, 1]);
    expect(fit.weights[0]).toBe(0);
    expect(Number.isFinite(fit.weights[1])).toBe(true);
    expect(fit.weights[1]).toBeGreaterThan(0);
  });

  it('matches the mean rate with the intercept alone when inputs carry nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 4, maxLength: 60 }), (ys) => {
        fc.pre(ys.some(Boolean) && ys.some((y) => !y));
        const fit = fitLogistic(
          ys.map(() => [3]),
          ys.map((y) => (y ? 1 : 0)),
        );
        const rate = ys.filter(Boolean).length / ys.length;
        expect(sigmoid(fit.intercept)).toBeCloseTo(rate, 6);
      }),
      { numRuns: propertyRuns(50) },
    );
  });

  it('refuses mismatched labels', () => {
    expect(() => fitLogistic([[1]], [])).toThrow(/labels/);
  });
});
