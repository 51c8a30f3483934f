import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../../lambdas/domain/exact-sum';
import { propertyRuns } from '../../support/property-runs';

/** A finite double as an exact integer multiple of 2^-1074 (the smallest subnormal). */
function scaled(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & ((1n << 52n) - 1n);
  const magnitude = exponent === 0 ? mantissa : (mantissa | (1n << 52n)) << BigInt(exponent - 1);
  return negative ? -magnitude : magnitude;
}

/** The doubles just below and above x. */
function neighbours(x: number): [number, number] {
  const view = new DataView(new ArrayBuffer(8));
  if (x === 0) return [-Number.MIN_VALUE, Number.MIN_VALUE];
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, bits - 1n);
  const towardZero = view.getFloat64(0);
  view.setBigInt64(0, bits + 1n);
  const away = view.getFloat64(0);
  return x > 0 ? [towardZero, away] : [away, towardZero];
}

const abs = (n: bigint) => (n < 0n ? -n : n);

const sumOf = (xs: readonly number[]) => {
  const s = new ExactSum();
  for (const x of xs) s.add(x);
  return s.value();
};

// Money-like amounts, wild magnitudes and values that cancel: where a plain += loses bits.
const termArb = fc.oneof(
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map((c) => c / 100),
  fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e290, max: 1e290, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 1, 2 ** -52, 49 / 3, 1500 * 1.08),
);

describe('ExactSum', () => {
  it('is the true sum rounded to the nearest double', () => {
    fc.assert(
      fc.property(fc.array(termArb, { maxLength: 40 }), (xs) => {
        const total = xs.reduce((n, x) => n + scaled(x), 0n);
        const got = sumOf(xs);
        const error = abs(total - scaled(got));
        for (const other of neighbours(got)) expect(error <= abs(total - scaled(other))).toBe(true);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('does not depend on the order of the terms', () => {
    fc.assert(
      fc.property(fc.array(termArb, { maxLength: 40 }), fc.infiniteStream(fc.nat()), (xs, picks) => {
        const order = xs.slice();
        const it = picks[Symbol.iterator]();
        for (let i = order.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        expect(Object.is(sumOf(order), sumOf(xs))).toBe(true);
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('gets right what a running += gets wrong', () => {
    expect(sumOf([0.1, 0.2, 0.3])).toBe(0.6);
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(sumOf([1e16, 1, -1e16])).toBe(1);
    expect(sumOf([])).toBe(0);
    // Half-way cases round to even, as the exact value is, not as the last partial happens to fall.
    expect(sumOf([1, 2 ** -53])).toBe(1);
    expect(sumOf([1, 2 ** -53, 2 ** -80])).toBe(1 + 2 ** -52);
  });
});

describe('ExactSum.merge', () => {
  const sumsOf = (chunks: readonly (readonly number[])[]) =>
    chunks.map((xs) => {
      const s = new ExactSum();
      for (const x of xs) s.add(x);
      return s;
    });

  it('gives the sum of adding all the terms one by one, whatever the split, through JSON', () => {
    const mergeTermArb = fc.oneof(termArb, fc.constant(-0), fc.constant(0));
    fc.assert(
      fc.property(fc.array(fc.array(mergeTermArb, { maxLength: 15 }), { minLength: 1, maxLength: 6 }), (chunks) => {
        const merged = new ExactSum();
        for (const part of sumsOf(chunks)) merged.merge(ExactSum.fromState(JSON.parse(JSON.stringify(part.toState())), 'sum'));
        expect(Object.is(merged.value(), sumOf(chunks.flat()))).toBe(true);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('keeps what JSON cannot write: a sum of negative zeros stays -0', () => {
    const [negative] = sumsOf([[-0, -0]]);
    expect(JSON.stringify(negative!.toState())).toBe('["-0"]');
    const merged = new ExactSum();
    merged.merge(ExactSum.fromState(JSON.parse(JSON.stringify(negative!.toState())), 'sum'));
    expect(Object.is(merged.value(), -0)).toBe(true);
    // Merging leaves the other sum as it was, and merging nothing changes nothing.
    const [a, b] = sumsOf([[0.1, 0.2], [0.3]]);
    a!.merge(b!);
    a!.merge(new ExactSum());
    expect(a!.value()).toBe(0.6);
    expect(b!.value()).toBe(0.3);
  });

  it('names the place of a malformed state', () => {
    expect(() => ExactSum.fromState('12', 'state.d0.mrr')).toThrow('snapshot partial: state.d0.mrr must be an array, got "12"');
    expect(() => ExactSum.fromState([1, null], 'state.d0.mrr')).toThrow('snapshot partial: state.d0.mrr[1] must be a number, got null');
    expect(() => ExactSum.fromState([1, '2'], 'x')).toThrow('x[1] must be a number, got "2"');
  });
});
