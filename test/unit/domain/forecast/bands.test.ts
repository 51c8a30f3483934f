import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandOf, HYSTERESIS } from '../../../../lambdas/domain/forecast/bands';
import { BANDS } from '../../../../lambdas/domain/forecast/types';
import { propertyRuns } from '../../../support/property-runs';

const t = { red: 0.3, yellow: 0.12 };

describe('bandOf', () => {
  it('enters bands at their thresholds', () => {
    expect(bandOf(0.3, undefined, t)).toBe('red');
    expect(bandOf(0.2999, undefined, t)).toBe('yellow');
    expect(bandOf(0.12, undefined, t)).toBe('yellow');
    expect(bandOf(0.1199, undefined, t)).toBe('green');
  });

  it('keeps a customer in its band until p falls below 0.8 × the threshold', () => {
    expect(bandOf(0.25, 'red', t)).toBe('red');
    expect(bandOf(0.24, 'red', t)).toBe('red');
    expect(bandOf(0.2399, 'red', t)).toBe('yellow');
    expect(bandOf(0.1, 'yellow', t)).toBe('yellow');
    expect(bandOf(0.0959, 'yellow', t)).toBe('green');
    // Falling out of red lands in yellow with yellow's own hysteresis.
    expect(bandOf(0.1, 'red', t)).toBe('yellow');
    expect(bandOf(0.2, 'green', t)).toBe('yellow');
  });

  it('never flickers: a small move around a threshold keeps the band, and bands are monotone in p', () => {
    const band = fc.constantFrom(...BANDS, undefined);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), band, (p, q, previous) => {
        const rank = { green: 0, yellow: 1, red: 2 } as const;
        if (p <= q) expect(rank[bandOf(p, previous, t)]).toBeLessThanOrEqual(rank[bandOf(q, previous, t)]);
        const now = bandOf(p, previous, t);
        const threshold = now === 'red' ? t.red : now === 'yellow' ? t.yellow : undefined;
        if (threshold !== undefined) expect(bandOf(Math.max(p * 0.9, HYSTERESIS * threshold), now, t)).toBe(now);
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});
