/**
 * A float sum whose result does not depend on the order of its terms: the partials of Shewchuk's
 * exact summation (as in Python's math.fsum), rounded once at the end to the nearest double of the
 * true sum. The snapshot folds customers in whatever order the scan delivers them, and its JSON
 * must be the same for any order; a plain running `+=` differs in the last bits from one order to
 * the next.
 */
import { invalid, list } from './partial-state';

/**
 * An ExactSum's partials as JSON can carry them: numbers, with the values JSON has no literal for
 * (-0, which JSON.stringify writes as 0, and the non-finite ones) as their names.
 */
export type SumState = (number | NonJsonNumber)[];
type NonJsonNumber = '-0' | 'Infinity' | '-Infinity' | 'NaN';
const NON_JSON: readonly string[] = ['-0', 'Infinity', '-Infinity', 'NaN'];
const jsonSafe = (p: number): number | NonJsonNumber => (Object.is(p, -0) ? '-0' : Number.isFinite(p) ? p : (String(p) as NonJsonNumber));

export class ExactSum {
  /** Non-overlapping partial sums, smallest magnitude first; their exact sum is the total. */
  private readonly partials: number[] = [];

  add(value: number): void {
    const p = this.partials;
    let x = value;
    let kept = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[kept++] = lo;
      x = hi;
    }
    p.length = kept;
    p.push(x);
  }

  /**
   * Adds another sum's terms, exactly: its partials are numbers whose exact sum is its total, and
   * each add keeps this sum exact, so the result is what adding all the other's terms here would give.
   */
  merge(other: ExactSum): void {
    for (const p of other.partials.slice()) this.add(p);
  }

  toState(): SumState {
    return this.partials.map(jsonSafe);
  }

  /** The sum of a `toState()` read back from JSON; throws naming `at` when it is not one. */
  static fromState(value: unknown, at: string): ExactSum {
    const sum = new ExactSum();
    list(value, at).forEach((p, i) => {
      if (typeof p === 'number' || NON_JSON.includes(p as string)) sum.add(Number(p));
      else invalid(`${at}[${i}]`, 'a number', p);
    });
    return sum;
  }

  /** The true sum rounded to the nearest double (ties to even), as math.fsum rounds it. */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // hi + lo is exact; when the partials below push lo's half-way case one way, round that way.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
