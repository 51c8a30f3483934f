import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PARTS, planParts, PROFILES_PER_PART } from '../../../lambdas/snapshot/fan-out';
import { propertyRuns } from '../../support/property-runs';

describe('planParts', () => {
  it('gives every scan segment to exactly one part, parts of one segment more or less, as many as the book needs', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 5_000_000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 300_000 }),
        (profiles, segments, perPart) => {
          const parts = planParts(profiles, segments, perPart);
          expect(parts.map((p) => p.index)).toEqual(parts.map((_, i) => i));
          expect(parts.flatMap((p) => p.segments).sort((a, b) => a - b)).toEqual(Array.from({ length: segments }, (_, i) => i));
          const sizes = parts.map((p) => p.segments.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          expect(parts.length).toBe(Math.min(MAX_PARTS, segments, Math.max(1, Math.ceil(profiles / perPart))));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('runs a small book as one part and a million customers in ten', () => {
    expect(planParts(8_000, 4)).toEqual([{ index: 0, segments: [0, 1, 2, 3] }]);
    const million = planParts(1_000_000, 64);
    expect(million).toHaveLength(1_000_000 / PROFILES_PER_PART);
    expect(million[3]).toEqual({ index: 3, segments: [3, 13, 23, 33, 43, 53, 63] });
  });

  it('refuses a plan it cannot make', () => {
    expect(() => planParts(10, 0)).toThrow(/totalSegments must be a positive integer/);
    expect(() => planParts(10, 4, 0)).toThrow(/perPart must be at least 1/);
  });
});
