import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../lambdas/shared/config';
import { inTrainingSample, samplePoint, trainingShare } from '../../../lambdas/store/training-sample';

describe('the refit training sample', () => {
  it('keeps the whole book up to the bound, and a share that reads about the bound beyond it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1_000, max: 100_000 }), (profiles, max) => {
        const share = trainingShare(profiles, max);
        if (profiles <= max) expect(share).toBe(1);
        else {
          expect(share).toBeGreaterThan(0);
          expect(share).toBeLessThan(1);
          expect(profiles * share).toBeCloseTo(max, 6);
        }
      }),
    );
  });

  it('places each customer at a fixed point of [0, 1), whatever else is in the book', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (id) => {
        const p = samplePoint(id);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(1);
        expect(samplePoint(id)).toBe(p);
      }),
    );
  });

  it('nests the samples: a customer kept at a share is kept at every larger share, so a growing book only drops customers', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (id, a, b) => {
          const [small, large] = a < b ? [a, b] : [b, a];
          if (inTrainingSample(id, small)) expect(inTrainingSample(id, large)).toBe(true);
        },
      ),
    );
  });

  it('keeps every customer at share 1, and close to the share of a large book of similar ids', () => {
    const ids = Array.from({ length: 40_000 }, (_, i) => `cus_${String(i).padStart(6, '0')}`);
    expect(ids.every((id) => inTrainingSample(id, 1))).toBe(true);
    for (const share of [0.025, 0.25, 0.6]) {
      const kept = ids.filter((id) => inTrainingSample(id, share)).length / ids.length;
      // Binomial: 4 standard deviations of 40,000 draws at most 0.01.
      expect(Math.abs(kept - share)).toBeLessThan(0.01);
    }
  });

  it('is bounded by risk.maxTrainingCustomers: 5,000 unless set, and never more than one invocation holds', () => {
    expect(parseConfig({}).risk.maxTrainingCustomers).toBe(5_000);
    expect(parseConfig({ risk: { maxTrainingCustomers: 8_000 } }).risk.maxTrainingCustomers).toBe(8_000);
    expect(() => parseConfig({ risk: { maxTrainingCustomers: 20_000 } })).toThrow(ConfigError);
    expect(() => parseConfig({ risk: { maxTrainingCustomers: 20_000 } })).toThrow(
      /risk\.maxTrainingCustomers: must be at most 8,000 customers/,
    );
  });
});
