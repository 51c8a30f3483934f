/** Segments (docs/metrics.md §3.4): the period's movements restricted to customers that started it (open > 0). */
import { ExactSum, type SumState } from './exact-sum';
import { count, entries, record } from './partial-state';
import { ratio } from './rates';
import type { EngineSettings, Lifecycle, Segment, Tier } from './types';

export const TIERS: readonly Tier[] = ['A', 'B', 'C'];
export const LIFECYCLES: readonly Lifecycle[] = ['onboarding', 'adoption', 'mature'];

export function tierOf(mrr: number, settings: Pick<EngineSettings, 'tierA' | 'tierB'>): Tier {
  if (mrr >= settings.tierA) return 'A';
  if (mrr >= settings.tierB) return 'B';
  return 'C';
}

/** Stage by days from the first active day to the first day of the period. */
export function lifecycleOf(daysSinceFirstActive: number): Lifecycle {
  if (daysSinceFirstActive <= 30) return 'onboarding';
  if (daysSinceFirstActive <= 180) return 'adoption';
  return 'mature';
}

/** A segment's running sums as JSON-safe data (see SnapshotPartial). */
export interface SegmentState {
  customersStart: number;
  churned: number;
  mrrStart: SumState;
  expansion: SumState;
  contraction: SumState;
  churnedMrr: SumState;
}

/** Running sums of one segment (exact, so in any order of customers); `finish` turns them into the Segment with its rates. */
export class SegmentAccumulator {
  private customersStart = 0;
  private churned = 0;
  private readonly mrrStart = new ExactSum();
  private readonly expansion = new ExactSum();
  private readonly contraction = new ExactSum();
  private readonly churnedMrr = new ExactSum();

  /** Adds a customer with open > 0 and its close (0 when it churned). */
  add(open: number, close: number): void {
    this.customersStart++;
    this.mrrStart.add(open);
    if (close === 0) {
      this.churned++;
      this.churnedMrr.add(open);
    } else if (close > open) this.expansion.add(close - open);
    else if (close < open) this.contraction.add(open - close);
  }

  toState(): SegmentState {
    return {
      customersStart: this.customersStart,
      churned: this.churned,
      mrrStart: this.mrrStart.toState(),
      expansion: this.expansion.toState(),
      contraction: this.contraction.toState(),
      churnedMrr: this.churnedMrr.toState(),
    };
  }

  static fromState(value: unknown, at: string): SegmentAccumulator {
    const s = record(value, at);
    const acc = new SegmentAccumulator();
    acc.customersStart = count(s.customersStart, `${at}.customersStart`);
    acc.churned = count(s.churned, `${at}.churned`);
    acc.mrrStart.merge(ExactSum.fromState(s.mrrStart, `${at}.mrrStart`));
    acc.expansion.merge(ExactSum.fromState(s.expansion, `${at}.expansion`));
    acc.contraction.merge(ExactSum.fromState(s.contraction, `${at}.contraction`));
    acc.churnedMrr.merge(ExactSum.fromState(s.churnedMrr, `${at}.churnedMrr`));
    return acc;
  }

  merge(other: SegmentAccumulator): void {
    this.customersStart += other.customersStart;
    this.churned += other.churned;
    this.mrrStart.merge(other.mrrStart);
    this.expansion.merge(other.expansion);
    this.contraction.merge(other.contraction);
    this.churnedMrr.merge(other.churnedMrr);
  }

  finish(): Segment {
    const [mrrStart, expansion, contraction, churnedMrr] = [this.mrrStart, this.expansion, this.contraction, this.churnedMrr].map((s) =>
      s.value(),
    ) as [number, number, number, number];
    return {
      customersStart: this.customersStart,
      churned: this.churned,
      logoChurnRate: ratio(this.churned, this.customersStart),
      mrrStart,
      expansion,
      contraction,
      churnedMrr,
      ndr: ratio(mrrStart + expansion - contraction - churnedMrr, mrrStart),
    };
  }
}

/** Segments keyed by name, built in first-seen order and returned with sorted keys. */
export class SegmentTable<K extends string> {
  private readonly byKey = new Map<K, SegmentAccumulator>();

  add(key: K, open: number, close: number): void {
    let acc = this.byKey.get(key);
    if (!acc) this.byKey.set(key, (acc = new SegmentAccumulator()));
    acc.add(open, close);
  }

  /** `[key, segment]` pairs: keys are data (a plan may be named "__proto__"), so never object keys. */
  toState(): [K, SegmentState][] {
    return [...this.byKey].map(([k, acc]) => [k, acc.toState()]);
  }

  /** Reads a `toState()` back from JSON, checking each key with `readKey`; throws naming `at`. */
  static fromState<K extends string>(value: unknown, at: string, readKey: (v: unknown, at: string) => K): SegmentTable<K> {
    const table = new SegmentTable<K>();
    for (const [k, acc] of entries(value, at, readKey, SegmentAccumulator.fromState)) table.byKey.set(k, acc);
    return table;
  }

  merge(other: SegmentTable<K>): void {
    for (const [k, acc] of other.byKey) {
      let mine = this.byKey.get(k);
      if (!mine) this.byKey.set(k, (mine = new SegmentAccumulator()));
      mine.merge(acc);
    }
  }

  finish(): Partial<Record<K, Segment>> {
    // fromEntries defines own properties, so a plan named "__proto__" from an export stays a plan.
    const keys = [...this.byKey.keys()].sort();
    return Object.fromEntries(keys.map((k) => [k, this.byKey.get(k)!.finish()])) as Partial<Record<K, Segment>>;
  }
}
