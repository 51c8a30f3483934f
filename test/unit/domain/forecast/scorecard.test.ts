import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURES, type FeatureFacts } from '../../../../lambdas/domain/forecast/features';
import { POINTS_PER_DOUBLING, probabilityFromPoints, probabilityOf, score, sigmoid } from '../../../../lambdas/domain/forecast/scorecard';
import type { ScorecardModel } from '../../../../lambdas/domain/forecast/types';
import { propertyRuns } from '../../../support/property-runs';

const facts: FeatureFacts = {
  activeDays: 6,
  baselineActiveDays: 18,
  seasonalIndex: 1,
  usersNow: 2,
  usersBaseline: 5,
  breadthNow: 2,
  breadthBaseline: 4,
  daysSinceLastEvent: 3,
  tenureDays: 400,
  renewalDay: null,
  mrrNow: 100,
  mrr90DaysAgo: 150,
  failedInvoices90d: 1,
  failedChargeDaysAgo: null,
  signals: [],
};

const finite = fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true });
const modelArb = fc.record({
  weights: fc.array(finite, { minLength: FEATURES.length, maxLength: FEATURES.length }),
  means: fc.array(finite, { minLength: FEATURES.length, maxLength: FEATURES.length }),
  intercept: finite,
});
const valuesArb = fc.array(finite, { minLength: FEATURES.length, maxLength: FEATURES.length });
const toModel = (m: { weights: number[]; means: number[]; intercept: number }): ScorecardModel => ({
  kind: 'fitted',
  features: FEATURES,
  ...m,
  horizonDays: 90,
  fittedAt: '2026-10-31',
  trainingRows: 1,
  trainingChurns: 1,
  provenance: 'test',
});

describe('the scorecard', () => {
  it('reproduces its probability from the intercept and the factor points shown', () => {
    fc.assert(
      fc.property(modelArb, valuesArb, (m, values) => {
        const s = score(toModel(m), { values, facts }, 'USD');
        expect(probabilityFromPoints(s.interceptPoints, s.factors)).toBeCloseTo(s.probability, 12);
        expect(probabilityOf(toModel(m), values)).toBeCloseTo(s.probability, 12);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('is within rounding of the exact logistic model', () => {
    fc.assert(
      fc.property(modelArb, valuesArb, (m, values) => {
        const exact = sigmoid(m.intercept + values.reduce((z, x, j) => z + x * m.weights[j]!, 0));
        // Points are shown to 0.1: at most 0.05 points of error per factor and the intercept.
        const maxError = (7 * 0.05 * Math.LN2) / POINTS_PER_DOUBLING / 4;
        expect(Math.abs(probabilityOf(toModel(m), values) - exact)).toBeLessThanOrEqual(maxError + 1e-12);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('doubles the odds with 20 points', () => {
    const weights = FEATURES.map((f) => (f === 'payment_failed' ? (20 * Math.LN2) / POINTS_PER_DOUBLING : 0));
    const model = toModel({ weights, means: FEATURES.map(() => 0), intercept: -2 });
    const without = FEATURES.map(() => 0);
    const withFailure = FEATURES.map((f) => (f === 'payment_failed' ? 1 : 0));
    const odds = (p: number) => p / (1 - p);
    const a = score(model, { values: without, facts }, 'USD');
    const b = score(model, { values: withFailure, facts }, 'USD');
    expect(odds(b.probability) / odds(a.probability)).toBeCloseTo(2, 2);
    expect(b.factors).toEqual([{ code: 'payment_failed', points: 20, detail: '1 failed invoice in the last 90 days' }]);
  });

  it('says when a failed charge is still in dunning, and how long ago it was charged', () => {
    const weights = FEATURES.map((f) => (f === 'payment_in_dunning' ? 1 : 0));
    const model = toModel({ weights, means: FEATURES.map(() => 0), intercept: -2 });
    const values = FEATURES.map((f) => (f === 'payment_in_dunning' ? 1 : 0));
    const detail = (daysAgo: number) =>
      score(model, { values, facts: { ...facts, failedChargeDaysAgo: daysAgo } }, 'USD').factors[0]!.detail;
    expect(detail(1)).toBe('1 failed invoice in the last 90 days; the latest, charged 1 day ago, still unpaid: dunning still retrying');
    expect(detail(40)).toBe('1 failed invoice in the last 90 days; the latest, charged 40 days ago, still unpaid');
  });

  it('lists factors largest first, groups correlated usage inputs into one engagement factor, and drops zero points', () => {
    const weights = FEATURES.map((f) => (f === 'engagement_level' ? -2 : f === 'engagement_trend' ? -1 : f === 'tenure' ? -0.5 : 0));
    const values = FEATURES.map((f) => (f === 'engagement_level' ? 0.2 : f === 'engagement_trend' ? -1 : f === 'tenure' ? 2 : 0));
    const means = FEATURES.map((f) => (f === 'engagement_level' ? 0.6 : f === 'tenure' ? 1 : 0));
    const s = score(toModel({ weights, means, intercept: -2 }), { values, facts }, 'USD');
    expect(s.factors.map((f) => f.code)).toEqual(['engagement', 'tenure']);
    expect(s.factors[0]!.points).toBeGreaterThan(0);
    expect(s.factors[1]!.points).toBeLessThan(0);
    expect(s.factors[0]!.detail).toContain('active 6 of the last 28 days (usually 18)');
  });

  it('refuses a model fitted for other features', () => {
    const model = { ...toModel({ weights: [1], means: [0], intercept: 0 }), features: ['other'] };
    expect(() => score(model, { values: [1], facts }, 'USD')).toThrow(/do not match/);
  });
});
