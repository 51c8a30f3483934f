import { describe, expect, it } from 'vitest';
import { FEATURES } from '../../../../lambdas/domain/forecast/features';
import { probabilityFromPoints } from '../../../../lambdas/domain/forecast/scorecard';
import type { ScorecardModel } from '../../../../lambdas/domain/forecast/types';
import { DEFAULT_RISK_SETTINGS } from '../../../../lambdas/domain/forecast/types';
import { computeSnapshot } from '../../../../lambdas/domain/snapshot';
import { activityOn, customer, daysEnding, line, SETTINGS } from '../builders';

const AS_OF = '2026-10-15';
const model: ScorecardModel = {
  kind: 'fitted',
  features: FEATURES,
  weights: FEATURES.map((f) => (f === 'inactive' ? 2.5 : f === 'payment_failed' ? 3 : 0)),
  means: FEATURES.map(() => 0),
  intercept: -2.5,
  horizonDays: 90,
  fittedAt: '2026-09-30',
  trainingRows: 100,
  trainingChurns: 10,
  provenance: 'test',
};
const monthly = (id: string, sub: string, amount: number) => [
  line(amount, '2026-09-01', '2026-10-01', { subscriptionId: sub, issuedAt: '2026-09-01' }),
  line(amount, '2026-10-01', '2026-11-01', { subscriptionId: sub, issuedAt: '2026-10-01' }),
];
const busy = activityOn(daysEnding(AS_OF, 56));
const quiet = activityOn(daysEnding('2026-09-20', 30));

describe('the snapshot forecast', () => {
  const snap = computeSnapshot(
    [
      customer('busy', monthly('busy', 's1', 100), { activity: busy, firstEventDay: '2026-08-01' }),
      customer('quiet', monthly('quiet', 's2', 200), { activity: quiet, firstEventDay: '2026-08-01' }),
      // Notice given on Oct 3, effective Nov 1: the save list, not the forecast.
      customer('leaving', monthly('leaving', 's3', 300), {
        activity: quiet,
        firstEventDay: '2026-08-01',
        cancellations: [{ subscriptionId: 's3', effectiveAt: '2026-11-01', canceledAt: '2026-10-03', reason: 'too_expensive' }],
      }),
      // Cancels an add-on but keeps the main plan: still forecast.
      customer('addon', [...monthly('addon', 's4', 100), ...monthly('addon', 's5', 20)], {
        activity: busy,
        firstEventDay: '2026-08-01',
        cancellations: [{ subscriptionId: 's5', effectiveAt: '2026-11-01', canceledAt: '2026-10-02' }],
      }),
    ],
    SETTINGS,
    AS_OF,
    { model, risk: DEFAULT_RISK_SETTINGS, previousBands: new Map() },
  );

  it('lists customers with a cancellation on file on the save list, with its date, reason and MRR', () => {
    expect(snap.scheduledChurn).toEqual([
      {
        customerId: 'leaving',
        name: null,
        owner: null,
        mrr: 300,
        effectiveAt: '2026-11-01',
        canceledAt: '2026-10-03',
        reason: 'too_expensive',
      },
    ]);
    const leaving = snap.atRisk.find((c) => c.customerId === 'leaving')!;
    // Still listed with its signals, but not forecast.
    expect(leaving.reasons.map((r) => r.code)).toContain('inactive');
    expect(leaving).toMatchObject({ churnProbability: null, riskScore: null, band: null, factors: [] });
  });

  it('forecasts everyone else, with bands and factors that reproduce the probability', () => {
    const quietOne = snap.atRisk.find((c) => c.customerId === 'quiet')!;
    expect(quietOne.band).toBe('red');
    expect(quietOne.churnProbability).toBeCloseTo(0.5, 2);
    expect(probabilityFromPoints(snap.risk.interceptPoints, quietOne.factors)).toBeCloseTo(quietOne.churnProbability!, 12);
    expect(quietOne.factors[0]).toMatchObject({ code: 'engagement', points: 72.1 });
    expect(snap.atRisk.map((c) => c.customerId)).not.toContain('addon');
    expect(snap.risk.bands).toEqual({
      red: { customers: 1, mrr: 200 },
      yellow: { customers: 0, mrr: 0 },
      green: { customers: 2, mrr: 220 },
    });
    expect(snap.risk).toMatchObject({ model: 'fitted', fittedAt: '2026-09-30', horizonDays: 90, thresholds: { red: 0.3, yellow: 0.12 } });
  });

  it('keeps a customer in red until its probability falls below 0.8 of the threshold', () => {
    const again = (previous: 'red' | undefined, weight: number) =>
      computeSnapshot([customer('quiet', monthly('quiet', 's2', 200), { activity: quiet, firstEventDay: '2026-08-01' })], SETTINGS, AS_OF, {
        model: { ...model, weights: FEATURES.map((f) => (f === 'inactive' ? weight : 0)) },
        risk: DEFAULT_RISK_SETTINGS,
        previousBands: new Map(previous ? [['quiet', previous]] : []),
      }).atRisk[0]!;
    // logit −2.5 + 1.4 → p ≈ 0.25: red only for a customer that was red.
    expect(again(undefined, 1.4).band).toBe('yellow');
    expect(again('red', 1.4).band).toBe('red');
  });
});
