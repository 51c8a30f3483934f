/** Segments (docs/metrics.md §3.4): the period's movements restricted to customers that started it (open > 0). */
import { ExactSum } from './exact-sum';
import { ratio } from './rates';
import type { EngineSettings, Lifecycle, Segment, Tier } from './types';

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

  finish(): Partial<Record<K, Segment>> {
    // fromEntries defines own properties, so a plan named "__proto__" from an export stays a plan.
    const keys = [...this.byKey.keys()].sort();
    return Object.fromEntries(keys.map((k) => [k, this.byKey.get(k)!.finish()])) as Partial<Record<K, Segment>>;
  }
}
