import { describe, expect, it } from 'vitest';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { snapshotSummary } from '../../../lambdas/snapshot/run-snapshot';
import { SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';

const snapshot = computeSnapshot(syntheticTimelines({ customers: 300, asOf: '2026-06-30', seed: 5 }), SYNTHETIC_SETTINGS, '2026-06-30');

describe('the snapshot summary item', () => {
  it('keeps everything but the at-risk list', () => {
    const summary = snapshotSummary(snapshot);
    expect(summary).not.toHaveProperty('atRisk');
    expect(summary.byPlan).toEqual(snapshot.byPlan);
    expect(summary.mrr).toEqual(snapshot.mrr);
  });

  it('falls back to the headline figures when text-keyed segments would make the item too large', () => {
    const huge = {
      ...snapshot,
      churnReasons: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${'why '.repeat(500)}${i}`, { customers: 1, mrr: 1 }])),
    };
    const summary = snapshotSummary(huge);
    expect(JSON.stringify(summary).length).toBeLessThan(300_000);
    expect(summary).not.toHaveProperty('churnReasons');
    expect(summary).not.toHaveProperty('byPlan');
    expect(summary.mrr).toEqual(snapshot.mrr);
    expect(summary.ndr12m).toBe(snapshot.ndr12m);
  });
});
