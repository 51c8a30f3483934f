/** Random books of synthetic customers for the snapshot's property tests. */
import fc from 'fast-check';
import { DEFAULT_MODEL } from '../../../lambdas/domain/forecast/default-model';
import { DEFAULT_RISK_SETTINGS, type Band } from '../../../lambdas/domain/forecast/types';
import type { ForecastContext } from '../../../lambdas/domain/snapshot';
import type { EngineSettings } from '../../../lambdas/domain/types';
import { SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';

export const AS_OFS = ['2026-11-20', '2026-06-30', '2026-02-28', '2027-01-01'] as const;

/** A random book: synthetic customers (plans, upgrades, failed payments, EUR, cancellations, activity) from a seed. */
export const bookArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  size: fc.integer({ min: 0, max: 80 }),
  asOf: fc.constantFrom(...AS_OFS),
  months: fc.integer({ min: 2, max: 30 }),
  // Customers the previous run had in red or yellow (hysteresis), by index.
  previous: fc.array(fc.tuple(fc.nat(), fc.constantFrom<Band>('red', 'yellow')), { maxLength: 20 }),
  orderSeed: fc.integer(),
  // Without a rate for EUR, those lines are left out and counted in diagnostics.
  eurRate: fc.constantFrom<number | undefined>(1.08, 0.9137, undefined),
});

export function makeBook(b: typeof bookArb extends fc.Arbitrary<infer T> ? T : never) {
  const customers = syntheticTimelines({ customers: b.size, asOf: b.asOf, seed: b.seed, months: b.months });
  const previousBands = new Map(b.previous.filter(([i]) => i < customers.length).map(([i, band]) => [customers[i]!.customerId, band]));
  const forecast: ForecastContext = { model: DEFAULT_MODEL, risk: DEFAULT_RISK_SETTINGS, previousBands };
  const settings: EngineSettings = { ...SYNTHETIC_SETTINGS, fxRates: b.eurRate === undefined ? {} : { EUR: b.eurRate } };
  return { customers, forecast, settings };
}

/** A tiny PRNG so a shuffle is reproducible from a fast-check integer. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
